import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeSweeps } from '../../analysis/distributed/merge.ts';
import { decode, encode } from '../../analysis/distributed/codec.ts';
import { inlineExecutor, poolExecutor } from '../../analysis/sweep/executor.ts';
import { expandGrid, gridRuns } from '../../analysis/sweep/grid.ts';
import { readCsv } from '../../analysis/load.ts';
import { parseShard, runSweep, shardRuns } from '../../analysis/sweep/runner.ts';
import { loadSweep, rangeValues, type SweepDef } from '../../analysis/sweep/spec.ts';
import { summarize } from '../../analysis/stats.ts';
import { InputError } from '../../sim/common/errors.ts';
import { ROOT, tempDir } from '../helpers.ts';

const QS = join(ROOT, 'scenarios/quickstart.yaml');
const SHORT = { duration: '2 min', warmup: '0 s', 'topology.users.count': 20 };

function def(over: Partial<SweepDef> = {}): SweepDef {
  return {
    name: 't',
    scenario: QS,
    set: SHORT,
    axes: [
      { label: 'inference.server.slots', keys: ['inference.server.slots'], values: [[1], [4]] },
      { label: 'inference.requests.rate_per_user', keys: ['inference.requests.rate_per_user'], values: [['1 /min'], ['3 /min']] },
    ],
    policies: null,
    replications: 3,
    plots: [],
    ...over,
  };
}

describe('sweep files', () => {
  it('expands linear, stepped and log ranges, with units', () => {
    expect(rangeValues({ from: 1, to: 3, steps: 5, scale: 'linear', integer: false })).toEqual([1, 1.5, 2, 2.5, 3]);
    expect(rangeValues({ from: 0.1, to: 0.5, step: 0.1, scale: 'linear', integer: false })).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(rangeValues({ from: 1, to: 1000, steps: 4, scale: 'log', integer: false })).toEqual([1, 10, 100, 1000]);
    expect(rangeValues({ from: '1 GB', to: '4 GB', steps: 4, scale: 'linear', integer: false })).toEqual(['1 GB', '2 GB', '3 GB', '4 GB']);
    expect(rangeValues({ from: 1, to: 10, steps: 6, scale: 'log', integer: true })).toEqual([1, 2, 3, 4, 6, 10]);
    expect(() => rangeValues({ from: '1 GB', to: '4 MB', steps: 2, scale: 'linear', integer: false })).toThrow(/same unit/);
  });

  it('reads values, range, zip and policies; reports bad input with file:line:col', () => {
    const d = tempDir();
    const f = join(d, 's.yaml');
    writeFileSync(
      f,
      [
        `scenario: ${QS}`,
        'set: { duration: 2 min, warmup: 0 s }',
        'parameters:',
        '  inference.server.slots: [1, 2]',
        '  load:',
        '    zip:',
        '      topology.users.count: [10, 20, 40]',
        '      inference.requests.rate_per_user: [4 /min, 2 /min, 1 /min]',
        'policies: { key: inference.weight_bits, values: [16, 8] }',
        'replications: 2',
        'seed: 10',
      ].join('\n'),
    );
    const grid = expandGrid(loadSweep(f));
    expect(grid.points).toHaveLength(2 * 3 * 2);
    expect(grid.paramColumns).toEqual(['inference.server.slots', 'topology.users.count', 'inference.requests.rate_per_user']);
    expect(grid.policyColumn).toBe('policy');
    expect(grid.seeds).toEqual([10, 11]);
    // zipped keys move together; the column holds the validated SI value (requests per second)
    const p = grid.points.find((x) => x.params['topology.users.count'] === 40 && x.policy === '8')!;
    expect(p.params['inference.requests.rate_per_user']).toBeCloseTo(1 / 60, 12);
    expect(p.scenario.duration).toBe(120);
    expect(new Set(grid.points.map((x) => x.hash)).size).toBe(grid.points.length);

    writeFileSync(f, `scenario: ${QS}\nparameters:\n  inference.server.slots: { valuez: [1] }\n`);
    expect(() => loadSweep(f)).toThrow(/s\.yaml:3:\d+/);
    writeFileSync(f, `scenario: ${QS}\nreplications: 0\n`);
    expect(() => loadSweep(f)).toThrow(/s\.yaml:2:15: replications/);
    // a value the scenario schema rejects names the point and the --set
    writeFileSync(f, `scenario: ${QS}\nparameters:\n  inference.server.slots: [2, 0]\n`);
    expect(() => expandGrid(loadSweep(f))).toThrow(InputError);
    expect(() => expandGrid(loadSweep(f))).toThrow(/point inference\.server\.slots=0[\s\S]*--set inference\.server\.slots=0/);
  });

  it('keeps NaN and infinities through the JSON codec', () => {
    const v = { a: NaN, b: Infinity, c: -Infinity, d: [1, 'x', null] };
    expect(decode(encode(v))).toEqual(v);
  });
});

