/**
 * Sweep and compare robustness, in-process on a tiny quickstart grid:
 * summary.csv independent of the completion order, names checked before
 * anything runs, empty shards, resumes with another metrics list, the
 * --precision / --max-replications / --workers rules, and plot names.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeSweeps } from '../../analysis/distributed/merge.ts';
import { readCsv } from '../../analysis/load.ts';
import { forest } from '../../analysis/plot/kinds.ts';
import { inlineExecutor, type Executor } from '../../analysis/sweep/executor.ts';
import { expandGrid } from '../../analysis/sweep/grid.ts';
import { runSweep } from '../../analysis/sweep/runner.ts';
import { sweepCharts } from '../../analysis/sweep/outputs.ts';
import { loadSweep, type SweepDef } from '../../analysis/sweep/spec.ts';
import { runTask, type Task, type TaskResult } from '../../analysis/sweep/task.ts';
import { plotCommand } from '../../sim/cli/commands/plot.ts';
import { precisionRule, workerCount } from '../../sim/cli/commands/sweep.ts';
import { InputError } from '../../sim/common/errors.ts';
import { ROOT, tempDir, quiet } from '../helpers.ts';

const QS = join(ROOT, 'scenarios/quickstart.yaml');

function def(over: Partial<SweepDef> = {}): SweepDef {
  return {
    name: 'chk',
    scenario: QS,
    set: { duration: '1 min', warmup: '0 s', 'topology.users.count': 12 },
    axes: [{ label: 'inference.server.slots', keys: ['inference.server.slots'], values: [[1], [4]] }],
    policies: null,
    replications: 5,
    plots: [],
    ...over,
  };
}

/** Runs every task it is given at once and delivers the results in reverse order. */
function reversingExecutor(): Executor {
  let pending: { task: Task; resolve: (r: TaskResult) => void }[] = [];
  return {
    name: 'reversing',
    parallelism: 64,
    run: (task) =>
      new Promise((resolve) => {
        pending.push({ task, resolve });
        if (pending.length === 1) {
          setTimeout(async () => {
            const batch = pending.reverse();
            pending = [];
            const results: TaskResult[] = [];
            for (const p of batch) results.push(await runTask(p.task));
            batch.forEach((p, i) => p.resolve(results[i]!));
          }, 0);
        }
      }),
    close: async () => {},
  };
}

const text = (d: string, f: string) => readFileSync(join(d, f), 'utf8');

describe('sweep outputs do not depend on the completion order', () => {
  it('summary.csv is byte-identical when the runs complete in reverse order', async () => {
    const d = tempDir();
    const grid = expandGrid(def());
    await runSweep(grid, { out: join(d, 'inline'), executor: inlineExecutor() });
    await runSweep(grid, { out: join(d, 'reversed'), executor: reversingExecutor() });
    expect(text(join(d, 'reversed'), 'runs.csv')).toBe(text(join(d, 'inline'), 'runs.csv'));
    expect(text(join(d, 'reversed'), 'summary.csv')).toBe(text(join(d, 'inline'), 'summary.csv'));
  });
});

