/**
 * The unit of work sent to a worker (piscina thread, BullMQ worker process
 * or the main thread): a batch of runs, each a validated scenario and a
 * seed. Short runs are batched so the per-run overhead of the pool stays
 * small. A run that throws yields an error result; the batch goes on.
 */
import type { Scenario } from '../../sim/scenario/schema.ts';
import { prepareScenario, runScenario } from '../../sim/run/run.ts';

export interface Task {
  /** Scenario per hash (seed ignored), only those the runs need. */
  scenarios: Record<string, Scenario>;
  runs: { hash: string; seed: number }[];
}

export interface RunOutcome {
  hash: string;
  seed: number;
  /** Metrics when the run completed; null when it threw. */
  metrics: Record<string, number> | null;
  error: string | null;
  wall_s: number;
  events: number;
  simulated_s: number;
}

export interface TaskResult {
  outcomes: RunOutcome[];
  /** Wall time of the whole task inside the worker. */
  wall_s: number;
}

/** One line, bounded: an error message fit for a CSV cell. */
export function errorText(e: unknown): string {
  const msg = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  const one = msg.replace(/\s*\r?\n\s*/g, ' | ').trim();
  return one.length > 500 ? `${one.slice(0, 497)}...` : one || 'error';
}

export async function runTask(task: Task): Promise<TaskResult> {
  const t0 = performance.now();
  const outcomes: RunOutcome[] = [];
  const prepared = new Map<string, string | null>();
  for (const r of task.runs) {
    const base = task.scenarios[r.hash];
    const s = performance.now();
    try {
      if (base === undefined) throw new Error(`task has no scenario for hash ${r.hash}`);
      if (!prepared.has(r.hash)) {
        // Once per scenario in this task: domains' async setup (e.g. the HiGHS solver).
        try {
          await prepareScenario(base);
          prepared.set(r.hash, null);
        } catch (e) {
          prepared.set(r.hash, errorText(e));
        }
      }
      const prepError = prepared.get(r.hash);
      if (prepError) throw new Error(prepError);
      const res = runScenario({ ...base, seed: r.seed }, { outDir: null });
      outcomes.push({ hash: r.hash, seed: r.seed, metrics: res.metrics, error: null, wall_s: res.wall_s, events: res.events, simulated_s: res.simulated_s });
    } catch (e) {
      outcomes.push({ hash: r.hash, seed: r.seed, metrics: null, error: errorText(e), wall_s: (performance.now() - s) / 1000, events: 0, simulated_s: 0 });
    }
  }
  return { outcomes, wall_s: (performance.now() - t0) / 1000 };
}

export default runTask;
