/**
 * Aggregation of tidy run rows (one row per run: parameters, seed, metrics)
 * per parameter point: n, mean, sd, 95% t-interval and quantiles.
 */
import { needMoreReplications, replicationsNeeded, summarize, type Summary } from './stats.ts';
import type { Cell, Row } from './table.ts';

/** One aggregated point for one metric: the `by` columns, `metric`, and the summary. */
export type AggregateRow = Row & Summary & { metric: string };

export interface AggregateOptions {
  /** Columns that identify a parameter point (e.g. ['policy', 'caching.capacity_bytes']). */
  by: string[];
  /** Metric columns; default: every numeric column not in `by` or `exclude`. */
  metrics?: string[];
  /** Columns never treated as metrics (default: seed, replication, run_id, hash, wall_time_s). */
  exclude?: string[];
}

export const DEFAULT_EXCLUDE = ['seed', 'replication', 'run_id', 'hash', 'scenario_hash', 'error', 'wall_time_s'];

/** Deterministic order of cells: null first, numbers numerically, then strings and booleans by text. */
export function compareCells(a: Cell | undefined, b: Cell | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a - b;
  }
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Group rows by the values of `by`, groups sorted by key (independent of row order). */
export function groupRows(rows: readonly Row[], by: readonly string[]): { key: Row; rows: Row[] }[] {
  const groups = new Map<string, { key: Row; rows: Row[] }>();
  for (const r of rows) {
    const key: Row = {};
    for (const c of by) key[c] = r[c] ?? null;
    const id = JSON.stringify(by.map((c) => key[c]));
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, rows: [] }));
    g.rows.push(r);
  }
  return [...groups.values()].sort((x, y) => {
    for (const c of by) {
      const d = compareCells(x.key[c], y.key[c]);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** Columns whose non-null values are all numbers (at least one), in first-seen order. */
export function numericColumns(rows: readonly Row[], exclude: readonly string[] = []): string[] {
  // per column: 0 = only nulls so far, 1 = numbers, 2 = something else seen
  const kind = new Map<string, number>();
  for (const r of rows) {
    for (const [c, v] of Object.entries(r)) {
      const k = kind.get(c) ?? 0;
      if (v === null || v === undefined || k === 2) {
        if (!kind.has(c)) kind.set(c, 0);
      } else kind.set(c, typeof v === 'number' ? 1 : 2);
    }
  }
  const ex = new Set(exclude);
  return [...kind.entries()].filter(([c, k]) => k === 1 && !ex.has(c)).map(([c]) => c);
}

function metricValues(rows: readonly Row[], metric: string): number[] {
  const out: number[] = [];
  for (const r of rows) {
    const v = r[metric];
    out.push(typeof v === 'number' ? v : NaN);
  }
  return out;
}

function metricsOf(rows: readonly Row[], opts: AggregateOptions): string[] {
  return opts.metrics ?? numericColumns(rows, [...opts.by, ...(opts.exclude ?? DEFAULT_EXCLUDE)]);
}

/**
 * Per point and metric: n, mean, sd, 95% t-interval, p05/p50/p95. Long format
 * (one row per point x metric), sorted by point then metric order. Non-numeric
 * or missing metric cells count in `n_nonfinite`, not in `n`.
 */
export function aggregate(rows: readonly Row[], opts: AggregateOptions): AggregateRow[] {
  const metrics = metricsOf(rows, opts);
  const out: AggregateRow[] = [];
  for (const g of groupRows(rows, opts.by)) {
    for (const m of metrics) out.push({ ...g.key, metric: m, ...summarize(metricValues(g.rows, m)) } as AggregateRow);
  }
  return out;
}

export interface PointNeed {
  key: Row;
  /** Finite replications so far (smallest over the metrics). */
  n: number;
  /** Estimated total replications to reach the precision (largest over the metrics). */
  target: number;
  /** Metrics that are not yet precise enough. */
  metrics: string[];
}

/**
 * Points whose 95% half-width is above relPrecision * |mean| for any of the
 * metrics (the `--precision` loop). Points absent from `rows` are not listed.
 */
export function pointsNeedingMore(rows: readonly Row[], opts: AggregateOptions, relPrecision: number, minN = 2): PointNeed[] {
  const metrics = metricsOf(rows, opts);
  const out: PointNeed[] = [];
  for (const g of groupRows(rows, opts.by)) {
    const bad: string[] = [];
    let n = Infinity;
    let target = 0;
    for (const m of metrics) {
      const v = metricValues(g.rows, m);
      const s = summarize(v);
      n = Math.min(n, s.n);
      if (needMoreReplications(v, relPrecision, minN)) {
        bad.push(m);
        target = Math.max(target, replicationsNeeded(v, relPrecision), minN);
      }
    }
    if (bad.length > 0) out.push({ key: g.key, n: Number.isFinite(n) ? n : 0, target, metrics: bad });
  }
  return out;
}
