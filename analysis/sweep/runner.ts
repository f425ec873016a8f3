/**
 * Runs a sweep grid on an executor: skips runs already in runs.csv (keyed by
 * scenario hash and seed), batches short runs into tasks, appends each
 * finished batch to runs.csv, records failures without stopping, adds
 * replications until the precision target is met (`--precision`), and at the
 * end writes runs.csv in canonical order, summary.csv and manifest.json.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION } from '../../sim/version.ts';
import { assertReplaceable, markOutputFolder } from '../../sim/common/output-folder.ts';
import { displayPath } from '../../sim/scenario/yaml-source.ts';
import { DEFAULT_EXCLUDE, pointsNeedingMore } from '../aggregate.ts';
import { parseCell } from '../load.ts';
import type { Row } from '../table.ts';
import type { Executor } from './executor.ts';
import { gridRuns, gridSeeds, runKey, type Grid, type RunRef } from './grid.ts';
import { cellText, metricColumnsOf, RunsFile, sortRows, writeAtomic, type RawRow } from './runs-file.ts';
import { checkSweepNames, GridMetrics } from './names.ts';
import { writeSweepSummary } from './outputs.ts';
import type { RunOutcome, Task, TaskResult } from './task.ts';

export interface Shard {
  index: number;
  count: number;
}

/** `i/N` with 0 <= i < N (0-based, like Slurm array and Kubernetes job indexes). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) throw Object.assign(new Error(`--shard ${text}: expected i/N with 0 <= i < N, e.g. 0/4`), { exitCode: 2 });
  return { index, count };
}

/** The deterministic 1/N of the runs for a shard: every N-th run of the point-major list. */
export function shardRuns(runs: RunRef[], shard: Shard | undefined): RunRef[] {
  return shard ? runs.filter((_, i) => i % shard.count === shard.index) : runs;
}

export interface Progress {
  total: number;
  done: number;
  failed: number;
  skipped: number;
}

export interface SweepOptions {
  out: string;
  executor: Executor;
  kind?: 'sweep' | 'compare';
  shard?: Shard;
  /** Overrides the sweep file's precision rule. */
  precision?: { target: number; max_replications: number; metrics?: string[] };
  /** Re-run runs that failed in an earlier attempt (default true). */
  retryFailed?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  log?: (line: string) => void;
  /** Aimed duration of one task in seconds (short runs are batched up to it); default 0.05. */
  targetTaskS?: number;
  /** Extra manifest fields (e.g. the command line). */
  manifestExtra?: Record<string, unknown>;
  /** Metric names of the grid's points, when the caller already probed them (checkSweepNames). */
  names?: GridMetrics;
}

export interface SweepResult {
  status: 'complete' | 'interrupted';
  total: number;
  skipped: number;
  executed: number;
  failed: number;
  rounds: number;
  wall_s: number;
  /** Sum of the runs' own wall times (inside the workers) for the runs executed now. */
  run_wall_s: number;
  dir: string;
  manifest: Record<string, unknown>;
}

/** Lead columns of runs.csv: the parameters, then the policy. */
export function leadColumns(grid: Grid): string[] {
  return grid.policyColumn ? [...grid.paramColumns, grid.policyColumn] : [...grid.paramColumns];
}

function outcomeRow(grid: Grid, pointByHash: Map<string, number>, o: RunOutcome, metrics?: string[]): RawRow {
  const p = grid.points[pointByHash.get(o.hash)!]!;
  const r: RawRow = {};
  for (const c of grid.paramColumns) r[c] = cellText(p.params[c]);
  if (grid.policyColumn) r[grid.policyColumn] = p.policy ?? '';
  r.seed = String(o.seed);
  r.scenario_hash = o.hash;
  if (o.error !== null) r.error = o.error;
  if (o.metrics) {
    const names = metrics ?? Object.keys(o.metrics);
    for (const m of names) {
      const v = o.metrics[m];
      if (v !== undefined) r[m] = cellText(v === null ? NaN : v);
    }
  }
  for (const k of Object.keys(r)) if (r[k] === '') delete r[k];
  return r;
}

/**
 * Execute runs on the executor, at most 2 x parallelism tasks in flight. The
 * batch size grows to about targetTaskS of work once run times are known,
 * and shrinks near the end so the last tasks finish together. A task that
 * fails as a whole (a crashed worker) is retried one run per task, so only
 * the culprit is recorded as failed.
 */
