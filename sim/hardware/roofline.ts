/**
 * Roofline engine: pure functions from (hardware profile, unit, runtime,
 * weight format, threads) and a list of operators to time, bound and energy.
 *
 *   t_op = max(flops_eff / (peak[dtype] x eta_c), bytes / (bw x eta_m)) + overhead
 *   bytes = weight_bytes + kv_read_bytes + kv_write_bytes + act_bytes
 *   flops_eff = flops + dq_ops_per_weight x weight elements        (matmul-like ops only)
 *
 * Decisions (the issue is silent on them):
 * - Compute dtype is chosen by the unit and weight format, not by the op
 *   (see `computeDtypes`): quantized weights (<= 8 bit) on a CPU run integer
 *   dot products (llama.cpp Q8 activations, XNNPACK QD8, ncnn int8) when the
 *   unit has an int8 peak; on GPUs they are dequantized to fp16 (llama.cpp
 *   OpenCL/CUDA dequant kernels, MLC q4f16); on NPUs/DSPs 8-bit weights run on
 *   the int8 datapath and 4-bit weights (w4a16) on fp16. 16-bit weights run
 *   in fp16 where the unit has an fp16 peak, else fp32. Non-matmul ops
 *   (attention, norms, softmax) run in fp16 on GPU/NPU/DSP, fp32 on CPU.
 * - Dequantization cost on CPUs: a sub-8-bit GEMV unpacks every weight once
 *   per token (nibble mask/shift, offset subtract, per-group scale), about
 *   DQ_OPS_CPU integer lane ops per weight on top of the 2 ops of the MAC.
 *   8-bit weights are not unpacked: the int8 dot product reads them as stored
 *   and only the block's scale is applied, once per 32 weights (llama.cpp's
 *   ggml_vec_dot_q8_0_q8_0; XNNPACK and ncnn int8 GEMMs alike), so they pay 0. In
 *   prefill the same unpacking is amortized over N tokens, so it matters only
 *   in decode; it is why llama.cpp decode on few CPU cores is compute-bound
 *   (T-MAC, arXiv 2407.00088, section 2). LUT runtimes (t-mac) pay bits - 2
 *   instead (see `lutExtraOps`);
 *   GPUs, NPUs and DSPs dequantize in otherwise idle ALUs (0).
 * - CPU threads: compute scales with the cores used, big cores first
 *   (per-core throughput = freq x pipes x lanes of the dtype). DRAM
 *   bandwidth saturates: bw(t) = min(bw_unit, sum of per-core bandwidths of
 *   the cores used), per-core bandwidth from Little's law (see `perCoreBandwidth`).
 * - Default threads: every core except the little (in-order efficiency) cluster
 *   when the CPU has more than one cluster; all cores otherwise.
 * - Efficiencies: unit efficiency (else device default) x runtime multiplier
 *   for the unit kind x runtime multiplier for the weight format x the
 *   runtime's per-device multiplier (written by `calibrate --from`); capped at 1.
 *   Weight-format keys are the bits ("4", "16") and "q", which applies to
 *   every quantized format (< 16 bit); an exact key multiplies on top of "q".
 * - CPU work split: per-core rates add up (work stealing: XNNPACK's
 *   pthreadpool, ggml's chunked mul_mat). `threadComputeFraction(...,
 *   equalSplit)` models a static equal split paced by the slowest core; no
 *   runtime uses it by default (EQUAL_SPLIT_RUNTIMES): on the calibration CSV
 *   the equal split fitted worse (leave-one-row-out decode MAPE 26.9% vs 25.0%).
 * - Energy of a phase: pJ/op x ops + pJ/byte x DRAM bytes + idle power x
 *   time (static/idle power of the device while the phase runs). A profile's
 *   pJ/FLOP is its unit's active power over its peak at a reference dtype (CPU
 *   fp32, GPU fp16, NPU/DSP int8: how every profile derives it), so an op of
 *   another dtype costs pJ/FLOP x peak(ref) / peak(dtype): the unit draws the
 *   same power at full rate whatever the dtype (an int8 SDOT lane does 8x the
 *   ops of an fp32 FMA lane for about the same energy). Dequantization ops
 *   count like the op's other ops.
 */
