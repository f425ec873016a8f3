/**
 * Sweeps through a BullMQ queue on Redis. The submitting process
 * (`mei-sim sweep --backend bullmq --redis URL`) adds one job per task and
 * collects results from the queue's event stream as they complete; any
 * number of `mei-sim worker --redis URL` processes, on any machine sharing
 * the code and the scenario's data files, run the tasks on a local thread
 * pool. Payloads travel as JSON with NaN/Infinity preserved (codec.ts).
 */
import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq';
import type { Executor } from '../sweep/executor.ts';
import { localExecutor } from '../sweep/executor.ts';
import type { Task, TaskResult } from '../sweep/task.ts';
import { decode, encode } from './codec.ts';

export const DEFAULT_QUEUE = 'mei-sim';

export function connectionFor(url: string): ConnectionOptions {
  try {
    const u = new URL(url);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('scheme');
  } catch {
    throw Object.assign(new Error(`--redis ${url}: expected a URL like redis://host:6379 or rediss://user:pass@host:6380/0`), { exitCode: 2 });
  }
  return { url, maxRetriesPerRequest: null };
}

/**
 * Fail fast when Redis cannot be reached: one connection that does not retry
 * (the queue's own connections retry forever, which hangs silently on a wrong
 * URL). Bad input, exit code 2, naming the URL and the cause.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const probe = new Queue('mei-sim-probe', {
    connection: { ...(connectionFor(url) as object), maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false },
  });
  let last = '';
  probe.on('error', (e: Error) => {
    last = e.message;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([probe.waitUntilReady(), timeout]);
  } catch (e) {
    const cause = last || (e instanceof Error ? e.message : String(e));
    void probe.close().catch(() => {});
    throw Object.assign(new Error(`--redis ${url}: cannot reach Redis (${cause}); is redis-server running there?`), { exitCode: 2 });
  } finally {
    clearTimeout(timer);
  }
  await probe.close();
}

export interface BullmqSubmitOptions {
  url: string;
  queue?: string;
  /** Jobs kept in flight (default 32): enough to keep every remote worker busy. */
  inflight?: number;
}

/** Executor whose tasks are BullMQ jobs; results come back through QueueEvents. */
export async function bullmqExecutor(o: BullmqSubmitOptions): Promise<Executor> {
  const name = o.queue ?? DEFAULT_QUEUE;
  const connection = connectionFor(o.url);
  await checkRedis(o.url);
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const pending = new Map<string, { resolve: (r: TaskResult) => void; reject: (e: Error) => void }>();
  events.on('completed', ({ jobId, returnvalue }) => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    try {
      p.resolve(decode<TaskResult>(returnvalue as unknown as string));
    } catch (e) {
      p.reject(e as Error);
    }
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    p.reject(new Error(failedReason));
  });
  const prefix = `${process.pid}-${Date.now().toString(36)}-`;
  let seq = 0;
  return {
    name: 'bullmq',
    parallelism: o.inflight ?? 32,
    async run(task: Task): Promise<TaskResult> {
      const jobId = `${prefix}${seq++}`;
      const result = new Promise<TaskResult>((resolve, reject) => pending.set(jobId, { resolve, reject }));
      await queue.add('task', encode(task), { jobId, removeOnComplete: true, removeOnFail: 1000, attempts: 1 });
      return result;
    },
    async close(): Promise<void> {
      for (const p of pending.values()) p.reject(new Error('sweep stopped'));
      pending.clear();
      await events.close();
      await queue.close();
    },
  };
}

export interface WorkerOptions {
  url: string;
  queue?: string;
  /** Threads running tasks (and jobs taken at once); default 1. */
  workers?: number;
  log?: (line: string) => void;
}

/**
 * Take jobs from the queue until closed. Tasks run on worker threads, so the
 * main thread stays free to renew the job locks of long tasks.
 */
export async function startWorker(o: WorkerOptions): Promise<{ close(): Promise<void>; processed(): number }> {
  const name = o.queue ?? DEFAULT_QUEUE;
  const threads = Math.max(1, o.workers ?? 1);
  await checkRedis(o.url);
  const pool = localExecutor(threads);
  let done = 0;
  const worker = new Worker(
    name,
    async (job) => {
      const res = await pool.run(decode<Task>(job.data as string));
      done += res.outcomes.length;
      return encode(res);
    },
    { connection: connectionFor(o.url), concurrency: threads, lockDuration: 120_000 },
  );
  worker.on('failed', (job, err) => o.log?.(`job ${job?.id ?? '?'} failed: ${err.message}`));
  worker.on('error', (err) => o.log?.(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  return {
    processed: () => done,
    async close() {
      await worker.close();
      await pool.close();
    },
  };
}
