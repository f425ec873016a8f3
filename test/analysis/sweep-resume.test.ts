/**
 * Ctrl-C part-way through `mei-sim sweep` leaves whole rows; a re-run
 * completes only the missing runs (after cutting a torn last line, as a
 * hard kill could leave) and ends with the uninterrupted sweep's runs.csv.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.ts';
import { acceptanceSweep, cliRun, dataLines, ENTRY, ENV, referenceRuns } from './sweep-fixture.ts';

describe('mei-sim sweep, interrupted', () => {
  it('resumes after Ctrl-C and equals the uninterrupted sweep', async () => {
    const d = tempDir();
    const f = acceptanceSweep(d);
    const ref = await referenceRuns(f, join(d, 'ref'));
    const out = join(d, 'int');
    const runs = join(out, 'runs.csv');
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'sweep', f, '--workers', '1', '--out', out], { cwd: ROOT, env: ENV, stdio: 'ignore' });
    const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let sent = false;
    const t0 = Date.now();
    while (!sent && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 5));
      if (dataLines(runs) >= 5) {
        child.kill('SIGINT');
        sent = true;
      }
    }
    const code = await exit;
    expect(sent).toBe(true);
    const saved = dataLines(runs);
    expect(code).toBe(130);
    expect(saved).toBeGreaterThanOrEqual(5);
    expect(saved).toBeLessThan(60);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status).toBe('interrupted');
    expect(readFileSync(runs, 'utf8').endsWith('\n')).toBe(true);
    appendFileSync(runs, '4,0.0333,9,deadbeef'); // a torn last line

    const resumed = cliRun(['sweep', f, '--workers', '2', '--out', out]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${saved} already complete, ${60 - saved} to run`));
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.status).toBe('complete');
    expect(m.runs_executed).toBe(60 - saved);
    expect(readFileSync(runs, 'utf8')).toBe(readFileSync(ref, 'utf8'));
  });

  it('resumes after a hard kill (SIGKILL) and equals the uninterrupted sweep', async () => {
    const d = tempDir();
    const f = acceptanceSweep(d);
    const ref = await referenceRuns(f, join(d, 'ref'));
    const out = join(d, 'killed');
    const runs = join(out, 'runs.csv');
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'sweep', f, '--workers', '1', '--out', out], { cwd: ROOT, env: ENV, stdio: 'ignore' });
    const exit = new Promise<string | null>((res) => child.on('exit', (_code, signal) => res(signal)));
    let sent = false;
    const t0 = Date.now();
    while (!sent && Date.now() - t0 < 30_000) {
      await new Promise((r) => setTimeout(r, 5));
      if (dataLines(runs) >= 5) {
        child.kill('SIGKILL');
        sent = true;
      }
    }
    expect(sent).toBe(true);
    expect(await exit).toBe('SIGKILL');
    const saved = dataLines(runs);
    expect(saved).toBeLessThan(60);
    const resumed = cliRun(['sweep', f, '--workers', '2', '--out', out]);
    expect(resumed.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.status).toBe('complete');
    expect(m.runs_executed).toBeLessThanOrEqual(60 - saved + 1);
    expect(readFileSync(runs, 'utf8')).toBe(readFileSync(ref, 'utf8'));
  });
});
