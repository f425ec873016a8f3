/** Shared by the sweep CLI tests: the acceptance grid, the CLI in a child process, CSV line helpers. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inlineExecutor } from '../../analysis/sweep/executor.ts';
import { expandGrid } from '../../analysis/sweep/grid.ts';
import { runSweep } from '../../analysis/sweep/runner.ts';
import { loadSweep } from '../../analysis/sweep/spec.ts';
import { ROOT } from '../helpers.ts';

/** The CLI entry; MEI_SIM_ENTRY overrides it (e.g. a development entry). */
export const ENTRY = process.env.MEI_SIM_ENTRY ?? join(ROOT, 'sim/cli/main.ts');
export const ENV = { ...process.env, NODE_NO_WARNINGS: '1' };

export function cliRun(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const dataLines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').length - 1 : 0);
export const sortedLines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').sort();

/** 3 slot counts x 4 request rates x 5 replications of a short quickstart. */
export function acceptanceSweep(dir: string): string {
  const f = join(dir, 'grid.yaml');
  writeFileSync(
    f,
    [
      `scenario: ${join(ROOT, 'scenarios/quickstart.yaml')}`,
      'set: { duration: 2 min, warmup: 0 s, topology.users.count: 30 }',
      'parameters:',
      '  inference.server.slots: [2, 4, 8]',
      '  inference.requests.rate_per_user: { range: { from: 0.5, to: 2, steps: 4 } }',
      'replications: 5',
    ].join('\n'),
  );
  return f;
}

/** The sweep run in this process, in the main thread: the reference runs.csv. */
export async function referenceRuns(file: string, out: string): Promise<string> {
  await runSweep(expandGrid(loadSweep(file)), { out, executor: inlineExecutor() });
  return join(out, 'runs.csv');
}