import type { Dtype, HardwareProfile, HardwareUnit, RuntimeProfile, UnitName } from './profile-schema.ts';
import type { Op } from '../workload/types.ts';

export type Bound = 'compute' | 'memory' | 'overhead';

/** Everything the roofline needs about one (device, unit, runtime, weight bits, threads). */
export interface UnitCtx {
  device: string;
  unit: UnitName;
  runtime: string | undefined;
  weight_bits: number;
  /** Threads used (CPU), 0 for other units. */
  threads: number;
  /** Peak FLOP/s per dtype, already scaled to the threads used. */
  peak: Record<Dtype, number>;
  /** Dtype of matmul-like ops (matmul, lm_head, embedding) and of the rest. */
  matmul_dtype: Dtype;
  other_dtype: Dtype;
  eta_c: number;
  eta_m: number;
  /** Raw DRAM bandwidth available to the unit (bytes/s), before eta_m. */
  bw: number;
  overhead_s: number;
  /** Extra integer ops per weight element for dequantization (matmul-like ops). */
  dq_ops_per_weight: number;
  pj_per_flop: number;
  /** Energy per op of each dtype, pJ (see header; 0 where the unit has no peak). */
  pj_per_op: Record<Dtype, number>;
  pj_per_byte: number;
  idle_w: number;
  sustained_w: number;
  capacity_bytes: number;
}

export interface PhaseCost {
  time_s: number;
  compute_s: number;
  memory_s: number;
  overhead_s: number;
  flops: number;
  bytes: number;
  energy_j: number;
  /** Bound of the phase: where most of its time went (compute-bound ops vs memory-bound ops vs fixed overheads). */
  bound: Bound;
}

/** Dequantization integer ops per weight on CPUs (see header). */
export const DQ_OPS_CPU = 3;
/** DRAM load-to-use latency used in Little's law (LPDDR4X/5 phones and boards ~100-130 ns). */
export const DRAM_LATENCY_S = 110e-9;
const LINE_BYTES = 64;

/** Op kinds that multiply by a weight matrix (use the matmul dtype; pay CPU dequantization). */
export const MATMUL_KINDS: ReadonlySet<string> = new Set(['matmul', 'lm_head', 'embedding']);

/**
 * Outstanding cache-line misses one core sustains to DRAM (L1 miss buffers plus
 * L2 prefetch streams). Per-core bandwidth = lines x 64 B / DRAM latency.
 * Derived from the cores' published miss-handling capacity: in-order little
 * cores (Cortex-A53/A55/A510/A520) track ~8 line fills; Cortex-A7x/X and
 * Neoverse keep ~20-24 L1 misses plus L2 prefetch; Apple P-cores and Oryon
 * sustain far more (AnandTech's M1 review measured ~58 GB/s from one Firestorm
 * core, i.e. ~100 lines at 110 ns).
 */
export function outstandingLines(core: string): number {
  const c = core.toLowerCase();
  if (/a53|a55|a510|a520|a35|a7\b|little|icestorm|blizzard|sawtooth|e-core/.test(c)) return 8;
  if (/firestorm|avalanche|everest|oryon|apple|m1|m2|m3|p-core/.test(c)) return 100;
  if (/x1|x2|x3|x4|x925|neoverse-v/.test(c)) return 32;
  return 24;
}

export function perCoreBandwidth(core: string): number {
  return (outstandingLines(core) * LINE_BYTES) / DRAM_LATENCY_S;
}

type Cluster = NonNullable<HardwareUnit['clusters']>[number];

/**
 * SMMLA over SDOT int8 throughput of an i8mm core when its profile gives none. SMMLA does 4x the
 * MACs of SDOT per instruction at half the issue rate on Arm's own cores: cpufp measured exactly
 * 2.00 on Cortex-A720 and Cortex-A520 (CIX P1) and Neoverse V1 (Graviton 3E),
 * https://github.com/pigirons/cpufp/tree/main/benchmark_result/arm64. Apple and Oryon cores
 * measure 0.8-1.0 and say so in their profiles (`mmla_ratio`).
 */
