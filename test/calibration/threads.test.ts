import { describe, expect, it } from 'vitest';
import { resolveThreads, runParallel } from '../../sim/calibration/threads.ts';
import { InputError } from '../../sim/common/errors.ts';

describe('worker threads', () => {
  it('runs a WASM kernel on 2 threads and checks every thread output', async () => {
    const r = await runParallel('gemv_q4', 'wasm', 128, 2, { warmup: 0, reps: 3, min_sample_s: 0.001 });
    expect(r.threads).toBe(2);
    expect(r.checks_ok).toBe(true);
    expect(r.reps).toBe(3);
    expect(r.min_s).toBeGreaterThan(0);
    expect(r.flops).toBe(2 * 128 * 128);
  });

  it('--threads: whole numbers >= 1, lowered to the logical CPUs with a note', () => {
    const notes: string[] = [];
    expect(resolveThreads(undefined, 2)).toBe(2);
    expect(resolveThreads(1, 2)).toBe(1);
    expect(resolveThreads(100, 2, (m) => notes.push(m))).toBe(2);
    expect(notes).toEqual(['note: --threads 100 is more than the 2 logical CPUs of this host; using 2']);
    // before: 1.5 ran 2 workers counted as 1.5 threads; 0 and -2 became 1; NaN ('abc') hung
    for (const bad of [1.5, 0, -2, NaN, Infinity]) expect(() => resolveThreads(bad, 2), String(bad)).toThrow(InputError);
  });

  it('runParallel refuses a thread count that is not a whole number >= 1 instead of hanging', async () => {
    const o = { warmup: 0, reps: 1, min_sample_s: 0.001 };
    for (const bad of [NaN, 1.5, 0]) await expect(runParallel('gemv_q4', 'wasm', 64, bad, o), String(bad)).rejects.toThrow(RangeError);
  }, 3000);
});
