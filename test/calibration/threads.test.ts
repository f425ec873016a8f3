import { describe, expect, it } from 'vitest';
import { runParallel } from '../../sim/calibration/threads.ts';

describe('worker threads', () => {
  it('runs a WASM kernel on 2 threads and checks every thread output', async () => {
    const r = await runParallel('gemv_q4', 'wasm', 128, 2, { warmup: 0, reps: 3, min_sample_s: 0.001 });
    expect(r.threads).toBe(2);
    expect(r.checks_ok).toBe(true);
    expect(r.reps).toBe(3);
    expect(r.min_s).toBeGreaterThan(0);
    expect(r.flops).toBe(2 * 128 * 128);
  });
});