export const DEFAULT_MMLA_RATIO = 2;

/** Int8 throughput gain of a core over plain SDOT: max(1, SMMLA/SDOT ratio) with i8mm, else 1 (kernels fall back to SDOT). */
export function mmlaGain(cl: Cluster): number {
  return cl.i8mm ? Math.max(1, cl.mmla_ratio?.value ?? DEFAULT_MMLA_RATIO) : 1;
}

/** Peak throughput (ops/s) of one core of a cluster for a dtype: ops per cycle x clock. */
export function coreRate(cl: Cluster, dtype: Dtype): number {
  const lanesBits = cl.simd_bits * cl.simd_pipes;
  let opsPerCycle: number;
  switch (dtype) {
    case 'fp32':
      opsPerCycle = (lanesBits / 32) * 2;
      break;
    case 'fp16':
      opsPerCycle = (lanesBits / 16) * 2;
      break;
    default:
      // int8/int4: SDOT does 4 MACs per 32-bit lane; i8mm multiplies that by the core's SMMLA/SDOT
      // ratio (see `mmlaGain`); without dotprod, widening MLA on 16-bit lanes.
      opsPerCycle = cl.dotprod ? (lanesBits / 8) * 2 * mmlaGain(cl) : (lanesBits / 16) * 2;
  }
  return opsPerCycle * cl.freq.value;
}

function isLittle(cl: Cluster, all: Cluster[]): boolean {
  if (all.length < 2) return false;
  const best = Math.max(...all.map((c) => coreRate(c, 'fp32')));
  return outstandingLines(cl.core) <= 8 || coreRate(cl, 'fp32') < 0.3 * best;
}

export function defaultThreads(unit: HardwareUnit): number {
  const cls = unit.clusters ?? [];
  if (cls.length === 0) return 1;
  const big = cls.filter((c) => !isLittle(c, cls)).reduce((s, c) => s + c.cores, 0);
  return big > 0 ? big : cls.reduce((s, c) => s + c.cores, 0);
}

/** Cores used by `threads` threads, big (fastest) cores first. */
function coresUsed(cls: Cluster[], threads: number): { cl: Cluster; n: number }[] {
  const sorted = [...cls].sort((a, b) => coreRate(b, 'fp32') - coreRate(a, 'fp32'));
  const out: { cl: Cluster; n: number }[] = [];
  let left = threads;
  for (const cl of sorted) {
    if (left <= 0) break;
    const n = Math.min(cl.cores, left);
    out.push({ cl, n });
    left -= n;
  }
  return out;
}

/**
 * Fraction of the CPU's peak for `dtype` reached with `threads` threads (big cores first).
 * `equalSplit`: the runtime hands every thread the same share of each operator
 * (static partition plus a barrier per op, as llama.cpp/ggml does), so the
 * slowest core used sets the pace: rate = threads x slowest per-core rate.
 * Otherwise (work stealing, XNNPACK pthreadpool) the per-core rates add up.
 */
export function threadComputeFraction(unit: HardwareUnit, threads: number, dtype: Dtype, equalSplit = false): number {
  const cls = unit.clusters ?? [];
  if (cls.length === 0) return 1;
  const total = cls.reduce((s, c) => s + c.cores * coreRate(c, dtype), 0);
  if (total <= 0) return 1;
  const used = coresUsed(cls, threads);
  if (equalSplit) {
    const n = used.reduce((s, u) => s + u.n, 0);
    return (n * Math.min(...used.map((u) => coreRate(u.cl, dtype)))) / total;
  }
  return used.reduce((s, u) => s + u.n * coreRate(u.cl, dtype), 0) / total;
}

/**
 * Saturating DRAM bandwidth of `threads` CPU threads: min(unit bandwidth, sum
 * of per-core bandwidths); with `equalSplit`, threads x the smallest per-core
 * bandwidth of the cores used.
 */
