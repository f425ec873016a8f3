/**
 * WASM SIMD fp32 GEMM (hand-written WAT, 4x8 register-blocked f32x4 micro-kernel) versus the plain
 * TypeScript cache-blocked fp32 GEMM, single thread, same sizes. Reports GFLOP/s (best of the
 * repetitions, median alongside) and the speedup; the acceptance bar is >= 3x.
 */
import { kernelByName } from '../../sim/calibration/kernels/suite.ts';
import { measure } from '../../sim/calibration/measure.ts';
import { runIfMain } from './harness.ts';

const SIZES = [128, 256, 384];
const OPTS = { warmup: 2, reps: 9, min_sample_s: 0.05 };

export async function run(): Promise<Record<string, unknown>> {
  const def = kernelByName('gemm_fp32');
  const out: Record<string, unknown> = {};
  let tsBest = 0;
  let wasmBest = 0;
  for (const n of SIZES) {
    const row: Record<string, number> = {};
    for (const impl of ['ts', 'wasm'] as const) {
      const k = await def.make(impl, n);
      const t = measure(k, OPTS);
      if (!k.check(false).ok) throw new Error(`gemm_fp32 ${impl} n=${n}: wrong result`);
      row[`${impl}_gflops`] = k.flops / t.min_s / 1e9;
      row[`${impl}_gflops_median`] = k.flops / t.median_s / 1e9;
    }
    row.speedup = row.wasm_gflops! / row.ts_gflops!;
    tsBest = Math.max(tsBest, row.ts_gflops!);
    wasmBest = Math.max(wasmBest, row.wasm_gflops!);
    out[`n${n}`] = row;
  }
  return { ts_gflops: tsBest, wasm_simd_gflops: wasmBest, speedup: wasmBest / tsBest, meets_3x: wasmBest / tsBest >= 3, sizes: out };
}

runIfMain(import.meta.url, run);
