import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Argv, CommandModule } from 'yargs';
import { bullmqExecutor, DEFAULT_QUEUE } from '../../../analysis/distributed/bullmq.ts';
import { localExecutor, type Executor } from '../../../analysis/sweep/executor.ts';
import { expandGrid, gridRuns, type Grid } from '../../../analysis/sweep/grid.ts';
import { checkSweepNames, GridMetrics } from '../../../analysis/sweep/names.ts';
import { parseShard, runSweep, shardRuns, type Shard, type SweepOptions, type SweepResult } from '../../../analysis/sweep/runner.ts';
import { loadSweep, parseAssignment, type SweepDef } from '../../../analysis/sweep/spec.ts';
import { InputError } from '../../common/errors.ts';

export interface ExecArgs {
  workers?: number;
  out?: string;
  backend?: string;
  redis?: string;
  queue?: string;
  /** Text as typed (or a number when called in-process); validated by precisionRule. */
  precision?: number | string;
  'max-replications'?: number | string;
  'retry-failed'?: boolean;
  progress?: boolean;
}

interface SweepArgs extends ExecArgs {
  file: string;
  shard?: string;
  set?: string[];
}

/** Options shared by sweep and compare: where and how the runs execute. */
export function execOptions<T>(y: Argv<T>) {
  return y
    .option('workers', { type: 'number', describe: 'worker threads (0 = run in this thread); default: available cores' })
    .option('out', { type: 'string', describe: 'output folder (resumable: runs already in its runs.csv are skipped)' })
    .option('backend', { type: 'string', choices: ['local', 'bullmq'], default: 'local', describe: 'where runs execute' })
    .option('redis', { type: 'string', describe: 'Redis URL for --backend bullmq, e.g. redis://127.0.0.1:6379' })
    .option('queue', { type: 'string', default: DEFAULT_QUEUE, describe: 'BullMQ queue name (workers must use the same)' })
    .option('precision', { type: 'string', describe: 'add replications until every 95% CI half-width is within this fraction of its mean: a number in (0, 1), e.g. 0.05' })
    .option('max-replications', { type: 'string', describe: 'cap on replications per point for --precision, an integer >= 2 (default: the sweep file\'s, else 100)' })
    .option('retry-failed', { type: 'boolean', default: true, describe: 'on resume, run again the runs that failed before' })
    .option('progress', { type: 'boolean', describe: 'progress bar (default: when stdout is a terminal)' });
}

/** Worker threads per available core at most: more only adds memory and contention (each thread loads the simulator). */
export const WORKERS_PER_CORE = 2;

/**
 * Threads for the local pool: the request (default: the available cores),
 * at most one per run and WORKERS_PER_CORE per available core. `note` says
 * why an explicit request was lowered. Results do not depend on the count.
 */
export function workerCount(requested: number | undefined, runs: number, cores = availableParallelism()): { workers: number; note?: string } {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 0)) throw new InputError(`--workers ${requested}: expected an integer >= 0`);
  const limit = WORKERS_PER_CORE * Math.max(1, cores);
  if (requested === 0 || runs === 0) return { workers: 0 };
  const want = requested ?? cores;
  const workers = Math.min(want, runs, limit);
  if (requested === undefined || workers === requested) return { workers };
  const why = workers === runs ? `one per run: ${runs} run(s) to do` : `at most ${WORKERS_PER_CORE} per available core (${cores})`;
  return { workers, note: `--workers ${requested}: using ${workers} (${why})` };
}

function parseNumber(v: number | string): number {
  if (typeof v === 'number') return v;
  return v.trim() === '' ? NaN : Number(v);
}

/**
 * The --precision rule from the command line and the sweep file, with the
 * checks of the file keys: --precision a number in (0, 1), --max-replications
 * an integer >= 2, and only with a precision rule (from either).
 */
export function precisionRule(a: Pick<ExecArgs, 'precision' | 'max-replications'>, fromFile?: SweepDef['precision']): SweepDef['precision'] | undefined {
  let target: number | undefined;
  if (a.precision !== undefined) {
    target = parseNumber(a.precision);
    if (!(target > 0 && target < 1)) {
      throw new InputError(`--precision ${String(a.precision)}: expected a number between 0 and 1 (exclusive), the relative 95% CI half-width, e.g. 0.05`);
    }
  }
  let max: number | undefined;
  if (a['max-replications'] !== undefined) {
    max = parseNumber(a['max-replications']);
    if (!Number.isInteger(max) || max < 2) throw new InputError(`--max-replications ${String(a['max-replications'])}: expected an integer >= 2`);
  }
  const base = target !== undefined ? { target, max_replications: fromFile?.max_replications ?? 100, ...(fromFile?.metrics ? { metrics: fromFile.metrics } : {}) } : fromFile;
  if (base === undefined) {
    if (max !== undefined) throw new InputError('--max-replications caps the replications --precision adds; give --precision too (or precision: in the sweep file)');
    return undefined;
  }
  return max !== undefined ? { ...base, max_replications: max } : base;
}

/** Runs the grid may execute: its (shard's) runs, or every point at the cap with --precision. */
function runsBound(grid: Grid, shard: Shard | undefined, precision: SweepDef['precision'] | undefined): number {
  const initial = shardRuns(gridRuns(grid), shard).length;
  return precision ? Math.max(initial, grid.points.length * precision.max_replications) : initial;
}