export function threadBandwidth(unit: HardwareUnit, threads: number, unitBw: number, equalSplit = false): number {
  const cls = unit.clusters ?? [];
  if (cls.length === 0) return unitBw;
  const used = coresUsed(cls, threads);
  // A measured per-core bandwidth (calibrated hosts) wins over the Little's-law estimate.
  const core = (cl: (typeof cls)[number]) => cl.bandwidth_per_core?.value ?? perCoreBandwidth(cl.core);
  const sum = equalSplit ? used.reduce((s, u) => s + u.n, 0) * Math.min(...used.map((u) => core(u.cl))) : used.reduce((s, u) => s + u.n * core(u.cl), 0);
  return Math.min(unitBw, sum);
}

/** CPU runtimes that split each operator statically and evenly across threads (none by default; see header). */
export const EQUAL_SPLIT_RUNTIMES = new Set<string>([]);

/** Compute dtypes for matmul-like ops and for the rest (see header). */
export function computeDtypes(kind: UnitName, weightBits: number, peakOf: (d: Dtype) => number): { matmul: Dtype; other: Dtype } {
  const has = (d: Dtype) => peakOf(d) > 0;
  const pick = (...ds: Dtype[]): Dtype => ds.find(has) ?? ds[ds.length - 1]!;
  if (kind === 'cpu') {
    const matmul = weightBits <= 8 ? pick('int8', 'fp16', 'fp32') : pick('fp16', 'fp32');
    return { matmul, other: pick('fp32', 'fp16') };
  }
  if (kind === 'gpu') return { matmul: pick('fp16', 'fp32'), other: pick('fp16', 'fp32') };
  // npu / dsp: 16-bit weights only on a float datapath (never silently on the int8 one)
  const matmul = weightBits <= 4 ? pick('fp16', 'int8', 'int4', 'fp32') : weightBits <= 8 ? pick('int8', 'fp16', 'int4') : pick('fp16', 'fp32');
  return { matmul, other: pick('fp16', 'int8', 'fp32') };
}

/**
 * Extra ops per weight of a bit-serial table-lookup GEMV (T-MAC, arXiv 2407.00088, section 3):
 * the b-bit weight matrix is split into b one-bit planes; each group of g = 4 activations
 * gets a 16-entry table, and one 128-bit TBL (16 lookups) plus one 16-lane add consume
 * 16 rows x 4 weights x 1 bit. That is 2 instructions per 64 weight-bits, b / 32 vector
 * instructions per b-bit weight, against the 1/16 of an SDOT (32 int8 ops, the unit the
 * int8 peak counts) that a plain int8 MAC takes. So a weight costs b int8-peak ops in all,
 * b - 2 beyond the 2 of the MAC already in the FLOPs: cost grows linearly with the bits, as
 * the paper's abstract says ("LUT-based kernels scale linearly to the weight bit-width").
 */
export function lutExtraOps(weightBits: number): number {
  return Math.max(0, weightBits - 2);
}

function dqOps(kind: UnitName, weightBits: number, runtime: string | undefined): number {
  if (kind !== 'cpu' || weightBits >= 16) return 0;
  if (runtime === 't-mac') return lutExtraOps(weightBits);
  return weightBits >= 8 ? 0 : DQ_OPS_CPU;
}

type RtUnit = NonNullable<RuntimeProfile['units'][UnitName]>;

/** Multiplier of a weight format: the exact bits key ("4") times the quantized-class key ("q", any < 16 bit). */
function formatFactor(rt: RtUnit | undefined, bits: number, param: 'compute' | 'memory'): number {
  const wf = rt?.weight_formats;
  if (!wf) return 1;
  const exact = wf[String(bits)]?.[param]?.value ?? 1;
  const cls = bits < 16 ? (wf['q']?.[param]?.value ?? 1) : 1;
  return exact * cls;
}

