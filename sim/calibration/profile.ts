/** Builds the calibrated hardware profile (profileSchema, kind 'host') from a calibration. */
import type { HardwareProfile } from '../hardware/profile-schema.ts';
import { profileSchema } from '../hardware/profile-schema.ts';
import { netTime, relSlope, type Level, type Roofline } from './fit.ts';
import { slug } from './host.ts';
import type { CalibrationResult } from './run.ts';

const HOROWITZ = 'M. Horowitz, "Computing\'s energy problem (and what we can do about it)", ISSCC 2014, doi:10.1109/ISSCC.2014.6757323';
const PJ_PER_FLOP = 2.3; // (3.7 + 0.9) / 2
const PJ_PER_DRAM_BYTE = 1300 / 8;

const g = (x: number, unit: string, d = 3) => `${(x / 1e9).toPrecision(d)} ${unit}`;

export function bestParallel(r: CalibrationResult, kernel: string): { rate: number; bw: number; threads: number; size: number } | undefined {
  let best: { rate: number; bw: number; threads: number; size: number } | undefined;
  for (const p of r.parallel.filter((x) => x.kernel === kernel)) {
    const rate = (p.threads * p.flops) / p.min_s;
    const bw = (p.threads * p.bytes) / p.min_s;
    if (!best || rate > best.rate) best = { rate, bw, threads: p.threads, size: p.size };
  }
  return best;
}

/**
 * DRAM bandwidth one thread (one core) reaches, measured: the best of the single-thread STREAM
 * rate on the DRAM plateau and the 1-thread run of the multi-thread STREAM triad. The roofline
 * otherwise caps a CPU thread at a per-core bandwidth from Little's law on the core name
 * (`perCoreBandwidth` in sim/hardware/roofline.ts), which on a calibrated host can be far below
 * what was measured (14 GB/s modelled against 38.8 GB/s measured on one thread).
 */
export function singleThreadBandwidth(r: CalibrationResult): { value: number; derived: string } {
  const dram = dramLevel(r.model.roofline);
  const one = r.parallel.find((p) => p.kernel === 'stream_triad' && p.threads === 1);
  const oneBw = one ? (one.threads * one.bytes) / one.min_s : 0;
  const plateau = dramText(dram);
  const triad = one ? `1-thread STREAM triad (wasm-simd, ${one.size} bytes) = ${g(oneBw, 'GB/s')}` : 'no 1-thread STREAM triad run';
  return oneBw > dram.bandwidth
    ? { value: oneBw, derived: `measured: ${triad}, best of the synchronized rounds (${plateau})` }
    : { value: dram.bandwidth, derived: `measured: ${plateau} (${triad})` };
}

/** The fitted DRAM level (fitLevels always makes one from the STREAM points; older reports may lack it). */
export function dramLevel(roof: Roofline): Level {
  return roof.levels.find((l) => l.name === 'DRAM') ?? roof.levels[roof.levels.length - 1]!;
}

function dramText(dram: Level): string {
  return dram.basis === 'largest working set'
    ? `best single-thread STREAM rate at the largest working set measured (${dram.lo_bytes} bytes; no size reached the DRAM plateau at 3 x LLC, so an upper bound) = ${g(dram.bandwidth, 'GB/s')}`
    : `best single-thread STREAM rate on the ${dram.name} plateau (working set >= ${dram.lo_bytes} bytes) = ${g(dram.bandwidth, 'GB/s')}`;
}

/** Worker threads of the multi-thread runs (the largest count run), 1 when there were none. */
export function threadsMeasured(r: CalibrationResult): number {
  return Math.max(1, ...r.parallel.map((p) => p.threads));
}

/**
 * The CPU peak of the profile for `threads` threads (the cluster's `cores`): the best
 * `threads`-thread run of `kernel`, or the single-thread peak when that is higher (one thread
 * alone is always an option). The simulator gives t threads peak x t / cores, so this makes t =
 * `threads` reproduce the measurement; with one thread it is the single-thread peak. A busy machine
 * is noted, never used to change the value (the best synchronized round is the quiet one).
 */
