/**
 * Defence in depth of `calibrate --from`: even if the CSV parser let a measured rate of 0 or less
 * through (parseMeasurements is mocked here to do so), the row is skipped and reported, and the
 * fit stays finite.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../sim/hardware/validate.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../sim/hardware/validate.ts')>();
  return {
    ...orig,
    // the real parse, then the "zero" and "negative" rows put back as if they had passed
    parseMeasurements: (text: string, file?: string) => {
      const res = orig.parseMeasurements(text, file);
      const lines = text.trim().split('\n');
      const header = lines[0]!;
      for (const [i, l] of lines.entries()) {
        if (!/,(zero|negative)$/.test(l)) continue;
        const row = orig.parseMeasurements([header, l.replace(/,128,-?\d+,\d+,/, ',128,1,1,')].join('\n')).rows[0]!;
        const pre = l.includes('zero') ? 0 : -5;
        res.rows.push({ ...row, line: i + 1, prefill_tok_s: pre, decode_tok_s: l.includes('zero') ? 0 : 20 });
      }
      res.problems = res.problems.filter((p) => !res.rows.some((r) => r.line === p.line));
      return res;
    },
  };
});

const { fitFromMeasurements } = await import('../../sim/calibration/from-measurements.ts');

const CAL = '/work/shared/reference/measurements-calibration.csv';
const DEVICE = 'snapdragon-8-gen-3';

function csv(name: string, extra: string[]): string {
  const src = readFileSync(CAL, 'utf8').trim().split('\n');
  const f = join(mkdtempSync(join(tmpdir(), 'mei-caldef-')), name);
  writeFileSync(f, [src[0], ...src.slice(1).filter((l) => l.includes(`,${DEVICE},`)), ...extra].join('\n') + '\n');
  return f;
}

describe('calibrate --from defence: a measured rate <= 0 that reaches the fit', () => {
  it('is skipped with an error naming the line; the multipliers are those of the clean rows', () => {
    const bad = [`llama-3.2-1b,4,Q4_0,${DEVICE},gpu,llama.cpp,,128,0,0,zero`, `llama-3.2-1b,4,Q4_0,${DEVICE},gpu,llama.cpp,,128,-5,20,negative`];
    const clean = fitFromMeasurements({ csvPath: csv('clean.csv', []), device: DEVICE });
    const res = fitFromMeasurements({ csvPath: csv('dirty.csv', bad), device: DEVICE });
    const n = readFileSync(csv('n.csv', []), 'utf8').trim().split('\n').length;
    expect(res.errors.map((e) => e.line)).toEqual([n + 1, n + 2]);
    expect(res.errors[0]!.message).toMatch(/prefill_tok_s 0 is not a finite number > 0; decode_tok_s 0/);
    expect(res.errors[1]!.message).toMatch(/prefill_tok_s -5 is not a finite number > 0/);
    expect(res.groups.map((g) => g.multiplier)).toEqual(clean.groups.map((g) => g.multiplier));
    for (const g of res.groups) expect(Number.isFinite(g.multiplier)).toBe(true);
    expect(Number.isFinite(res.after_loo.decode!)).toBe(true);
  });
});
