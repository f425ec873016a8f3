import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_QUEUE, startWorker } from '../../../analysis/distributed/bullmq.ts';
import { InputError } from '../../common/errors.ts';
import { WORKERS_PER_CORE } from './sweep.ts';

interface WorkerArgs {
  redis: string;
  queue: string;
  workers: number;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'take sweep runs from a BullMQ queue on Redis (start one per machine; stop with Ctrl-C)',
  builder: (y) =>
    y
      .option('redis', { type: 'string', demandOption: true, describe: 'Redis URL, e.g. redis://queue-host:6379' })
      .option('queue', { type: 'string', default: DEFAULT_QUEUE, describe: 'BullMQ queue name (as given to `mei-sim sweep --queue`)' })
      .option('workers', { type: 'number', default: 1, describe: 'threads running runs in this process' })
      .example('$0 worker --redis redis://10.0.0.5:6379 --workers 8', 'serve a sweep submitted with --backend bullmq') as Argv<WorkerArgs>,
  handler: async (a) => {
    const log = (l: string) => process.stderr.write(`mei-sim worker: ${l}\n`);
    if (!Number.isInteger(a.workers) || a.workers < 1) throw new InputError(`--workers ${a.workers}: expected an integer >= 1`);
    const cores = availableParallelism();
    const threads = Math.min(a.workers, WORKERS_PER_CORE * cores);
    if (threads < a.workers) log(`--workers ${a.workers}: using ${threads} (at most ${WORKERS_PER_CORE} per available core (${cores}))`);
    const w = await startWorker({ url: a.redis, queue: a.queue, workers: threads, log });
    log(`ready on queue "${a.queue}" with ${threads} thread(s)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log(`stopping after ${w.processed()} run(s)`);
        void w.close().then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
