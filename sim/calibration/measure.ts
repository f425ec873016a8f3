/**
 * Measurement discipline: the inner iteration count is chosen so one sample lasts at least
 * `min_sample_s`; warm-up samples are discarded; `reps` samples are timed with
 * process.hrtime.bigint (monotonic, ns); every run's output value is folded into a checksum that
 * is reported, so the work cannot be eliminated.
 */
import { quantileSorted } from 'simple-statistics';
import type { KernelInstance } from './kernels/suite.ts';

export interface MeasureOptions {
  warmup: number;
  reps: number;
  min_sample_s: number;
}

export interface Timing {
  /** seconds per kernel call */
  median_s: number;
  q1_s: number;
  q3_s: number;
  min_s: number;
  max_s: number;
  /** (q3 - q1) / median */
  iqr_rel: number;
  reps: number;
  iters: number;
  /** dead-code guard: sum of values read from the output after each sample */
  guard: number;
}

export function summarize(samples: number[], iters: number, guard: number): Timing {
  const s = [...samples].sort((a, b) => a - b);
  const median = quantileSorted(s, 0.5);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  return {
    median_s: median,
    q1_s: q1,
    q3_s: q3,
    min_s: s[0]!,
    max_s: s[s.length - 1]!,
    iqr_rel: (q3 - q1) / median,
    reps: s.length,
    iters,
    guard,
  };
}

const now = () => process.hrtime.bigint();

export function measure(k: KernelInstance, opts: MeasureOptions): Timing {
  let guard = 0;
  // one call to size the sample
  let t0 = now();
  guard += k.run(1);
  let dt = Number(now() - t0) * 1e-9;
  let iters = Math.max(1, Math.ceil(opts.min_sample_s / Math.max(dt, 1e-9)));
  // a second estimate after the first call warmed the JIT and the caches
  t0 = now();
  guard += k.run(iters);
  dt = Number(now() - t0) * 1e-9 / iters;
  iters = Math.max(1, Math.ceil(opts.min_sample_s / Math.max(dt, 1e-9)));
  for (let w = 0; w < opts.warmup; w++) guard += k.run(iters);
  const samples: number[] = [];
  for (let r = 0; r < opts.reps; r++) {
    t0 = now();
    guard += k.run(iters);
    samples.push((Number(now() - t0) * 1e-9) / iters);
  }
  return summarize(samples, iters, guard);
}
