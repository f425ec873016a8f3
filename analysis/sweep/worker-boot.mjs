// Piscina worker entry: registers the tsx loader in this thread, then exports the TypeScript task function.
import { register } from 'tsx/esm/api';
register();
const { runTask } = await import('./task.ts');
export default runTask;
