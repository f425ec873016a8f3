import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { aggregate, groupRows, numericColumns, pointsNeedingMore } from '../../analysis/aggregate.ts';
import { comparePaired, compareTable, COMPARE_COLUMNS, relativeDiffRows } from '../../analysis/compare.ts';
import { summarize } from '../../analysis/stats.ts';
import { formatCell, toMarkdown, toText } from '../../analysis/table.ts';
import type { Row } from '../../analysis/table.ts';

// a small sweep: 2 policies x 2 capacities x 5 seeds; 'trim' is 0.05 better on the same seed
function sweepRows(): Row[] {
  const rows: Row[] = [];
  for (const cap of [2e9, 1e9])
    for (let seed = 1; seed <= 5; seed++) {
      const noise = seedrandom.alea(`noise:${cap}:${seed}`)() * 0.2; // common to both policies (CRN)
      for (const policy of ['lru', 'trim']) {
        const hit = 0.3 + (cap === 2e9 ? 0.1 : 0) + noise + (policy === 'trim' ? 0.05 : 0);
        rows.push({ policy, capacity_bytes: cap, seed, hit_ratio: hit, latency_s: 1 - hit, note: 'x', wall_time_s: 0.01 });
      }
    }
  return rows;
}

describe('aggregate', () => {
  it('summarizes each point and metric, sorted by key whatever the row order', () => {
    const rows = sweepRows();
    const agg = aggregate(rows, { by: ['policy', 'capacity_bytes'] });
    expect(agg).toHaveLength(2 * 2 * 2);
    expect(agg.map((r) => [r.policy, r.capacity_bytes, r.metric])).toEqual([
      ['lru', 1e9, 'hit_ratio'],
      ['lru', 1e9, 'latency_s'],
      ['lru', 2e9, 'hit_ratio'],
      ['lru', 2e9, 'latency_s'],
      ['trim', 1e9, 'hit_ratio'],
      ['trim', 1e9, 'latency_s'],
      ['trim', 2e9, 'hit_ratio'],
      ['trim', 2e9, 'latency_s'],
    ]);
    const first = agg[0]!;
    const values = rows.filter((r) => r.policy === 'lru' && r.capacity_bytes === 1e9).map((r) => r.hit_ratio as number);
    expect(first.n).toBe(5);
    expect(first).toMatchObject(summarize(values));
    expect(aggregate(rows.slice().reverse(), { by: ['policy', 'capacity_bytes'] })).toEqual(agg);
  });

  it('finds numeric metric columns, excluding seeds and keys', () => {
    expect(numericColumns(sweepRows(), ['seed', 'capacity_bytes', 'wall_time_s'])).toEqual(['hit_ratio', 'latency_s']);
    expect(numericColumns([{ a: null, b: 1 }, { a: 2, b: 'x' }])).toEqual(['a']);
  });

  it('groups numbers numerically, not as text', () => {
    const g = groupRows([{ k: 10 }, { k: 9 }, { k: 100 }], ['k']);
    expect(g.map((x) => x.key.k)).toEqual([9, 10, 100]);
  });

  it('lists points that are not yet precise enough', () => {
    const rows: Row[] = [
      { p: 'tight', y: 100 },
      { p: 'tight', y: 100.1 },
      { p: 'tight', y: 99.9 },
      { p: 'loose', y: 50 },
      { p: 'loose', y: 150 },
    ];
    const need = pointsNeedingMore(rows, { by: ['p'], metrics: ['y'] }, 0.05);
    expect(need).toHaveLength(1);
    expect(need[0]!.key).toEqual({ p: 'loose' });
    expect(need[0]!.n).toBe(2);
    expect(need[0]!.target).toBeGreaterThan(2);
    expect(need[0]!.metrics).toEqual(['y']);
  });
});

describe('comparePaired', () => {
  it('pairs rows by seed and point, and finds the common-random-number difference exactly', () => {
    const rows = sweepRows();
    const cmp = comparePaired(rows, { policyColumn: 'policy', seedColumn: 'seed', baseline: 'lru', by: ['capacity_bytes'], metrics: ['hit_ratio', 'latency_s'] });
    expect(cmp).toHaveLength(4);
    for (const c of cmp) {
      expect(c.policy).toBe('trim');
      expect(c.baseline).toBe('lru');
      expect(c.n).toBe(5);
      const sign = c.metric === 'hit_ratio' ? 1 : -1;
      expect(c.mean_diff).toBeCloseTo(sign * 0.05, 12);
      expect(c.win_rate).toBe(c.metric === 'hit_ratio' ? 1 : 0);
      expect(c.p_value).toBeLessThan(1e-6);
    }
    const table = compareTable(cmp, ['capacity_bytes']);
    expect(table.columns).toEqual(['capacity_bytes', ...COMPARE_COLUMNS]);
    expect(table.rows[0]).toEqual(table.columns.map((c) => cmp[0]![c]));
    const rel = relativeDiffRows(cmp);
    const hit1g = cmp.find((c) => c.metric === 'hit_ratio' && c.capacity_bytes === 1e9)!;
    expect(rel[0]!.rel_diff_pct).toBeCloseTo((100 * 0.05) / hit1g.mean_b, 10);
  });

  it('defaults to sorted policies with the first as baseline and skips unmatched seeds', () => {
    const all = sweepRows();
    // without `by`, two capacities share seeds: ambiguous pairs are an error
    expect(() => comparePaired(all, { policyColumn: 'policy', seedColumn: 'seed' })).toThrow(/two rows/);
    const rows = all.filter((r) => r.capacity_bytes === 1e9 && !(r.policy === 'trim' && r.seed === 5));
    const cmp = comparePaired(rows, { policyColumn: 'policy', seedColumn: 'seed', metrics: ['hit_ratio'] });
    expect(cmp).toHaveLength(1);
    expect(cmp[0]).toMatchObject({ policy: 'trim', baseline: 'lru', n: 4 });
    expect(() => comparePaired(rows, { policyColumn: 'policy', seedColumn: 'seed', baseline: 'nope' })).toThrow(/baseline/);
  });
});

describe('tables', () => {
  const t = { title: 'cmp', columns: ['metric', 'mean_diff', 'p_value'], rows: [['hit|ratio', 0.0500001, 1e-9], { metric: 'latency_s', mean_diff: -12345678, p_value: null }] };
  it('formats markdown with escaped pipes', () => {
    const md = toMarkdown(t);
    expect(md).toContain('| metric | mean_diff | p_value |');
    expect(md).toContain('| hit\\|ratio | 0.05 | 1.000e-9 |');
    expect(md).toContain('| latency_s | -12345678 |  |');
  });
  it('aligns plain text columns', () => {
    const lines = toText(t).trimEnd().split('\n');
    expect(lines[0]).toBe('cmp');
    expect(new Set(lines.slice(1, 3).map((l) => l.length)).size).toBe(1);
    expect(formatCell(Infinity)).toBe('inf');
    expect(formatCell(1234.5678)).toBe('1235');
  });
});
