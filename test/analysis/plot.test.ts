import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ecdf, forest, groupedBars, heatmap, lineWithCI, OKABE_ITO, roofline, timeline, titleFromField, type VlSpec } from '../../analysis/plot/kinds.ts';
import { FONT_FILE, renderSpec, renderSpecToStrings } from '../../analysis/plot/render.ts';
import type { Row } from '../../analysis/table.ts';

const dir = mkdtempSync(join(tmpdir(), 'mei-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sweep: Row[] = [];
for (const policy of ['lru', 'trimcaching-gen'])
  for (const cap of [1e9, 2e9, 4e9]) {
    const m = (policy === 'lru' ? 0.2 : 0.3) + 0.1 * Math.log2(cap / 1e9);
    sweep.push({ policy, 'caching.capacity_bytes': cap, mean: m, ci95_lo: m - 0.02, ci95_hi: m + 0.02 });
  }
const latencies: Row[] = [];
for (let i = 0; i < 400; i++) latencies.push({ policy: i % 2 ? 'a' : 'b', latency_s: ((i * 37) % 101) / 50 + (i % 2) });
const grid: Row[] = [];
for (const users of [5, 10, 20]) for (const d of [50, 100]) grid.push({ users, distance_m: d, latency_s: users * d * 1e-3 });
const trace: Row[] = [];
for (let i = 0; i < 40; i++) trace.push({ t: i * 0.25, value: (i * 7) % 5, series: i % 2 ? 'queue:edge0' : 'queue:edge1' });

// kind -> spec and the axis titles the SVG must show
const cases: [string, VlSpec, string[]][] = [
  [
    'line',
    lineWithCI(sweep, { x: 'caching.capacity_bytes', y: 'mean', lo: 'ci95_lo', hi: 'ci95_hi', series: 'policy', yTitle: 'hit ratio', logX: true }),
    ['caching.capacity (B)', 'hit ratio', 'policy'],
  ],
  ['bars', groupedBars(sweep, { category: 'policy', value: 'mean', series: 'caching.capacity_bytes', lo: 'ci95_lo', hi: 'ci95_hi', valueTitle: 'hit ratio' }), ['policy', 'hit ratio']],
  ['ecdf', ecdf(latencies, { value: 'latency_s', series: 'policy' }), ['latency (s)', 'empirical CDF']],
  [
    'roofline',
    roofline({
      peaks: [{ label: 'FP16', flops_per_s: 312e12 }],
      bandwidths: [{ label: 'HBM', bytes_per_s: 1.5e12 }],
      points: [
        { label: 'decode', intensity_flop_per_byte: 1, flops_per_s: 1.2e12, series: 'decode' },
        { label: 'prefill', intensity_flop_per_byte: 400, flops_per_s: 250e12, series: 'prefill' },
      ],
    }),
    ['arithmetic intensity (FLOP/byte)', 'performance (FLOP/s)', 'FP16', 'HBM'],
  ],
  ['heatmap', heatmap(grid, { x: 'users', y: 'distance_m', value: 'latency_s' }), ['users', 'distance (m)', 'latency (s)']],
  [
    'forest',
    forest(
      [
        { metric: 'hit_ratio', policy: 'trim', rel_diff_pct: 12, rel_lo_pct: 8, rel_hi_pct: 16 },
        { metric: 'latency_s', policy: 'trim', rel_diff_pct: -5, rel_lo_pct: -9, rel_hi_pct: -1 },
        { metric: 'hit_ratio', policy: 'opt', rel_diff_pct: 15, rel_lo_pct: 11, rel_hi_pct: 19 },
        { metric: 'latency_s', policy: 'opt', rel_diff_pct: 1, rel_lo_pct: -2, rel_hi_pct: 4 },
      ],
      { label: 'metric', value: 'rel_diff_pct', lo: 'rel_lo_pct', hi: 'rel_hi_pct', series: 'policy', valueTitle: 'difference vs baseline (%)' },
    ),
    ['difference vs baseline (%)', 'metric', 'hit_ratio', 'policy'],
  ],
  ['timeline', timeline(trace, { t: 't', value: 'value', series: 'series', valueTitle: 'queue length (jobs)' }), ['simulated time (s)', 'queue length (jobs)']],
];

describe('plot kinds render headless to SVG and PNG', () => {
  it.each(cases)('%s', async (name, spec, titles) => {
    const paths = await renderSpec(spec, join(dir, name));
    const png = readFileSync(paths.png);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(statSync(paths.png).size).toBeGreaterThan(1024);
    const svg = readFileSync(paths.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const t of titles) expect(svg).toContain(t);
    expect(svg).toContain('DejaVu Sans');
    // the saved .vl.json is the spec as given
    expect(JSON.parse(readFileSync(paths.vl, 'utf8'))).toEqual(JSON.parse(JSON.stringify(spec)));
  });

  it('colours series with the colour-blind-safe palette', async () => {
    const { svg } = await renderSpecToStrings(cases[0]![1]);
    expect(svg).toContain(OKABE_ITO[0]!);
    expect(svg).toContain(OKABE_ITO[1]!);
  });

  it('uses the bundled font file', () => {
    expect(statSync(FONT_FILE).size).toBeGreaterThan(100_000);
  });
});

describe('spec builders', () => {
  it('derive axis titles with units from column names', () => {
    expect(titleFromField('latency_s')).toBe('latency (s)');
    expect(titleFromField('caching.capacity_bytes')).toBe('caching.capacity (B)');
    expect(titleFromField('throughput_tokens_per_s')).toBe('throughput (token/s)');
    expect(titleFromField('energy_J')).toBe('energy (J)');
    expect(titleFromField('hit_ratio')).toBe('hit ratio');
  });

  it('ecdf thins large samples but keeps both ends and reaches 1', () => {
    const rows: Row[] = Array.from({ length: 10_000 }, (_, i) => ({ x_s: i }));
    const spec = ecdf(rows, { value: 'x_s', maxPoints: 100 });
    const values = (spec.data as { values: { value: number; cdf: number }[] }).values;
    expect(values.length).toBeLessThanOrEqual(100);
    expect(values[0]!.value).toBe(0);
    expect(values.at(-1)!).toEqual({ value: 9999, cdf: 1 });
    for (let i = 1; i < values.length; i++) expect(values[i]!.cdf).toBeGreaterThan(values[i - 1]!.cdf);
  });

  it('ecdf counts ties', () => {
    const spec = ecdf([{ v: 1 }, { v: 1 }, { v: 2 }, { v: 3 }], { value: 'v' });
    expect((spec.data as { values: unknown[] }).values).toEqual([
      { value: 1, cdf: 0.5 },
      { value: 2, cdf: 0.75 },
      { value: 3, cdf: 1 },
    ]);
  });

  it('roofline ceilings meet at the ridge point', () => {
    const spec = roofline({ peaks: [{ label: 'P', flops_per_s: 100 }], bandwidths: [{ label: 'B', bytes_per_s: 10 }], points: [] });
    const ceilings = ((spec.layer as { data: { values: Row[] } }[])[0]!.data.values);
    const bwEnd = ceilings.find((c) => c.kind === 'bandwidth' && c.order === 1)!;
    const peakStart = ceilings.find((c) => c.kind === 'compute' && c.order === 0)!;
    expect(bwEnd.i).toBe(10);
    expect(bwEnd.perf).toBe(100);
    expect(peakStart.i).toBe(10);
  });
});