async function makeExecutor(a: ExecArgs, runs: number): Promise<Executor> {
  if (a.backend === 'bullmq') {
    if (!a.redis) throw Object.assign(new Error('--backend bullmq needs --redis URL'), { exitCode: 2 });
    return bullmqExecutor({ url: a.redis, queue: a.queue });
  }
  const { workers, note } = workerCount(a.workers, runs);
  if (note) process.stderr.write(`mei-sim: ${note}\n`);
  return localExecutor(workers);
}

/**
 * Run a grid with a progress bar (cli-progress, stdout terminals only) and
 * Ctrl-C handling: the first Ctrl-C stops dispatching and abandons running
 * tasks (runs.csv holds only whole rows; a re-run resumes), a second exits.
 */
export async function executeGrid(grid: Grid, a: ExecArgs, extra: Partial<SweepOptions> & { out: string }): Promise<SweepResult> {
  const precision = precisionRule(a, grid.def.precision);
  if (precision && extra.shard) throw new InputError('--precision needs the whole grid; it cannot be combined with --shard');
  // names (metrics:, --metrics, plots) are checked before a pool or a queue connection exists
  const names = new GridMetrics(grid);
  await checkSweepNames(grid, names, precision?.metrics);
  const executor = await makeExecutor(a, runsBound(grid, extra.shard, precision));
  const ctl = new AbortController();
  const showBar = a.progress ?? process.stdout.isTTY === true;
  const bar = showBar ? new SingleBar({ format: ' {bar} {value}/{total} runs | ETA {eta_formatted} | failed {failed}', hideCursor: true, etaBuffer: 50 }) : null;
  let started = false;
  const onSigint = () => {
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort();
    process.stderr.write('\nmei-sim: interrupted; finishing the files (Ctrl-C again to quit at once)\n');
    void executor.close();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const res = await runSweep(grid, {
      executor,
      signal: ctl.signal,
      retryFailed: a['retry-failed'],
      ...(precision ? { precision } : {}),
      names,
      log: (l) => {
        if (bar && started) bar.stop();
        process.stdout.write(`${l}\n`);
        started = false;
      },
      onProgress: (p) => {
        if (!bar) return;
        if (!started) {
          bar.start(p.total, p.done, { failed: p.failed });
          started = true;
        }
        bar.setTotal(p.total);
        bar.update(p.done, { failed: p.failed });
      },
      ...extra,
    });
    if (bar && started) bar.stop();
    return res;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (!ctl.signal.aborted) await executor.close();
  }
}

export function reportSweep(res: SweepResult): void {
  const m = res.manifest;
  const line =
    res.status === 'interrupted'
      ? `interrupted: ${m.runs_in_file} run(s) saved in ${join(res.dir, 'runs.csv')}; run the same command again to resume`
      : `${m.runs_in_file} run(s) in ${join(res.dir, 'runs.csv')} (${res.executed} executed now, ${res.skipped} resumed, ${m.runs_failed} failed) in ${res.wall_s.toFixed(2)} s`;
  process.stdout.write(`${line}\n`);
  if (res.status === 'interrupted') process.exitCode = 130;
  else if (Number(m.runs_failed) > 0) {
    process.stdout.write(`some runs failed: see the error column of runs.csv (exit code 3)\n`);
    process.exitCode = 3;
  }
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep <file>',
  describe: 'run a sweep file: a grid of parameters x policies x seeds, in parallel, resumable',
  builder: (y) =>
    execOptions(y.positional('file', { type: 'string', demandOption: true, describe: 'sweep YAML file' }))
      .option('set', { type: 'string', array: true, describe: 'override a field at every point: --set a.b.c=value (after the sweep file\'s set:, before the axes)' })
      .option('shard', { type: 'string', nargs: 1, describe: 'run only shard i/N of the grid (0 <= i < N, e.g. 0/4), for cluster job arrays; combine with `mei-sim merge`' })
      .example('$0 sweep scenarios/sweeps/quickstart-load.yaml --workers 2 --out results/load', 'run a sweep on 2 threads')
      .example('$0 sweep s.yaml --shard $SLURM_ARRAY_TASK_ID/8 --out out/shard-$SLURM_ARRAY_TASK_ID', 'one shard of 8 in a Slurm array')
      .example('$0 sweep s.yaml --backend bullmq --redis redis://queue-host:6379', 'distribute over `mei-sim worker` processes') as Argv<SweepArgs>,
  handler: async (a) => {
    const def = loadSweep(a.file);
    for (const e of a.set ?? []) {
      const [k, v] = parseAssignment(e);
      def.set = { ...def.set, [k]: v };
    }
    const grid = expandGrid(def);
    const shard = a.shard !== undefined ? parseShard(a.shard) : undefined;
    const out = a.out ?? join('results', shard ? `sweep-${def.name}-shard-${shard.index}-of-${shard.count}` : `sweep-${def.name}`);
    const res = await executeGrid(grid, a, { out, ...(shard ? { shard } : {}), manifestExtra: { command: ['sweep', ...process.argv.slice(3)] } });
    reportSweep(res);
  },
};
