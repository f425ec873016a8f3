/**
 * Where tasks run: in this thread (`--workers 0`), on a piscina pool of
 * worker threads (the default), or on remote BullMQ workers
 * (analysis/distributed/bullmq.ts). The sweep runner only sees this interface.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { runTask, type Task, type TaskResult } from './task.ts';

export interface Executor {
  /** For the manifest: 'inline', 'piscina', 'bullmq'. */
  readonly name: string;
  /** Tasks worth keeping in flight at once. */
  readonly parallelism: number;
  run(task: Task): Promise<TaskResult>;
  /** Stop: pending tasks are abandoned (their promises may reject). */
  close(): Promise<void>;
}

export const WORKER_BOOT = fileURLToPath(new URL('./worker-boot.mjs', import.meta.url));

export function inlineExecutor(): Executor {
  return {
    name: 'inline',
    parallelism: 1,
    // one macrotask per task, so signals (Ctrl-C) and the progress bar get their turn between tasks
    run: (task) => new Promise((resolve, reject) => setImmediate(() => {
      try {
        resolve(runTask(task));
      } catch (e) {
        reject(e);
      }
    })),
    close: async () => {},
  };
}

/** A piscina pool of `workers` threads (default: the machine's available parallelism). */
export function poolExecutor(workers = availableParallelism()): Executor {
  const pool = new Piscina<Task, TaskResult>({
    filename: WORKER_BOOT,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 60_000,
    // one task per thread at a time: batching already amortises the hand-off
    concurrentTasksPerWorker: 1,
  });
  return {
    name: 'piscina',
    parallelism: workers,
    run: (task) => pool.run(task),
    close: () => pool.destroy(),
  };
}

export function localExecutor(workers: number): Executor {
  return workers <= 0 ? inlineExecutor() : poolExecutor(workers);
}