/** Multipliers a runtime applies to (eta_c, eta_m, overhead) on this device/unit/weight format. */
export function runtimeMultipliers(
  runtime: RuntimeProfile | undefined,
  device: string,
  unit: UnitName,
  bits: number,
): { compute: number; memory: number; overhead: number } {
  if (!runtime) return { compute: 1, memory: 1, overhead: 1 };
  const u = runtime.units[unit];
  const d = runtime.devices?.[device]?.[unit];
  const f = (x: { value: number } | undefined) => x?.value ?? 1;
  return {
    compute: f(u?.compute) * formatFactor(u, bits, 'compute') * f(d?.compute) * formatFactor(d, bits, 'compute'),
    memory: f(u?.memory) * formatFactor(u, bits, 'memory') * f(d?.memory) * formatFactor(d, bits, 'memory'),
    overhead: f(u?.overhead) * f(d?.overhead),
  };
}

/** A runtime asked for on a unit it does not run on (bad input). */
export class RuntimeTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeTargetError';
  }
}

/**
 * Throws a RuntimeTargetError unless `runtime` runs on this kind of unit (its profile lists the kind)
 * of this device's vendor (the kind's `vendors`, when listed), at this weight width (`weight_bits`, when listed),
 * and models its datapath there (no `unmodelled` reason).
 */
export function checkRuntimeTarget(profile: HardwareProfile, unitName: UnitName, runtime: RuntimeProfile | undefined, weightBits?: number): void {
  if (!runtime) return;
  const u = runtime.units[unitName];
  if (!u) throw new RuntimeTargetError(`runtime ${runtime.id} does not run on a ${unitName} unit (it runs on: ${Object.keys(runtime.units).join(', ')})`);
  const vendors = u.vendors?.value;
  if (vendors && !vendors.some((v) => profile.vendor.toLowerCase().startsWith(v.toLowerCase()))) {
    throw new RuntimeTargetError(`runtime ${runtime.id} runs on the ${unitName} of ${vendors.join(', ')} devices only; ${profile.id} is a ${profile.vendor} device (${u.vendors!.source})`);
  }
  if (u.unmodelled) throw new RuntimeTargetError(`runtime ${runtime.id} on the ${unitName} of ${profile.id} is not modelled: ${u.unmodelled}`);
  // A device's own width range (e.g. RKLLM runs only w8a8 on the RK3588's NPU) narrows the unit kind's.
  const onDevice = runtime.devices?.[profile.id]?.[unitName]?.weight_bits;
  const wb = onDevice ?? u.weight_bits;
  if (wb && weightBits !== undefined && !(weightBits >= wb.value[0] && weightBits <= wb.value[1])) {
    const range = wb.value[0] === wb.value[1] ? `${wb.value[0]}` : `${wb.value[0]}-${wb.value[1]}`;
    throw new RuntimeTargetError(`runtime ${runtime.id} runs ${range} bit weights on ${onDevice ? `the ${unitName} of ${profile.id}` : `a ${unitName}`}, not ${weightBits} (${wb.source})`);
  }
}