describe('names are checked before anything runs', () => {
  it('an unknown metric in metrics:, a plot or precision.metrics is bad input, with a did-you-mean; no folder is made', async () => {
    const d = tempDir();
    const out = join(d, 'never');
    const run = (over: Partial<SweepDef>) => runSweep(expandGrid(def(over)), { out, executor: inlineExecutor() });
    await expect(run({ metrics: ['latency_p95_s', 'edge_utilisation'] })).rejects.toThrow(/--metrics: no metric "edge_utilisation" \(did you mean edge_utilization\?\); available metrics: .*latency_p95_s/);
    await expect(run({ plots: [{ kind: 'line', x: 'inference.server.slots', y: 'hit_ratio', log_x: false, log_y: false }] })).rejects.toThrow(InputError);
    await expect(run({ plots: [{ kind: 'line', x: 'slots', y: 'latency_p95_s', log_x: false, log_y: false }] })).rejects.toThrow(
      /plots\[0\]\.x: no column "slots".*available columns \(parameters and policy\): inference\.server\.slots/,
    );
    // a plotted metric left out of metrics: would never reach runs.csv
    await expect(run({ metrics: ['edge_utilization'], plots: [{ kind: 'bars', x: 'inference.server.slots', y: 'latency_p95_s', log_x: false, log_y: false }] })).rejects.toThrow(/not in --metrics/);
    await expect(runSweep(expandGrid(def()), { out, executor: inlineExecutor(), precision: { target: 0.1, max_replications: 4, metrics: ['nosuch'] } })).rejects.toThrow(/precision\.metrics: no metric "nosuch"/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('shards', () => {
  it('a shard with no runs writes an empty, valid shard that merge accepts', async () => {
    const d = tempDir();
    const grid = expandGrid(def({ replications: 2, plots: [{ kind: 'line', x: 'inference.server.slots', y: 'latency_p95_s', log_x: false, log_y: false }] }));
    const full = await runSweep(grid, { out: join(d, 'full'), executor: inlineExecutor() });
    expect(full.total).toBe(4);
    const dirs: string[] = [];
    for (let i = 0; i < 6; i++) {
      const out = join(d, `shard${i}`);
      dirs.push(out);
      const r = await runSweep(grid, { out, executor: inlineExecutor(), shard: { index: i, count: 6 } });
      expect(r.status).toBe('complete');
      expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    }
    expect(readCsv(join(d, 'shard5', 'runs.csv'))).toEqual([]);
    const m = await mergeSweeps(dirs, join(d, 'merged'));
    expect(m.missing).toBe(0);
    expect(text(join(d, 'merged'), 'runs.csv')).toBe(text(join(d, 'full'), 'runs.csv'));
    expect(text(join(d, 'merged'), 'summary.csv')).toBe(text(join(d, 'full'), 'summary.csv'));
  });
});

describe('resuming with another metrics list', () => {
  it('keeps every column of runs.csv and runs again the runs that lack a metric asked for now', async () => {
    const d = tempDir();
    const out = join(d, 'cmp');
    const first = await runSweep(expandGrid(def({ metrics: ['latency_p95_s'] })), { out, executor: inlineExecutor() });
    expect(first.executed).toBe(10);
    const before = readCsv(join(out, 'runs.csv'));
    const second = await runSweep(expandGrid(def({ metrics: ['edge_utilization'] })), { out, executor: inlineExecutor() });
    expect(second.executed).toBe(10); // every run lacked edge_utilization
    const after = readCsv(join(out, 'runs.csv'));
    expect(after.map((r) => r.latency_p95_s)).toEqual(before.map((r) => r.latency_p95_s));
    for (const r of after) expect(typeof r.edge_utilization).toBe('number');
    // asking again for either metric runs nothing and drops nothing
    const third = await runSweep(expandGrid(def({ metrics: ['latency_p95_s'] })), { out, executor: inlineExecutor() });
    expect(third.executed).toBe(0);
    expect(readCsv(join(out, 'runs.csv'))).toEqual(after);
    // every metric now: the runs that kept two run again
    const all = await runSweep(expandGrid(def()), { out, executor: inlineExecutor() });
    expect(all.executed).toBe(10);
    expect(Object.keys(readCsv(join(out, 'runs.csv'))[0]!)).toContain('throughput_tok_s');
    const again = await runSweep(expandGrid(def()), { out, executor: inlineExecutor() });
    expect(again.executed).toBe(0);
  });
});

describe('command-line rules', () => {
  it('--precision and --max-replications follow the sweep file rules', () => {
    expect(precisionRule({ precision: '0.05' })).toEqual({ target: 0.05, max_replications: 100 });
    expect(precisionRule({ precision: '0.05', 'max-replications': '12' })).toEqual({ target: 0.05, max_replications: 12 });
    expect(precisionRule({ 'max-replications': '8' }, { target: 0.1, max_replications: 50 })).toEqual({ target: 0.1, max_replications: 8 });
    expect(precisionRule({})).toBeUndefined();
    for (const bad of ['-1', '0', '1', 'abc', '', 'NaN']) expect(() => precisionRule({ precision: bad }), bad).toThrow(/--precision .*expected a number between 0 and 1/);
    for (const bad of ['0', '1', '2.5', 'x']) expect(() => precisionRule({ precision: '0.1', 'max-replications': bad }), bad).toThrow(/--max-replications .*integer >= 2/);
    expect(() => precisionRule({ 'max-replications': '10' })).toThrow(/give --precision too/);
  });

  it('--workers is capped at the runs and at 2 per available core, and says so', () => {
    expect(workerCount(1000, 12, 2)).toEqual({ workers: 4, note: '--workers 1000: using 4 (at most 2 per available core (2))' });
    expect(workerCount(8, 3, 16)).toEqual({ workers: 3, note: '--workers 8: using 3 (one per run: 3 run(s) to do)' });
    expect(workerCount(2, 60, 2)).toEqual({ workers: 2 });
    expect(workerCount(undefined, 60, 8)).toEqual({ workers: 8 });
    expect(workerCount(undefined, 3, 8)).toEqual({ workers: 3 });
    expect(workerCount(4, 0, 8)).toEqual({ workers: 0 });
    expect(workerCount(0, 60, 8)).toEqual({ workers: 0 });
    expect(() => workerCount(-1, 10, 2)).toThrow(/integer >= 0/);
    expect(() => workerCount(NaN, 10, 2)).toThrow(/integer >= 0/);
  });
});

const plot = (args: Record<string, unknown>) => quiet(() => (plotCommand.handler as (a: never) => Promise<void>)({ _: [], $0: 'mei-sim', ...args } as never));

describe('mei-sim plot', () => {
  it('honours --out for the forest plot, refuses unknown columns, and does not cut the forest labels', async () => {
    const d = tempDir();
    const cmp = join(d, 'cmp');
    await runSweep(expandGrid(def({ axes: [], policies: [{ label: '1', set: { 'inference.server.slots': 1 } }, { label: '4', set: { 'inference.server.slots': 4 } }], replications: 3 })), {
      out: cmp,
      executor: inlineExecutor(),
      kind: 'compare',
      manifestExtra: { compare: { policies: ['1', '4'], baseline: '1', metrics: null } },
    });
    await plot({ dir: cmp, kind: 'forest', out: join(d, 'forest') });
    expect(existsSync(join(d, 'forest.svg'))).toBe(true);
    expect(existsSync(join(cmp, 'plots'))).toBe(false);
    await plot({ dir: cmp, out: join(d, 'all') });
    expect(existsSync(join(d, 'all', 'compare.svg'))).toBe(true);

    await expect(plot({ dir: cmp, kind: 'line', x: 'slots', y: 'latency_p95_s' })).rejects.toThrow(/--x: no column "slots".*available columns \(parameters and policy\): policy/);
    await expect(plot({ dir: cmp, kind: 'bars', x: 'policy', y: 'latency_p95_s', series: 'nope' })).rejects.toThrow(/--series: no column "nope"/);
    await expect(plot({ dir: cmp, kind: 'bars', x: 'policy', y: 'latency_p95' })).rejects.toThrow(/--y: no metric "latency_p95" \(did you mean latency_p95_s\?\)/);
    await expect(plot({ dir: cmp, kind: 'heatmap', x: 'policy', y: 'seed', value: 'latency_p95_s' })).rejects.toThrow(/--y: no column "seed"/);
    await expect(plot({ dir: cmp, kind: 'heatmap', x: 'policy', y: 'policy', value: 'latency' })).rejects.toThrow(/--value: no metric "latency"/);

    const spec = forest([{ metric: 'download_latency_p50_s', d: 1, lo: 0, hi: 2 }], { label: 'metric', value: 'd', lo: 'lo', hi: 'hi' });
    expect(JSON.stringify(spec)).toContain('"labelLimit":0');
  });
});

describe('sweep output folders', () => {
  it('a sweep or merge never writes into a folder mei-sim did not write', async () => {
    const d = tempDir();
    const mine = join(d, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'summary.csv'), 'my own numbers');
    writeFileSync(join(mine, 'manifest.json'), '{"mine":1}');
    const grid = expandGrid(def({ replications: 1, axes: [] }));
    await expect(quiet(() => runSweep(grid, { out: mine, executor: inlineExecutor() }))).rejects.toThrow(/is not a mei-sim output/);
    await expect(mergeSweeps([mine], mine)).rejects.toThrow(/mei-sim|not a/);
    expect(readFileSync(join(mine, 'summary.csv'), 'utf8')).toBe('my own numbers');
  });

  it('rows of an earlier grid go to runs.previous.csv, then runs.previous-2.csv: an earlier copy is never overwritten', async () => {
    const d = tempDir();
    const out = join(d, 'o');
    const run = (duration: string) => quiet(() => runSweep(expandGrid(def({ replications: 1, axes: [], set: { ...def().set, duration } })), { out, executor: inlineExecutor() }));
    await run('1 min');
    const first = readFileSync(join(out, 'runs.csv'), 'utf8');
    await run('2 min');
    await run('3 min');
    expect(readFileSync(join(out, 'runs.previous.csv'), 'utf8')).toBe(first);
    expect(existsSync(join(out, 'runs.previous-2.csv'))).toBe(true);
    expect(readFileSync(join(out, 'runs.previous-2.csv'), 'utf8')).not.toBe(first);
  });
});

describe('line plots of a zip axis', () => {
  it('the zip partner of the x axis (the positions behind a distance) does not split the lines', async () => {
    const d = tempDir();
    const base = loadSweep(join(ROOT, 'scenarios/sweeps/inference-distance.yaml'));
    const sweep = { ...base, replications: 1, set: { ...base.set, duration: '2 min', warmup: '0 s' } };
    await quiet(() => runSweep(expandGrid(sweep), { out: join(d, 'o'), executor: inlineExecutor() }));
    const spec = JSON.parse(readFileSync(join(d, 'o', 'plots', 'line-e2e_mean_s.vl.json'), 'utf8'));
    const colors = JSON.stringify(spec).match(/"color":\{"field":"([^"]+)"/g) ?? [];
    expect(colors.length).toBeGreaterThan(0);
    for (const c of colors) expect(c).toBe('"color":{"field":"policy"');
  });
});

describe('CI bands of quantities that do not go negative', () => {
  it('are drawn from 0 at the lowest when every point is non-negative, and left alone otherwise', () => {
    const row = (x: number, lo: number, p05: number) => ({ metric: 'round_time_s', x, policy: 'fl', n: 5, n_nonfinite: 0, mean: 1, sd: 1, ci95_lo: lo, ci95_hi: 3, half_width: 2, p05, p50: 1, p95: 2 });
    const info = { parameters: ['x'], policy_column: 'policy' };
    const plot = { kind: 'line' as const, x: 'x', y: 'round_time_s', series: 'policy', log_x: false, log_y: false };
    const values = (rows: ReturnType<typeof row>[]) => JSON.stringify(sweepCharts(rows, info, [plot])[0]!.spec);
    expect(values([row(1, -1650, 0.2), row(2, 0.5, 0.3)])).not.toContain('-1650');
    expect(values([row(1, -1650, -0.2), row(2, 0.5, 0.3)])).toContain('-1650');
  });
});

describe('points that average fewer runs', () => {
  it('are named under the title, with n of the runs; a plot where every run gave a value has no subtitle', async () => {
    const row = (policy: string, x: number, n: number, nn: number) => ({ metric: 'round_time_s', x, policy, n, n_nonfinite: nn, mean: 1, sd: 1, ci95_lo: 0.5, ci95_hi: 3, half_width: 2, p05: 0.2, p50: 1, p95: 2 });
    const info = { parameters: ['x'], policy_column: 'policy' };
    const plot = { kind: 'line' as const, x: 'x', y: 'round_time_s', series: 'policy', log_x: false, log_y: false };
    const title = (rows: ReturnType<typeof row>[]) => sweepCharts(rows, info, [plot])[0]!.spec.title as { text: string; subtitle: string[] } | string;
    expect(title([row('fl', 1, 5, 0), row('sl', 1, 5, 0)])).toBe('round time (s) vs x');
    const t = title([row('fl', 1, 5, 0), row('sl', 1, 4, 1), row('sl', 2, 3, 2)]);
    expect(typeof t).toBe('object');
    expect((t as { subtitle: string[] }).subtitle).toEqual(['2 points average fewer runs (the others gave no value):', 'sl at x = 1: 4 of 5 runs', 'sl at x = 2: 3 of 5 runs', 'see n_nonfinite in summary.csv']);
    // a policy that never reports the metric (n = 0 everywhere) is not a partial point
    expect(title([row('fl', 1, 5, 0), row('optimal-only', 1, 0, 5)])).toBe('round time (s) vs x');
    // vega renders the subtitle (no exception, text in the SVG)
    const { renderSpec } = await import('../../analysis/plot/render.ts');
    const d = tempDir();
    await renderSpec(sweepCharts([row('fl', 1, 5, 0), row('sl', 1, 4, 1)], info, [plot])[0]!.spec, join(d, 'p'));
    expect(readFileSync(join(d, 'p.svg'), 'utf8')).toContain('4 of 5');
  });
});