export async function executeRuns(
  grid: Grid,
  runs: RunRef[],
  executor: Executor,
  onOutcomes: (o: RunOutcome[]) => void,
  opts: { signal?: AbortSignal; targetTaskS?: number } = {},
): Promise<void> {
  const queue = runs.slice();
  const singles: RunRef[] = [];
  const target = opts.targetTaskS ?? 0.05;
  let inflight = 0;
  let runsTimed = 0;
  let wallTimed = 0;
  const stopped = () => opts.signal?.aborted === true;
  await new Promise<void>((done) => {
    const batchSize = () => {
      if (runsTimed === 0) return 1;
      const est = Math.max(wallTimed / runsTimed, 1e-6);
      const byTime = Math.max(1, Math.floor(target / est));
      const byTail = Math.max(1, Math.floor(queue.length / (2 * executor.parallelism)));
      return Math.min(byTime, byTail);
    };
    const taskFor = (batch: RunRef[]): Task => {
      const scenarios: Task['scenarios'] = {};
      const list: Task['runs'] = [];
      for (const r of batch) {
        const p = grid.points[r.point]!;
        scenarios[p.hash] = p.scenario;
        list.push({ hash: p.hash, seed: r.seed });
      }
      return { scenarios, runs: list };
    };
    const submit = (batch: RunRef[]) => {
      inflight++;
      executor.run(taskFor(batch)).then(
        (res: TaskResult) => {
          inflight--;
          if (!stopped()) {
            for (const o of res.outcomes) {
              runsTimed++;
              wallTimed += o.wall_s;
            }
            onOutcomes(res.outcomes);
          }
          pump();
        },
        (err: unknown) => {
          inflight--;
          if (!stopped()) {
            if (batch.length > 1) singles.push(...batch);
            else {
              const p = grid.points[batch[0]!.point]!;
              const msg = err instanceof Error ? err.message : String(err);
              onOutcomes([{ hash: p.hash, seed: batch[0]!.seed, metrics: null, error: `worker failed: ${msg.replace(/\s*\n\s*/g, ' | ')}`, wall_s: 0, events: 0, simulated_s: 0 }]);
            }
          }
          pump();
        },
      );
    };
    const pump = () => {
      while (!stopped() && inflight < 2 * executor.parallelism && (singles.length > 0 || queue.length > 0)) {
        if (singles.length > 0) submit([singles.shift()!]);
        else submit(queue.splice(0, batchSize()));
      }
      if (inflight === 0 && (stopped() || (queue.length === 0 && singles.length === 0))) done();
    };
    pump();
  });
}

/**
 * Successful kept rows that lack a metric the sweep asks for now and their
 * point produces. Asked for: `metrics:` when given, else every metric. A row
 * is only probed when it could lack something: with no metrics list, when the
 * earlier attempt's manifest does not say it kept every metric.
 */
async function rowsLackingMetrics(
  grid: Grid,
  names: GridMetrics,
  rows: readonly RawRow[],
  lead: readonly string[],
  earlier: string[] | null | undefined,
): Promise<{ rows: Set<RawRow>; metrics: string[] }> {
  const out = new Set<RawRow>();
  const metrics = new Set<string>();
  const want = grid.def.metrics;
  if (want === undefined && earlier === null) return { rows: out, metrics: [] };
  const pointByHash = new Map(grid.points.map((p) => [p.hash, p.index]));
  for (const r of rows) {
    if (r.error !== undefined) continue;
    const have = new Set(metricColumnsOf(r, lead));
    if (want !== undefined && want.every((m) => have.has(m))) continue;
    const produced = await names.ofPoint(pointByHash.get(r.scenario_hash!)!);
    if (produced === null) continue;
    const missing = (want ?? produced).filter((m) => !have.has(m) && produced.includes(m));
    if (missing.length > 0) {
      out.add(r);
      for (const m of missing) metrics.add(m);
    }
  }
  return { rows: out, metrics: [...metrics] };
}

/** Typed rows (numbers parsed) of the raw rows. */
export function typedRows(rows: Iterable<RawRow>): Row[] {
  const out: Row[] = [];
  for (const r of rows) {
    const t: Row = {};
    for (const [k, v] of Object.entries(r)) t[k] = parseCell(v);
    out.push(t);
  }
  return out;
}

/** The metrics list an earlier attempt in dir asked for (its manifest), or undefined when unknown. */
function earlierMetrics(dir: string): string[] | null | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { metrics_requested?: string[] | null };
    return m.metrics_requested;
  } catch {
    return undefined;
  }
}

