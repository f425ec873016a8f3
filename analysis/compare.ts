/**
 * Paired comparison of policies run on common random numbers: rows of the
 * same point and seed are matched across policies and differenced against a
 * baseline policy, per metric.
 */
import { compareCells, DEFAULT_EXCLUDE, groupRows, numericColumns } from './aggregate.ts';
import { paired, type Paired } from './stats.ts';
import type { Row, TableData } from './table.ts';

export interface CompareOptions {
  /** Column holding the policy label (e.g. 'policy'). */
  policyColumn: string;
  /** Column holding the seed; rows with equal seed (and `by` values) are paired. */
  seedColumn: string;
  /** Policy every other policy is compared against; default: the first of `policies`. */
  baseline?: string;
  /** Policy order; default: distinct values of the policy column, sorted. */
  policies?: string[];
  /** Metric columns; default: every numeric column except seed/policy/by/DEFAULT_EXCLUDE. */
  metrics?: string[];
  /** Extra parameter columns that must also match for a pair (a comparison per point). */
  by?: string[];
}

/** One (point, policy, metric) comparison: policy minus baseline. win_rate = P(policy > baseline). */
export type CompareRow = Row & Paired & { policy: string; baseline: string; metric: string };

export function comparePaired(rows: readonly Row[], opts: CompareOptions): CompareRow[] {
  const by = opts.by ?? [];
  const pc = opts.policyColumn;
  const policies =
    opts.policies ??
    [...new Set(rows.map((r) => r[pc]).filter((v) => v !== null && v !== undefined))].sort(compareCells).map(String);
  if (policies.length === 0) return [];
  const baseline = opts.baseline ?? policies[0]!;
  if (!policies.includes(baseline)) throw new Error(`compare: baseline "${baseline}" is not among the policies ${policies.join(', ')}`);
  const metrics = opts.metrics ?? numericColumns(rows, [pc, opts.seedColumn, ...by, ...DEFAULT_EXCLUDE]);
  const out: CompareRow[] = [];
  for (const g of groupRows(rows, by)) {
    // seed -> policy -> row
    const bySeed = new Map<string, Map<string, Row>>();
    for (const r of g.rows) {
      const seed = JSON.stringify(r[opts.seedColumn] ?? null);
      let m = bySeed.get(seed);
      if (!m) bySeed.set(seed, (m = new Map()));
      const p = String(r[pc]);
      if (m.has(p)) throw new Error(`compare: two rows for policy "${p}" and seed ${seed}`);
      m.set(p, r);
    }
    const seeds = [...bySeed.keys()].sort();
    for (const policy of policies) {
      if (policy === baseline) continue;
      for (const metric of metrics) {
        const a: number[] = [];
        const b: number[] = [];
        for (const s of seeds) {
          const m = bySeed.get(s)!;
          const ra = m.get(policy);
          const rb = m.get(baseline);
          if (!ra || !rb) continue;
          const va = ra[metric];
          const vb = rb[metric];
          a.push(typeof va === 'number' ? va : NaN);
          b.push(typeof vb === 'number' ? vb : NaN);
        }
        out.push({ ...g.key, policy, baseline, metric, ...paired(a, b) } as CompareRow);
      }
    }
  }
  return out;
}

/** Columns of the comparison table, in display order. */
export const COMPARE_COLUMNS = ['policy', 'baseline', 'metric', 'n', 'mean_a', 'mean_b', 'mean_diff', 'ci95_lo', 'ci95_hi', 'rel_diff', 'p_value', 'win_rate'];

/** The comparison as a table (for toText / toMarkdown / the report); `by` columns first. */
export function compareTable(rows: readonly CompareRow[], by: string[] = [], title = 'paired differences (policy - baseline)'): TableData {
  const columns = [...by, ...COMPARE_COLUMNS];
  return { title, columns, rows: rows.map((r) => columns.map((c) => r[c] ?? null)) };
}

/**
 * Rows for the forest plot: differences relative to the baseline mean, in
 * percent, so metrics with different units share one axis. Metrics whose
 * baseline mean is 0 are left out.
 */
export function relativeDiffRows(rows: readonly CompareRow[]): Row[] {
  const out: Row[] = [];
  for (const r of rows) {
    const scale = Math.abs(r.mean_b);
    if (!(scale > 0)) continue;
    out.push({
      metric: r.metric,
      policy: r.policy,
      rel_diff_pct: (100 * r.mean_diff) / scale,
      rel_lo_pct: (100 * r.ci95_lo) / scale,
      rel_hi_pct: (100 * r.ci95_hi) / scale,
    });
  }
  return out;
}