/** Resolve a unit context. Throws a readable error when the unit does not exist or the runtime does not run on it. */
export function resolveUnitCtx(
  profile: HardwareProfile,
  unitName: UnitName,
  runtime: RuntimeProfile | undefined,
  weightBits: number,
  threads?: number,
): UnitCtx {
  const unit = profile.units[unitName];
  if (!unit) {
    const why = profile.unmodelled_units?.[unitName];
    throw new Error(`device ${profile.id} has no unit "${unitName}" (units: ${Object.keys(profile.units).join(', ')})${why ? `: not modelled, ${why}` : ''}`);
  }
  checkRuntimeTarget(profile, unitName, runtime, weightBits);
  const isCpu = unitName === 'cpu' && (unit.clusters?.length ?? 0) > 0;
  const totalCores = unit.clusters?.reduce((s, c) => s + c.cores, 0) ?? 0;
  const t = isCpu ? Math.max(1, Math.min(totalCores, Math.round(threads ?? defaultThreads(unit)))) : 0;
  const rawPeak = (d: Dtype) => unit.peak[d]?.value ?? 0;
  const peak = {} as Record<Dtype, number>;
  const eq = EQUAL_SPLIT_RUNTIMES.has(runtime?.id ?? '');
  for (const d of ['fp32', 'fp16', 'int8', 'int4'] as Dtype[]) peak[d] = isCpu ? rawPeak(d) * threadComputeFraction(unit, t, d, eq) : rawPeak(d);
  const dt = computeDtypes(unitName, weightBits, rawPeak);
  // 16-bit weights need a 16- or 32-bit float datapath; an int8-only NPU/DSP (Hexagon 698 HVX, the Edge TPU) has none.
  if (rawPeak(dt.matmul) <= 0) {
    const has = Object.entries(unit.peak).filter(([, v]) => (v?.value ?? 0) > 0).map(([k]) => k);
    throw new RangeError(`${profile.id} ${unitName} has no float datapath (fp16 or fp32) for ${weightBits}-bit weights, only ${has.join(', ')}; ask for 8 bits or fewer`);
  }
  const mult = runtimeMultipliers(runtime, profile.id, unitName, weightBits);
  const eff = unit.efficiency ?? profile.defaults.efficiency;
  const unitBw = (unit.memory?.value ?? profile.memory.bandwidth.value) * (unit.bandwidth_share?.value ?? 1);
  return {
    device: profile.id,
    unit: unitName,
    runtime: runtime?.id,
    weight_bits: weightBits,
    threads: t,
    peak,
    matmul_dtype: dt.matmul,
    other_dtype: dt.other,
    eta_c: Math.min(1, eff.compute.value * mult.compute),
    eta_m: Math.min(1, eff.memory.value * mult.memory),
    bw: isCpu ? threadBandwidth(unit, t, unitBw, eq) : unitBw,
    overhead_s: unit.overhead.value * mult.overhead,
    dq_ops_per_weight: dqOps(unitName, weightBits, runtime?.id),
    pj_per_flop: unit.energy.pj_per_flop.value,
    pj_per_op: energyPerOp(unitName, unit.energy.pj_per_flop.value, rawPeak),
    pj_per_byte: unit.energy.pj_per_dram_byte.value,
    idle_w: profile.power.idle.value,
    sustained_w: profile.power.sustained.value,
    capacity_bytes: profile.memory.capacity.value,
  };
}

/** The dtype whose peak a profile's pJ/FLOP was derived against (unit power / that peak). */
export function energyReferenceDtype(kind: UnitName, peakOf: (d: Dtype) => number): Dtype {
  const order: Dtype[] = kind === 'cpu' ? ['fp32', 'fp16'] : kind === 'gpu' ? ['fp16', 'fp32'] : ['int8', 'fp16', 'int4', 'fp32'];
  return order.find((d) => peakOf(d) > 0) ?? 'fp32';
}

/** pJ per op of each dtype: the same power at full rate, pJ/FLOP x peak(ref) / peak(dtype). */
export function energyPerOp(kind: UnitName, pjPerFlop: number, peakOf: (d: Dtype) => number): Record<Dtype, number> {
  const ref = peakOf(energyReferenceDtype(kind, peakOf));
  const out = {} as Record<Dtype, number>;
  for (const d of ['fp32', 'fp16', 'int8', 'int4'] as Dtype[]) out[d] = peakOf(d) > 0 && ref > 0 ? (pjPerFlop * ref) / peakOf(d) : pjPerFlop;
  return out;
}

/** Compute energy of one instance of an op, pJ: its effective ops (dequantization included) at its dtype's pJ/op. */
export function opComputePj(op: Op, ctx: UnitCtx): number {
  return opFlopsEff(op, ctx) * ctx.pj_per_op[MATMUL_KINDS.has(op.kind) ? ctx.matmul_dtype : ctx.other_dtype];
}

export function opBytes(op: Op): number {
  return op.weight_bytes + op.kv_read_bytes + op.kv_write_bytes + op.act_bytes;
}

