/**
 * `mei-sim sweep` end to end (child processes, like a user): the 3 x 4 x 5
 * acceptance grid gives the same runs.csv with --workers 1 and 2 as the
 * in-process reference. MEI_SIM_ENTRY overrides the CLI entry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { acceptanceSweep, cliRun, dataLines, referenceRuns, sortedLines } from './sweep-fixture.ts';

describe('mei-sim sweep', () => {
  it('3 x 4 x 5 replications: the same runs.csv with --workers 1 and 2', async () => {
    const d = tempDir();
    const f = acceptanceSweep(d);
    const ref = await referenceRuns(f, join(d, 'ref'));
    expect(dataLines(ref)).toBe(60);
    for (const w of ['1', '2']) {
      const r = cliRun(['sweep', f, '--workers', w, '--out', join(d, `w${w}`)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/60 run\(s\) in .*runs\.csv \(60 executed now, 0 resumed, 0 failed\)/);
      const out = join(d, `w${w}`, 'runs.csv');
      expect(sortedLines(out)).toEqual(sortedLines(ref));
      expect(readFileSync(out, 'utf8')).toBe(readFileSync(ref, 'utf8')); // canonical order too
    }
  });
});