export function measuredPeak(r: CalibrationResult, kernel: string, dtype: 'fp32' | 'int8', threads: number): { value: number; derived: string } {
  const single = r.model.roofline.peak[dtype] ?? 0;
  const load = r.host.loadavg[0] ?? 0;
  const busy = load > 0.5 * r.host.cores ? `; machine busy (load average ${load.toFixed(1)} at start): the multi-thread figures may be lower bounds` : '';
  const runs = r.parallel.filter((p) => p.kernel === kernel && p.threads === threads).map((p) => (p.threads * p.flops) / p.min_s);
  const rate = runs.length ? Math.max(...runs) : 0;
  const best = bestParallel(r, kernel);
  const also = best && best.threads !== threads ? `; best of all thread counts: ${best.threads} threads = ${g(best.rate, 'GFLOP/s')}` : '';
  const singleText = `best single-thread ${kernel} over the training sizes = ${g(single, 'GFLOP/s')}`;
  if (threads > 1 && rate > single) {
    return { value: rate, derived: `measured: ${threads}-thread ${kernel} (wasm-simd, n=${r.parallel.find((p) => p.kernel === kernel)?.size}) = ${g(rate, 'GFLOP/s')}, best of the synchronized rounds, for the ${threads} cores of the cluster (${singleText}${also}${busy})` };
  }
  const why = threads === 1 ? 'one worker thread measured, so the cluster has 1 core' : `the ${threads}-thread run (${g(rate, 'GFLOP/s')}) was slower, so the ${threads}-core peak is taken as the single-thread one`;
  return { value: Math.max(single, rate), derived: `measured: ${rate > single ? `1-thread ${kernel} (wasm-simd) = ${g(rate, 'GFLOP/s')}` : singleText} (${why}${also}${busy})` };
}

/**
 * Memory efficiency against the bandwidth the simulator gives one thread of this profile
 * (min(memory.bandwidth, bandwidth_per_core)), from the single-thread wasm-simd fp32 GEMV on the
 * DRAM plateau (working set >= 3 x LLC), or its largest size when none reached it: t_net =
 * bytes / (bw x eta), fitted by least squares on relative error. The fit's own per-regime eta is
 * held against an interpolated bandwidth and does not carry over to the profile's bandwidth.
 */
export function memoryEfficiency(r: CalibrationResult, bw: number, overhead: number): { value: number; derived: string } {
  const dram = dramLevel(r.model.roofline);
  const gemv = r.measurements.filter((m) => m.kernel === 'gemv_fp32' && m.impl === 'wasm' && m.threads === 1 && m.split !== 'tiny');
  if (gemv.length === 0) return { value: 1, derived: 'no wasm-simd fp32 GEMV measured: 1 (not fitted)' };
  const onPlateau = gemv.filter((m) => m.ws_bytes >= dram.lo_bytes);
  const largest = gemv.reduce((a, b) => (b.ws_bytes > a.ws_bytes ? b : a));
  const pts = onPlateau.length ? onPlateau : [largest];
  const slope = relSlope(
    pts.map((p) => p.bytes / bw),
    pts.map((p) => netTime(p, { wasm: overhead })),
  );
  const eta = Math.min(1, 1 / slope);
  const where = onPlateau.length
    ? `${pts.length} size(s) on the ${dram.name} plateau (working set >= ${dram.lo_bytes} bytes: ${pts.map((p) => p.size).join(', ')})`
    : `its largest size only (n=${largest.size}, ${largest.ws_bytes} bytes; no GEMV size reached the ${dram.name} plateau at ${dram.lo_bytes} bytes)`;
  return { value: eta, derived: `least-squares efficiency of the single-thread wasm-simd fp32 GEMV at ${where}, against ${g(bw, 'GB/s')} (the profile's bandwidth for one thread: min(memory.bandwidth, bandwidth_per_core)) after the ${(overhead * 1e9).toFixed(1)} ns overhead` };
}

function etaOf(r: CalibrationResult, kernel: string, impl: string, regime: string): { eta: number; regime: string } | undefined {
  const e = r.model.eta.find((x) => x.kernel === kernel && x.impl === impl && x.regime === regime) ?? r.model.eta.find((x) => x.kernel === kernel && x.impl === impl && x.regime === '*');
  return e && { eta: Math.min(1, e.eta), regime: e.regime };
}

