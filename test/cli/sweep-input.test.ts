/**
 * Bad input to `mei-sim sweep` and `mei-sim compare` (child processes, like a
 * user): exit code 2 with a message, before anything runs or is written.
 * And --workers above the machine is capped (with a note) without changing
 * the results.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.ts';
import { cliRun } from '../analysis/sweep-fixture.ts';

const QS = join(ROOT, 'scenarios/quickstart.yaml');

function sweepFile(dir: string, plotY = 'latency_p95_s'): string {
  const f = join(dir, 's.yaml');
  writeFileSync(
    f,
    [
      `scenario: ${QS}`,
      'set: { duration: 1 min, warmup: 0 s, topology.users.count: 12 }',
      'parameters:',
      '  inference.server.slots: [1, 4]',
      'replications: 2',
      'plots:',
      `  - { kind: line, x: inference.server.slots, y: ${plotY} }`,
    ].join('\n'),
  );
  return f;
}

describe('sweep and compare: bad input stops before running', () => {
  it('compare --metrics with an unknown name exits 2, runs nothing, writes nothing', () => {
    const d = tempDir();
    const out = join(d, 'cmp');
    const r = cliRun(['compare', QS, '--policy', 'inference.server.slots=1,4', '--replications', '2', '--set', 'duration=1 min', '--set', 'warmup=0 s', '--metrics', 'latency_p95_s,nosuch', '--workers', '0', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^mei-sim: --metrics: no metric "nosuch"; available metrics: .*latency_p95_s/);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('an unknown plot metric in a sweep file exits 2 with a did-you-mean, runs nothing', () => {
    const d = tempDir();
    const out = join(d, 'out');
    const r = cliRun(['sweep', sweepFile(d, 'latency_p59_s'), '--workers', '0', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/s\.yaml: plots\[0\]\.y: no metric "latency_p59_s" \(did you mean latency_p\d\d_s\?\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('--precision, --max-replications and --shard are checked like the sweep file keys', () => {
    const d = tempDir();
    const f = sweepFile(d);
    const out = join(d, 'out');
    for (const [args, msg] of [
      [['--precision', 'abc'], /--precision abc: expected a number between 0 and 1/],
      [['--precision', '-1'], /--precision -1: expected a number between 0 and 1/],
      [['--precision', '0.1', '--max-replications', '0'], /--max-replications 0: expected an integer >= 2/],
      [['--shard', '-1/2'], /--shard -1\/2: expected i\/N with 0 <= i < N/],
      [['--shard'], /Not enough arguments following: shard/], // a yargs parse error: exit 2, not an internal error
    ] as const) {
      const r = cliRun(['sweep', f, '--workers', '0', '--out', out, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('an unreachable Redis fails within seconds with exit 2', () => {
    const d = tempDir();
    const t0 = Date.now();
    const r = cliRun(['sweep', sweepFile(d), '--backend', 'bullmq', '--redis', 'redis://127.0.0.1:1', '--out', join(d, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--redis redis:\/\/127\.0\.0\.1:1: cannot reach Redis \(.*ECONNREFUSED.*\)/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(existsSync(join(d, 'out'))).toBe(false);
  });
});

describe('sweep --workers', () => {
  it('is capped at the runs of the grid, says so, and gives the results of --workers 0', () => {
    const d = tempDir();
    const f = sweepFile(d);
    const many = cliRun(['sweep', f, '--workers', '1000', '--out', join(d, 'many')]);
    expect(many.code).toBe(0);
    expect(many.stderr).toMatch(/^mei-sim: --workers 1000: using [1-4] \(/);
    const inline = cliRun(['sweep', f, '--workers', '0', '--out', join(d, 'inline')]);
    expect(inline.code).toBe(0);
    expect(inline.stderr).toBe('');
    for (const file of ['runs.csv', 'summary.csv']) expect(readFileSync(join(d, 'many', file), 'utf8')).toBe(readFileSync(join(d, 'inline', file), 'utf8'));
  });
});