describe('sweep runner', () => {
  it('same runs.csv inline, on 2 threads, and as 3 shards merged', async () => {
    const grid = expandGrid(def());
    const d = tempDir();
    const a = await runSweep(grid, { out: join(d, 'inline'), executor: inlineExecutor() });
    expect(a.status).toBe('complete');
    expect(a.executed).toBe(12);
    const pool = poolExecutor(2);
    try {
      await runSweep(grid, { out: join(d, 'pool'), executor: pool });
    } finally {
      await pool.close();
    }
    const csv = (o: string) => readFileSync(join(d, o, 'runs.csv'), 'utf8');
    expect(csv('pool')).toBe(csv('inline'));
    const rows = readCsv(join(d, 'inline', 'runs.csv'));
    expect(rows).toHaveLength(12);
    expect(Object.keys(rows[0]!).slice(0, 5)).toEqual(['inference.server.slots', 'inference.requests.rate_per_user', 'seed', 'scenario_hash', 'error']);
    // slots=1 at the higher rate queues more than slots=4 (the parameters reached the runs)
    const mean = (slots: number) => summarize(rows.filter((r) => r['inference.server.slots'] === slots).map((r) => r.latency_p95_s as number)).mean;
    expect(mean(1)).toBeGreaterThan(mean(4));

    const parts = [0, 1, 2].map((i) => parseShard(`${i}/3`));
    const sizes = parts.map((s) => shardRuns(gridRuns(grid), s).length);
    expect(sizes).toEqual([4, 4, 4]);
    for (const s of parts) await runSweep(grid, { out: join(d, `shard${s.index}`), executor: inlineExecutor(), shard: s });
    const partial = await mergeSweeps([join(d, 'shard0'), join(d, 'shard2')], join(d, 'partial'));
    expect(partial.missing).toBe(4);
    const m = await mergeSweeps([0, 1, 2].map((i) => join(d, `shard${i}`)), join(d, 'merged'));
    expect(m.missing).toBe(0);
    expect(csv('merged')).toBe(csv('inline'));
    expect(readFileSync(join(d, 'merged', 'summary.csv'), 'utf8')).toBe(readFileSync(join(d, 'inline', 'summary.csv'), 'utf8'));
    expect(() => parseShard('3/3')).toThrow(/0 <= i < N/);
  });

  it('records a run that throws and goes on; a re-run retries only the failed runs', async () => {
    const grid = expandGrid(def());
    const bad = grid.points[1]!;
    const good = bad.scenario;
    (bad as { scenario: unknown }).scenario = { ...good, inference: { ...good.inference, server: null } };
    const d = tempDir();
    const r = await runSweep(grid, { out: d, executor: inlineExecutor() });
    expect(r.status).toBe('complete');
    expect(r.failed).toBe(3);
    const rows = readCsv(join(d, 'runs.csv'));
    expect(rows).toHaveLength(12);
    const failed = rows.filter((x) => x.error !== null);
    expect(failed).toHaveLength(3);
    expect(new Set(failed.map((x) => x.scenario_hash))).toEqual(new Set([bad.hash]));
    expect(failed[0]!.latency_p50_s).toBeNull();
    expect(rows.find((x) => x.error === null)!.latency_p50_s).toBeGreaterThan(0);
    expect(String(failed[0]!.error)).toMatch(/TypeError/);
    // fixed: the re-run runs the 3 failed runs only
    (bad as { scenario: unknown }).scenario = good;
    const again = await runSweep(grid, { out: d, executor: inlineExecutor() });
    expect(again.executed).toBe(3);
    expect(again.skipped).toBe(9);
    expect(readCsv(join(d, 'runs.csv')).filter((x) => x.error !== null)).toHaveLength(0);
  });

  it('--precision adds replications until the CI half-width is within the target, or the cap', async () => {
    const grid = expandGrid(def({ axes: [def().axes[0]!], replications: 2 }));
    const d = tempDir();
    const precision = { target: 0.03, max_replications: 12, metrics: ['latency_p50_s'] };
    const r = await runSweep(grid, { out: d, executor: inlineExecutor(), precision });
    expect(r.rounds).toBeGreaterThan(1);
    const rows = readCsv(join(d, 'runs.csv'));
    for (const p of grid.points) {
      const xs = rows.filter((x) => x.scenario_hash === p.hash).map((x) => x.latency_p50_s as number);
      const s = summarize(xs);
      expect(xs.length).toBeGreaterThanOrEqual(2);
      expect(xs.length).toBeLessThanOrEqual(12);
      expect(s.half_width <= 0.03 * s.mean || xs.length === 12).toBe(true);
    }
    expect(rows.length).toBeGreaterThan(4);
    // the seeds continue 1, 2, 3, ... per point: common random numbers across points
    const seeds = (h: string) => rows.filter((x) => x.scenario_hash === h).map((x) => x.seed as number);
    const s0 = seeds(grid.points[0]!.hash);
    expect(s0).toEqual(Array.from({ length: s0.length }, (_, i) => i + 1));
  });
});