export function buildProfile(r: CalibrationResult, hostId: string): HardwareProfile {
  const h = r.host;
  const roof = r.model.roofline;
  const dram = dramLevel(roof);
  // DRAM bandwidth is shared by the cores, so it is never extrapolated: the best multi-thread
  // STREAM triad when it beats the single-thread DRAM rate. The load average at start is noted, it
  // does not pick the value (a busy neighbour only lowers a measurement).
  const load = h.loadavg[0] ?? 0;
  const busy = load > 0.5 * h.cores ? ` (machine busy, load average ${load.toFixed(1)} at start: multi-thread figures may be lower bounds)` : '';
  const triad = bestParallel(r, 'stream_triad');
  const useTriad = !!triad && triad.bw > dram.bandwidth;
  const memBw = useTriad ? triad.bw : dram.bandwidth;
  const triadText = triad ? `best ${triad.threads}-thread STREAM triad (wasm-simd, ${triad.size} bytes per thread) = ${g(triad.bw, 'GB/s')}` : 'no multi-thread run';
  const memDerived = useTriad ? `measured: ${triadText}, best of the synchronized rounds (${dramText(dram)})${busy}` : `measured: ${dramText(dram)} (${triadText})${busy}`;
  // The cluster has as many cores as worker threads were measured (--threads), and its peak is
  // the measured rate of that many threads: the simulator's t threads get peak x t / cores.
  const cores = Math.min(threadsMeasured(r), Math.max(1, h.cores));
  const pk32 = measuredPeak(r, 'gemm_fp32', 'fp32', cores);
  const pk8 = measuredPeak(r, 'gemm_int8', 'int8', cores);
  const p32 = pk32.value;
  const p8 = pk8.value;
  const ohImpl = roof.overhead_s.wasm !== undefined ? 'wasm' : 'ts';
  const oh = roof.overhead_s[ohImpl] ?? 0;
  const ohTiny = r.measurements.filter((m) => m.split === 'tiny' && m.impl === ohImpl);
  const ec = etaOf(r, 'gemm_fp32', 'wasm', 'compute');
  const perCore = singleThreadBandwidth(r);
  const em = memoryEfficiency(r, Math.min(memBw, perCore.value), oh);
  const sustained = (PJ_PER_FLOP * p32 + PJ_PER_DRAM_BYTE * memBw) * 1e-12;
  const freq = h.freq_hz ?? 0;
  const st32 = roof.peak_by_impl.fp32?.wasm ?? 0;
  const pipes = freq > 0 ? Math.max(1, Math.round(st32 / (freq * 8))) : 1;
  const energyNote = `not measured by the kernel suite; defaults from ${HOROWITZ} (45 nm)`;
  const profile = {
    id: hostId,
    name: `${h.cpu_model} (${h.hostname}), calibrated`,
    kind: 'host',
    vendor: h.cpu_model.split(/\s+/)[0] ?? 'unknown',
    description: `Empirical roofline of this host measured by \`mei-sim calibrate\` (${r.mode}) on ${h.date}. Peaks and bandwidths are what plain Node.js reaches (WebAssembly 128-bit SIMD kernels), not datasheet values.`,
    memory: {
      bandwidth: { value: memBw, derived: memDerived },
      capacity: { value: h.total_memory_bytes, derived: 'os.totalmem() on the calibrated host' },
    },
    power: {
      idle: { value: 0.1 * sustained, derived: 'not measured (the suite reads no power sensor); placeholder = 10% of the sustained estimate, replace with a measured value' },
      sustained: {
        value: sustained,
        derived: `not measured; ${PJ_PER_FLOP} pJ/FLOP x ${g(p32, 'GFLOP/s')} + ${PJ_PER_DRAM_BYTE} pJ/byte x ${g(memBw, 'GB/s')} (energy defaults from Horowitz ISSCC 2014)`,
      },
    },
    defaults: {
      efficiency: {
        compute: { value: ec?.eta ?? 1, derived: `least-squares efficiency of gemm_fp32 (wasm-simd) against the fitted fp32 peak, regime ${ec?.regime ?? 'n/a'}` },
        memory: em,
      },
    },
    units: {
      cpu: {
        name: h.cpu_model,
        kind: 'cpu',
        clusters: [
          {
            name: 'all',
            core: slug(h.cpu_model) || h.arch,
            cores,
            freq: freq > 0 ? { value: freq, derived: `read from ${h.freq_source}` } : { value: 0, derived: 'unknown: the OS did not expose a clock frequency' },
            simd_bits: h.simd_bits,
            simd_pipes: pipes,
            dotprod: h.dotprod,
            i8mm: h.i8mm,
            bandwidth_per_core: perCore,
            source: `cores = ${cores}, the worker threads measured (this host has ${h.cores} logical CPUs${cores < h.cores ? '; calibrate --threads' : ''}), so the peaks are ${cores}-thread rates; host facts: ${h.flags_source}; simd_pipes = round(single-thread wasm fp32 GEMM ${g(st32, 'GFLOP/s')} / (freq x 4 lanes x 2 FLOP))`,
          },
        ],
        peak: {
          fp32: pk32,
          fp16: { value: p32, derived: 'no fp16 arithmetic in WebAssembly SIMD: CPU runtimes convert fp16 weights to fp32, so fp16 = the measured fp32 peak' },
          int8: pk8,
          int4: { value: p8, derived: 'Q4 weights are unpacked to int8/fp32 before the multiply, so int4 = the measured int8 peak' },
        },
        overhead: { value: oh, derived: `smallest time of a tiny ${ohImpl === 'wasm' ? 'wasm-simd' : 'TypeScript'} kernel call beyond its roofline time (minimum over the ${ohTiny.length} tiny ${ohImpl} calls: ${ohTiny.map((m) => m.kernel).join(', ')})` },
        energy: {
          pj_per_flop: { value: PJ_PER_FLOP, derived: `${energyNote}: (3.7 pJ fp32 mult + 0.9 pJ fp32 add) / 2 FLOP` },
          pj_per_dram_byte: { value: PJ_PER_DRAM_BYTE, derived: `${energyNote}: 1.3 nJ per 64-bit DRAM access / 8 bytes` },
        },
      },
    },
    provenance: provenance(r),
  };
  return profileSchema.parse(profile);
}