/** Effective arithmetic of one instance, with CPU dequantization work for matmul-like ops. */
export function opFlopsEff(op: Op, ctx: UnitCtx): number {
  if (ctx.dq_ops_per_weight === 0 || !MATMUL_KINDS.has(op.kind) || op.weight_bytes === 0) return op.flops;
  // Elements, not bytes x 8 / bits: the bytes also hold group scales and the LM head's wider format,
  // which would count 25% extra weights at 2 bits and 6% at 8 (decode then got slower with fewer bits).
  const weights = op.weight_elems ?? (op.weight_bytes * 8) / ctx.weight_bits;
  return op.flops + ctx.dq_ops_per_weight * weights;
}

function peakFor(op: Op, ctx: UnitCtx): number {
  const d = MATMUL_KINDS.has(op.kind) ? ctx.matmul_dtype : ctx.other_dtype;
  return ctx.peak[d];
}

/** Compute and memory time of one instance of an op (no overhead). */
export function opTimes(op: Op, ctx: UnitCtx): { compute_s: number; memory_s: number } {
  const peak = peakFor(op, ctx);
  const f = opFlopsEff(op, ctx);
  const compute_s = f === 0 ? 0 : peak > 0 ? f / (peak * ctx.eta_c) : Infinity;
  const memory_s = opBytes(op) / (ctx.bw * ctx.eta_m);
  return { compute_s, memory_s };
}

/** Time of all `repeat` instances of an op: repeat x (max(compute, memory) + overhead). */
export function opTime(op: Op, ctx: UnitCtx): number {
  const { compute_s, memory_s } = opTimes(op, ctx);
  return op.repeat * (Math.max(compute_s, memory_s) + ctx.overhead_s);
}

/** Time, bound and energy of a sequence of ops run one after another on one unit. */
export function phaseCost(ops: readonly Op[], ctx: UnitCtx): PhaseCost {
  let time = 0;
  let cBound = 0;
  let mBound = 0;
  let over = 0;
  let cSum = 0;
  let mSum = 0;
  let flops = 0;
  let bytes = 0;
  let pj = 0;
  for (const op of ops) {
    const { compute_s, memory_s } = opTimes(op, ctx);
    const r = op.repeat;
    const t = Math.max(compute_s, memory_s);
    if (compute_s >= memory_s) cBound += r * t;
    else mBound += r * t;
    over += r * ctx.overhead_s;
    time += r * (t + ctx.overhead_s);
    cSum += r * compute_s;
    mSum += r * memory_s;
    flops += r * op.flops;
    bytes += r * opBytes(op);
    pj += r * opComputePj(op, ctx);
  }
  const energy_j = (pj + ctx.pj_per_byte * bytes) * 1e-12 + ctx.idle_w * time;
  const bound: Bound = over > cBound && over > mBound ? 'overhead' : cBound >= mBound ? 'compute' : 'memory';
  return { time_s: time, compute_s: cSum, memory_s: mSum, overhead_s: over, flops, bytes, energy_j, bound };
}

/**
 * Merge the op lists of several sequences processed as one batch: weight
 * matrices are read once, everything else (and embedding rows) adds up. Lists must come from the same
 * model (same op order).
 */
export function mergeBatch(lists: readonly (readonly Op[])[]): Op[] {
  if (lists.length === 1) return lists[0]!.slice();
  const first = lists[0]!;
  return first.map((op, i) => {
    const m: Op = { ...op, flops: 0, weight_bytes: 0, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: 0 };
    for (const l of lists) {
      const o = l[i]!;
      m.flops += o.flops;
      // embedding rows are gathered per token; matrices are streamed once for the whole batch
      m.weight_bytes = op.kind === 'embedding' ? m.weight_bytes + o.weight_bytes : Math.max(m.weight_bytes, o.weight_bytes);
      m.kv_read_bytes += o.kv_read_bytes;
      m.kv_write_bytes += o.kv_write_bytes;
      m.act_bytes += o.act_bytes;
    }
    return m;
  });
}

/** Ridge point (FLOP/byte) of a unit context for its matmul dtype. */
export function ridgePoint(ctx: UnitCtx, dtype: Dtype = ctx.matmul_dtype): number {
  return (ctx.peak[dtype] * ctx.eta_c) / (ctx.bw * ctx.eta_m);
}
