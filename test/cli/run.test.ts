import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, formatError } from '../../sim/cli/errors.ts';
import { InputError } from '../../sim/common/errors.ts';
import { cli, tempDir } from '../helpers.ts';

const QS = 'scenarios/quickstart.yaml';
const small = ['--set', 'duration=5 min', '--set', 'warmup=0 s'];

describe('mei-sim run', () => {
  it('gives byte-identical metrics and CSVs for one seed, and different ones for another', () => {
    const d = tempDir();
    const outs = ['A', 'B', 'C'].map((n) => join(d, n));
    expect(cli(['run', QS, '--seed', '7', '--out', outs[0]!, ...small]).code).toBe(0);
    expect(cli(['run', QS, '--seed', '7', '--out', outs[1]!, ...small]).code).toBe(0);
    expect(cli(['run', QS, '--seed', '8', '--out', outs[2]!, ...small]).code).toBe(0);
    const metrics = (o: string) => JSON.stringify(JSON.parse(readFileSync(join(o, 'summary.json'), 'utf8')).metrics);
    const csv = (o: string) => readFileSync(join(o, 'requests.csv'), 'utf8');
    expect(metrics(outs[0]!)).toBe(metrics(outs[1]!));
    expect(csv(outs[0]!)).toBe(csv(outs[1]!));
    expect(metrics(outs[2]!)).not.toBe(metrics(outs[0]!));
    expect(csv(outs[2]!)).not.toBe(csv(outs[0]!));
    const summary = JSON.parse(readFileSync(join(outs[0]!, 'summary.json'), 'utf8'));
    for (const k of ['scenario_hash', 'seed', 'mei_sim_version', 'node_version', 'wall_time_s', 'events_processed', 'peak_rss_bytes']) {
      expect(summary.manifest).toHaveProperty(k);
    }
    expect(summary.manifest.seed).toBe(7);
    expect(summary.metrics.latency_p95_s).toBeGreaterThan(summary.metrics.latency_p50_s);
  });

  it('prints the summary with --json', () => {
    const d = tempDir();
    const r = cli(['run', QS, '--json', '--out', join(d, 'o'), ...small]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.metrics.requests_completed).toBeGreaterThan(0);
  });

  it('writes a metric without a value (NaN) as null and keeps its key', () => {
    const d = tempDir();
    const r = cli(['run', QS, '--no-plot', '--out', join(d, 'o'), '--set', 'duration=1 s', '--set', 'warmup=0 s']);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(d, 'o', 'summary.json'), 'utf8')).metrics;
    expect(m.requests_completed).toBe(0);
    expect(m).toHaveProperty('ttft_p95_s', null);
    expect(m).toHaveProperty('device_energy_j_per_request', null);
  });
});

describe('bad input', () => {
  const cases: { name: string; yaml?: string; args?: string[]; line: RegExp; path: RegExp }[] = [
    { name: 'broken YAML', yaml: 'name: bad\nduration: [1, 2\n', line: /bad\.yaml:3:1/, path: /broken YAML/ },
    { name: 'wrong type', yaml: 'name: bad\nduration: 10 min\ninference:\n  server:\n    slots: many\n', line: /bad\.yaml:5:12/, path: /inference\.server\.slots/ },
    { name: 'wrong unit', yaml: 'name: bad\nduration: 10 min\ntopology:\n  servers:\n    bandwidth: 20 MHzz\n', line: /bad\.yaml:5:16/, path: /topology\.servers\.bandwidth.*unknown unit "MHzz"/ },
    { name: 'negative capacity', yaml: 'name: bad\nduration: 10 min\ntopology:\n  servers:\n    storage: -5 GB\n', line: /bad\.yaml:5:14/, path: /topology\.servers\.storage.*>= 0/ },
    { name: 'unknown key', yaml: 'name: bad\nduration: 10 min\ntopology:\n  servers:\n    cuont: 3\n', line: /bad\.yaml:5:12/, path: /topology\.servers\.cuont.*did you mean "count"/ },
    { name: 'missing profile', yaml: 'name: bad\nduration: 10 min\ntopology:\n  servers:\n    device: l44\ninference: {}\n', line: /bad\.yaml:5:13/, path: /topology\.servers\.device: unknown hardware profile "l44"; did you mean "l4"\?/ },
    { name: 'missing file', args: ['run', 'no/such/file.yaml'], line: /no\/such\/file\.yaml:1:1/, path: /no such file/ },
    { name: 'missing extends target', yaml: 'extends: nothing-here.yaml\nname: bad\n', line: /bad\.yaml:1:10/, path: /extends: cannot read "nothing-here\.yaml"/ },
    { name: 'bad --set', args: ['run', 'scenarios/quickstart.yaml', '--set', 'inference.server.slots=0'], line: /--set inference\.server\.slots=0/, path: /inference\.server\.slots/ },
  ];
  for (const c of cases) {
    it(`${c.name}: one clear message with line and path, exit code 2, no output folder`, () => {
      const d = tempDir();
      const out = join(d, 'out');
      let args = c.args;
      if (c.yaml !== undefined) {
        writeFileSync(join(d, 'bad.yaml'), c.yaml);
        args = ['run', join(d, 'bad.yaml')];
      }
      const r = cli([...args!, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(c.line);
      expect(r.stderr).toMatch(c.path);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(d).filter((f) => f.startsWith('.mei-sim-tmp'))).toEqual([]);
    });
  }

  it('internal errors exit 1, with a stack trace only under --debug', () => {
    const bug = new TypeError('cannot read x of undefined');
    expect(exitCodeFor(bug)).toBe(1);
    expect(formatError(bug, false)).toMatch(/internal error: cannot read x.*\n\(run again with --debug/);
    expect(formatError(bug, false)).not.toMatch(/\n\s+at /);
    expect(formatError(bug, true)).toMatch(/\n\s+at /);
    expect(exitCodeFor(new InputError('f.yaml:1:1: x'))).toBe(2);
  });
});

describe('event trace', () => {
  it('--trace writes one JSON line per delivered event', () => {
    const d = tempDir();
    const out = join(d, 'o');
    expect(cli(['run', QS, '--trace', '--out', out, '--set', 'duration=1 min', '--set', 'warmup=0 s']).code).toBe(0);
    const lines = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(lines.length).toBe(summary.manifest.events_processed);
    const recs = lines.map((l) => JSON.parse(l));
    expect(recs.some((r) => r.entity === 'UserSource' && r.event === 'request-arrival')).toBe(true);
    for (let i = 1; i < recs.length; i++) expect(recs[i].t).toBeGreaterThanOrEqual(recs[i - 1].t);
  });
});