export function provenance(r: CalibrationResult): Record<string, unknown> {
  const roof = r.model.roofline;
  return {
    tool: 'mei-sim calibrate',
    mode: r.mode,
    date: r.host.date,
    host: {
      hostname: r.host.hostname,
      cpu_model: r.host.cpu_model,
      cores: r.host.cores,
      arch: r.host.arch,
      platform: r.host.platform,
      node: r.host.node,
      caches_bytes: r.host.caches_bytes ?? null,
      total_memory_bytes: r.host.total_memory_bytes,
      loadavg_at_start: r.host.loadavg,
    },
    timing: { ...r.options, statistic: 'best of the repetitions (STREAM convention); median and IQR in the report' },
    bandwidth_per_level: roof.levels.map((l) => ({ level: l.name, basis: l.basis ?? 'plateau', from_bytes: l.lo_bytes, to_bytes: Number.isFinite(l.hi_bytes) ? l.hi_bytes : null, bandwidth_Bps: l.bandwidth, by_impl_Bps: l.bandwidth_by_impl })),
    peak_by_impl_flops: roof.peak_by_impl,
    overhead_s_by_impl: roof.overhead_s,
    threads: r.parallel.map((p) => ({ kernel: p.kernel, impl: p.impl, threads: p.threads, size: p.size, flops_per_s: (p.threads * p.flops) / p.min_s, bytes_per_s: (p.threads * p.bytes) / p.min_s })),
    efficiency_fits: r.model.eta,
    fit_residuals: { train_mape: r.train.mape, holdout_mape: r.holdout.mape, per_kernel_holdout: r.holdout.per_kernel },
    guard_checksum: r.guard,
  };
}
