/**
 * `mei-sim compare` end to end on the quickstart (the policy axis is any
 * dotted key: here inference.server.slots), and `mei-sim plot` / `report` on
 * compare, sweep and run folders (handlers called in-process).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../analysis/load.ts';
import { inlineExecutor } from '../../analysis/sweep/executor.ts';
import { expandGrid } from '../../analysis/sweep/grid.ts';
import { runSweep } from '../../analysis/sweep/runner.ts';
import { policiesFrom, splitValues } from '../../sim/cli/commands/compare.ts';
import { plotCommand } from '../../sim/cli/commands/plot.ts';
import { reportCommand } from '../../sim/cli/commands/report.ts';
import { ROOT, tempDir, quiet } from '../helpers.ts';
import { cliRun as cli } from './sweep-fixture.ts';

const QS = join(ROOT, 'scenarios/quickstart.yaml');

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

/** #report-status of a report page after headless Chromium ran its scripts, or null without Chromium. */
function browserStatus(html: string): string | null {
  if (!CHROMIUM) return null;
  const profile = mkdtempSync(join(tmpdir(), 'mei-chromium-'));
  try {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=15000', '--dump-dom', pathToFileURL(html).href];
    const dom = execFileSync(CHROMIUM, args, { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    return dom.match(/<p id="report-status"[^>]*>/)?.[0] ?? '';
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}


const call = (cmd: { handler: (a: never) => unknown }, args: Record<string, unknown>) => quiet(() => cmd.handler({ _: [], $0: 'mei-sim', ...args } as never));

describe('mei-sim compare', () => {
  it('parses policy lists', () => {
    expect(splitValues('a,b')).toEqual(['a', 'b']);
    expect(splitValues('[1,2],{x: 3, y: 4},"p,q"')).toEqual(['[1,2]', '{x: 3, y: 4}', '"p,q"']);
    const p = policiesFrom(['caching.placement=trimcaching-gen,independent', 'caching.k=2,3']);
    expect(p.policies.map((x) => x.label)).toEqual(['trimcaching-gen+2', 'independent+3']);
    expect(p.policies[1]!.set).toEqual({ 'caching.placement': 'independent', 'caching.k': 3 });
    expect(() => policiesFrom(['a.b=1'])).toThrow(/at least two/);
  });

  it('runs the policies on common random numbers and writes the paired table, CSV, markdown, plot and report', async () => {
    const d = tempDir();
    const out = join(d, 'cmp');
    const r = cli(['compare', QS, '--policy', 'inference.server.slots=2,4', '--replications', '6', '--set', 'duration=6 min', '--set', 'warmup=0 s', '--workers', '2', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/paired differences \(policy - 2\)/);
    expect(r.stdout).toMatch(/edge_utilization/);
    const runs = readCsv(join(out, 'runs.csv'));
    expect(runs).toHaveLength(12);
    // the same seeds for both policies
    const seeds = (p: number) => runs.filter((x) => x.policy === p).map((x) => x.seed).sort();
    expect(seeds(2)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seeds(4)).toEqual(seeds(2));
    const cmp = readCsv(join(out, 'compare.csv'));
    const util = cmp.find((x) => x.metric === 'edge_utilization')!;
    expect(util.policy).toBe(4);
    expect(util.baseline).toBe(2);
    expect(util.n).toBe(6);
    // twice the slots: every pair has lower per-slot utilisation
    expect(util.win_rate).toBe(0);
    expect(util.ci95_hi as number).toBeLessThan(0);
    expect(util.p_value as number).toBeLessThan(0.01);
    // common random numbers: the same requests arrive under both policies
    const arrivals = cmp.find((x) => x.metric === 'requests_completed')!;
    expect(Math.abs(arrivals.mean_diff as number)).toBeLessThan(0.02 * (arrivals.mean_b as number));
    expect(readFileSync(join(out, 'compare.md'), 'utf8')).toMatch(/^\*\*paired differences[\s\S]*\| policy \| baseline \| metric \|/);
    expect(readFileSync(join(out, 'compare.svg'), 'utf8')).toContain('difference from 2 (%)');
    expect(statSync(join(out, 'compare.png')).size).toBeGreaterThan(1000);
    expect(JSON.parse(readFileSync(join(out, 'compare.vl.json'), 'utf8')).layer).toBeDefined();

    await call(reportCommand, { dir: out });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Comparison 2 vs 4');
    expect(html).toContain('paired differences');
    expect(html).toContain('data-lib="vega-embed"');
  });
});

describe('mei-sim plot and report', () => {
  it('renders every sweep plot kind, a run ECDF and a roofline, and reports a sweep and a run', async () => {
    const d = tempDir();
    const grid = expandGrid({
      name: 'pr',
      scenario: QS,
      set: { duration: '2 min', warmup: '0 s', 'topology.users.count': 20 },
      axes: [
        { label: 'inference.server.slots', keys: ['inference.server.slots'], values: [[1], [2]] },
        { label: 'topology.users.count', keys: ['topology.users.count'], values: [[10], [30]] },
      ],
      policies: null,
      replications: 2,
      plots: [{ kind: 'line', x: 'topology.users.count', y: 'latency_p50_s', series: 'inference.server.slots', log_x: false, log_y: false }],
    });
    const sweep = join(d, 'sweep');
    await runSweep(grid, { out: sweep, executor: inlineExecutor() });
    expect(readFileSync(join(sweep, 'plots', 'line-latency_p50_s.svg'), 'utf8')).toContain('latency p50 (s), mean ± 95% CI');

    await call(plotCommand, { dir: sweep, kind: 'bars', x: 'inference.server.slots', y: 'latency_p95_s', series: 'topology.users.count', out: join(d, 'bars') });
    await call(plotCommand, { dir: sweep, kind: 'heatmap', x: 'inference.server.slots', y: 'topology.users.count', value: 'edge_utilization', out: join(d, 'heat') });
    expect(readFileSync(join(d, 'bars.svg'), 'utf8')).toContain('latency p95 (s)');
    expect(readFileSync(join(d, 'heat.svg'), 'utf8')).toContain('topology.users.count');
    for (const f of ['bars.png', 'heat.png']) expect(statSync(join(d, f)).size).toBeGreaterThan(1000);

    await call(plotCommand, { kind: 'roofline', device: 'l4', model: 'llama-3.2-3b', 'weight-bits': 16, tokens: 256, out: join(d, 'roof') });
    expect(readFileSync(join(d, 'roof.svg'), 'utf8')).toContain('arithmetic intensity (FLOP/byte)');

    await call(reportCommand, { dir: sweep });
    const html = readFileSync(join(sweep, 'report.html'), 'utf8');
    expect(html).toContain('Sweep pr');
    expect(html).toContain('per point and metric');
    const status = browserStatus(join(sweep, 'report.html'));
    if (status === null) console.warn('compare-cli.test: no Chromium (apt-get install chromium): the sweep report is not opened in a browser');
    else {
      expect(status, status).toContain('data-errors="0"');
      expect(status).toContain('data-done="true"');
      expect(status).toContain('data-rendered="1"');
    }

    const run = join(d, 'run');
    const r = cli(['run', QS, '--set', 'duration=2 min', '--set', 'warmup=0 s', '--out', run, '--plot', 'false']);
    expect(r.code).toBe(0);
    const latency = Object.keys(readCsv(join(run, 'requests.csv'))[0]!).find((c) => c === 'e2e_s' || c === 'latency_s')!;
    await call(plotCommand, { dir: run, kind: 'ecdf', table: 'requests', value: latency, series: 'server' });
    expect(existsSync(join(run, 'plots', 'ecdf-requests.png'))).toBe(true);
    await call(plotCommand, { dir: run, kind: 'timeline', table: 'requests', x: 'arrival_s', y: latency, series: 'server' });
    expect(readFileSync(join(run, 'plots', 'timeline-requests.svg'), 'utf8')).toContain('arrival (s)');
    await call(reportCommand, { dir: run });
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toMatch(/<h2>Scenario<\/h2>[\s\S]*name: quickstart/);
  });
});
