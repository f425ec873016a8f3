/** Synthetic kernel timings from a known roofline (shared by the calibration tests). */
import seedrandom from 'seedrandom';
import { splitSizes, type Point } from '../../sim/calibration/fit.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const CACHES = [48 * KiB, 1 * MiB, 32 * MiB];
// the known answer
export const BW = { L1: 200e9, L2: 150e9, LLC: 90e9, DRAM: 40e9 };
export const PEAK = { fp32: 50e9, int8: 80e9, fp64: 2e9 };
export const OVERHEAD = 30e-9;

export function trueBw(ws: number): number {
  if (ws <= 0.75 * CACHES[0]!) return BW.L1;
  if (ws <= 0.75 * CACHES[1]!) return BW.L2;
  if (ws <= 0.75 * CACHES[2]!) return BW.LLC;
  return BW.DRAM;
}

/** Points generated from the known roofline with an efficiency and +-2% multiplicative noise. */
export function synth(seed: string): Point[] {
  const rnd = seedrandom.alea(seed);
  const noise = () => 1 + (rnd() - 0.5) * 0.04;
  const pts: Point[] = [];
  // STREAM: plateau sizes only (no transitions), two implementations
  const plateau = [16, 24, 128, 256, 512, 2048, 8192, 16384, 131072, 262144].map((k) => k * KiB);
  for (const impl of ['ts', 'wasm'] as const) {
    for (const ws of plateau) {
      const eff = impl === 'wasm' ? 1 : 0.2;
      pts.push({ kernel: 'stream_triad', impl, klass: 'memory', roof: 'fp64', size: ws, threads: 1, flops: ws / 12, bytes: ws, ws_bytes: ws, time_s: (ws / (trueBw(ws) * eff)) * noise() + OVERHEAD, split: 'train' });
    }
  }
  // GEMM: compute-bound at the peak for wasm, 10% of it for ts
  for (const impl of ['ts', 'wasm'] as const) {
    const sizes = [64, 96, 128, 192, 256];
    const { train, holdout } = splitSizes(sizes);
    for (const n of sizes) {
      const flops = 2 * n ** 3;
      const eff = impl === 'wasm' ? 1 : 0.1;
      pts.push({ kernel: 'gemm_fp32', impl, klass: 'compute', roof: 'fp32', size: n, threads: 1, flops, bytes: 12 * n * n, ws_bytes: 12 * n * n, time_s: (flops / (PEAK.fp32 * eff)) * noise() + OVERHEAD, split: holdout.includes(n) ? 'holdout' : train.includes(n) ? 'train' : 'train' });
    }
  }
  // int8 GEMM (wasm) and a memory-bound GEMV at 70% of the DRAM bandwidth
  for (const n of [64, 128, 256]) pts.push({ kernel: 'gemm_int8', impl: 'wasm', klass: 'compute', roof: 'int8', size: n, threads: 1, flops: 2 * n ** 3, bytes: 6 * n * n, ws_bytes: 6 * n * n, time_s: (2 * n ** 3) / PEAK.int8 * noise() + OVERHEAD, split: 'train' });
  const gemv = [5120, 6144, 7168, 8192, 9216]; // all on the DRAM plateau (>= 96 MiB)
  const gs = splitSizes(gemv);
  for (const n of gemv) {
    const bytes = 4 * n * n;
    pts.push({ kernel: 'gemv_fp32', impl: 'wasm', klass: 'compute', roof: 'fp32', size: n, threads: 1, flops: 2 * n * n, bytes, ws_bytes: bytes, time_s: bytes / (0.7 * BW.DRAM) * noise() + OVERHEAD, split: gs.holdout.includes(n) ? 'holdout' : 'train' });
  }
  // tiny calls: only the overhead
  for (const impl of ['ts', 'wasm'] as const) {
    pts.push({ kernel: 'gemv_fp32', impl, klass: 'compute', roof: 'fp32', size: 4, threads: 1, flops: 32, bytes: 96, ws_bytes: 96, time_s: OVERHEAD, split: 'tiny' });
  }
  return pts;
}