export async function runSweep(grid: Grid, opts: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const started = new Date().toISOString();
  const def = grid.def;
  const dir = resolve(opts.out);
  const log = opts.log ?? (() => {});
  const lead = leadColumns(grid);
  const pointByHash = new Map(grid.points.map((p) => [p.hash, p.index]));
  const precision = opts.precision ?? def.precision;
  if (precision && opts.shard) throw Object.assign(new Error('--precision needs the whole grid; it cannot be combined with --shard'), { exitCode: 2 });
  // Bad names (metrics:, --metrics, plots, precision.metrics) stop here, before any run or file.
  const names = opts.names ?? new GridMetrics(grid);
  await checkSweepNames(grid, names, precision?.metrics);
  // A sweep writes into its folder (resumable), so the folder must be new, empty or a mei-sim output.
  assertReplaceable(dir, '--out');
  mkdirSync(dir, { recursive: true });
  markOutputFolder(dir);

  // Resume: keep the rows of this grid's scenarios; failed ones are retried unless told otherwise.
  const file = new RunsFile(join(dir, 'runs.csv'), lead, def.metrics);
  const old = file.readExisting();
  const retry = opts.retryFailed ?? true;
  const keep: RawRow[] = [];
  let stale = 0;
  let retried = 0;
  for (const r of old) {
    const pi = r.scenario_hash === undefined ? undefined : pointByHash.get(r.scenario_hash);
    if (pi === undefined || r.seed === undefined) {
      stale++;
      continue;
    }
    if (r.error !== undefined && retry) {
      retried++;
      continue;
    }
    // parameter cells re-derived from the current grid, so renamed columns follow the sweep file
    const p = grid.points[pi]!;
    const fresh: RawRow = {};
    for (const c of grid.paramColumns) fresh[c] = cellText(p.params[c]);
    if (grid.policyColumn) fresh[grid.policyColumn] = p.policy ?? '';
    for (const [k, v] of Object.entries(r)) if (!(k in fresh) && !lead.includes(k)) fresh[k] = v;
    for (const k of Object.keys(fresh)) if (fresh[k] === '') delete fresh[k];
    keep.push(fresh);
  }
  if (stale > 0) {
    // Never overwrite an earlier copy: runs.previous.csv, then runs.previous-2.csv, -3, ...
    let name = 'runs.previous.csv';
    for (let k = 2; existsSync(join(dir, name)); k++) name = `runs.previous-${k}.csv`;
    copyFileSync(file.path, join(dir, name));
    log(`${stale} row(s) of runs.csv belong to other scenarios (the sweep changed); kept in ${name}`);
  }
  // A resume never drops a column of runs.csv (the runs run now record it too), and a kept
  // run that lacks a metric asked for now (an earlier attempt kept fewer metrics) runs again:
  // runs are deterministic, so its other values come back unchanged, now with the new ones.
  const lacking = await rowsLackingMetrics(grid, names, keep, lead, earlierMetrics(dir));
  if (lacking.rows.size > 0) {
    log(`${lacking.rows.size} earlier run(s) lack metric(s) asked for now (${lacking.metrics.join(', ')}); running them again`);
  }
  const kept = keep.filter((r) => !lacking.rows.has(r));
  if (def.metrics) {
    const extra = new Set<string>();
    for (const r of keep) for (const c of metricColumnsOf(r, lead)) if (!def.metrics.includes(c)) extra.add(c);
    if (extra.size > 0) file.metrics = [...def.metrics, ...extra];
  }
  const recorded = file.metrics ? [...file.metrics] : undefined;
  file.reset(kept);
  if (def.text !== undefined) writeFileSync(join(dir, 'sweep.yaml'), def.text);

  let status: SweepResult['status'] = 'complete';
  let executed = 0;
  let failed = 0;
  let runWall = 0;
  let rounds = 0;
  const skippedKeys = new Set(file.rows.keys());
  const progress: Progress = { total: 0, done: 0, failed: 0, skipped: 0 };
  const onOutcomes = (os: RunOutcome[]) => {
    const rows = os.map((o) => outcomeRow(grid, pointByHash, o, recorded));
    file.append(rows);
    for (const o of os) {
      executed++;
      runWall += o.wall_s;
      if (o.error !== null) failed++;
    }
    progress.done += os.length;
    progress.failed += os.filter((o) => o.error !== null).length;
    opts.onProgress?.(progress);
  };

  let planned = shardRuns(gridRuns(grid), opts.shard);
  const seedsOf = new Map<number, Set<number>>(grid.points.map((p) => [p.index, new Set<number>()]));
  for (;;) {
    rounds++;
    for (const r of planned) seedsOf.get(r.point)!.add(r.seed);
    const todo = planned.filter((r) => !file.rows.has(runKey(grid.points[r.point]!.hash, r.seed)));
    progress.total += planned.length;
    progress.skipped += planned.length - todo.length;
    progress.done += planned.length - todo.length;
    if (rounds === 1) log(`${planned.length} run(s): ${planned.length - todo.length} already complete, ${todo.length} to run on ${opts.executor.name} (${opts.executor.parallelism} in parallel)`);
    opts.onProgress?.(progress);
    await executeRuns(grid, todo, opts.executor, onOutcomes, { signal: opts.signal, targetTaskS: opts.targetTaskS });
    if (opts.signal?.aborted) {
      status = 'interrupted';
      break;
    }
    if (!precision) break;
    // --precision: more seeds for the points whose CI is still too wide
    for (const k of file.rows.keys()) {
      const [h, s] = k.split(':');
      const pi = pointByHash.get(h!);
      if (pi !== undefined) seedsOf.get(pi)!.add(Number(s));
    }
    // canonical order, so the half-widths (and the runs added) do not depend on completion order
    const ok = typedRows(sortRows([...file.rows.values()].filter((r) => r.error === undefined), lead));
    const needs = pointsNeedingMore(ok, { by: ['scenario_hash'], metrics: precision.metrics, exclude: [...DEFAULT_EXCLUDE, ...lead] }, precision.target);
    planned = [];
    for (const n of needs) {
      const pi = pointByHash.get(String(n.key.scenario_hash));
      if (pi === undefined) continue;
      const have = seedsOf.get(pi)!.size;
      const want = Math.min(precision.max_replications, Math.max(have + 1, n.target));
      for (const s of gridSeeds(grid, want)) if (!seedsOf.get(pi)!.has(s)) planned.push({ point: pi, seed: s });
    }
    if (planned.length === 0) break;
    log(`precision ${precision.target}: ${needs.length} point(s) too wide, ${planned.length} more run(s)`);
  }

  if (status === 'complete') file.finalize();
  const wall = (performance.now() - t0) / 1000;
  const rows = sortRows([...file.rows.values()], lead);
  const manifest: Record<string, unknown> = {
    kind: opts.kind ?? 'sweep',
    name: def.name,
    status,
    sweep_file: def.file ? displayPath(def.file) : null,
    scenario: def.scenario ? displayPath(def.scenario) : '(embedded quickstart)',
    grid_hash: grid.gridHash,
    parameters: grid.paramColumns,
    policy_column: grid.policyColumn,
    policies: def.policies?.map((p) => p.label) ?? null,
    points: grid.points.length,
    seeds: grid.seeds,
    precision: precision ?? null,
    metrics_requested: def.metrics ?? null,
    shard: opts.shard ? `${opts.shard.index}/${opts.shard.count}` : null,
    runs_in_grid: grid.points.length * grid.seeds.length,
    runs_in_file: rows.length,
    runs_failed: rows.filter((r) => r.error !== undefined).length,
    runs_skipped: skippedKeys.size,
    runs_executed: executed,
    runs_retried: retried,
    precision_rounds: rounds,
    backend: opts.executor.name,
    parallelism: opts.executor.parallelism,
    mei_sim_version: VERSION,
    node_version: process.version,
    started_at: started,
    finished_at: new Date().toISOString(),
    wall_time_s: wall,
    run_wall_time_s: runWall,
    plots: def.plots,
    ...(opts.manifestExtra ?? {}),
  };
  if (!existsSync(join(dir, 'runs.csv'))) file.reset([]);
  if (status === 'complete') {
    const skipped = await writeSweepSummary(dir, typedRows(rows), manifest);
    if (skipped.length > 0) log(`no values to plot (${rows.length} run(s) in this folder${rows.length > 0 ? ', none successful' : ''}): skipped ${skipped.join(', ')}`);
  }
  writeAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { status, total: progress.total, skipped: skippedKeys.size, executed, failed, rounds, wall_s: wall, run_wall_s: runWall, dir, manifest };
}
