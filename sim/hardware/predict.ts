/**
 * Phase-level predictions on named devices and models: TTFT, TPOT, decode
 * rate over `gen` tokens from context `prompt`, bound per phase, energy per
 * token, memory footprint and fit, batched prefill/decode for the inference
 * domain, and a split plan (prefill on one unit, decode on another).
 *
 * Everything is cached per (device, unit, runtime, weight bits, threads) and
 * per (model, weight bits, tokens): 100 device x model predictions take
 * milliseconds.
 */
import { checkFits, decodeOps, memoryFootprint, prefillOps, type MemoryFootprint } from '../workload/accounting.ts';
import { getModel } from '../workload/catalog.ts';
import { InputError } from '../common/errors.ts';
import type { ModelArch, Op, Precision } from '../workload/types.ts';
import type { HardwareProfile, RuntimeProfile, UnitName } from './profile-schema.ts';
import { join } from 'node:path';
import { loadProfile, loadRuntime, PROFILE_DIR } from './profiles.ts';
import { logMultipliers, overlayTheta } from './fit-overlay.ts';
import { mergeBatch, phaseCost, resolveUnitCtx, type Bound, type PhaseCost, type UnitCtx } from './roofline.ts';

/**
 * Deployment precision for a weight width when the caller gives none:
 * 16 bit -> fp16, no scales; below 16 -> one fp16 scale per 32 weights
 * (llama.cpp Q4_0/Q8_0 blocks; K-quants and group-128 formats are within
 * +-0.4 bit/weight of it); fp16 KV cache and fp16 activations.
 * The embedding table / LM head keep more bits where the runtime does so:
 * llama.cpp quantizes output.weight to Q6_K (~6.5 bit/weight) in its 2-5 bit
 * mixes (llama-quant.cpp), QNN/Genie, ExecuTorch and RKLLM keep the
 * embedding/LM head at 8 bit; MLC q4f16/q3f16 and the rest quantize it like
 * the other matrices.
 */
export function defaultPrecision(weightBits: number, runtime?: string): Precision {
  const g = runtime === 'llama.cpp' ? LLAMA_CPP_GROUP[weightBits] : runtime === 'rkllm' && weightBits === 8 ? 0 : undefined;
  const p: Precision = { weight_bits: weightBits, group_size: weightBits >= 16 ? 0 : (g ?? 32), kv_bytes: 2, act_bytes: 2 };
  const headBits = runtime === 'llama.cpp' ? 6 : runtime === 'qnn' || runtime === 'executorch' || runtime === 'rkllm' ? 8 : weightBits;
  if (headBits > weightBits) p.embed_bits = headBits;
  // llama.cpp's Q6_K head is 6.5625 bit/weight whatever the body's mix: 6 + 16 / 32 = 6.5 here, not
  // the Q2_K / Q3_K_M body's equivalent group (which made the 2-bit head 7.29 bits and 2-bit decode slower than 4-bit).
  if (runtime === 'llama.cpp' && headBits > weightBits) {
    p.embed_group_size = 32;
    // only output.weight is Q6_K; an untied token_embd is quantized like the body (Q4_0 7B file: 3.56 GiB)
    p.embed_head_only = true;
  }
  return p;
}

/**
 * llama.cpp has no plain 2- or 3-bit format: "2 bit" is the Q2_K mix and "3 bit" Q3_K_M,
 * whose files are much larger than 2 or 3 bits per weight (K-quant sub-block scales, and
 * attn_v / ffn_down kept at Q3_K-Q5_K). Their bits per weight, from the file sizes that
 * llama.cpp's quantize tool prints for LLaMA-v1-7B (6.738e9 parameters; examples/quantize/
 * quantize.cpp QUANT_OPTIONS: Q2_K 2.63 GiB, Q3_K_M 3.07 GiB, Q4_0 3.56 GiB), are written here
 * as the equivalent group size of one fp16 scale per `group` weights (bpw = bits + 16 / group):
 *   whole file bpw = GiB x 2^30 x 8 / 6.738e9: Q2_K 3.354, Q3_K_M 3.915, Q4_0 4.541;
 *   the output matrix (32000 x 4096 = 0.131e9 weights) is Q6_K at 6.5 bpw (embed_bits 6), so the
 *   other 6.607e9 weights carry (bpw x 6.738e9 - 0.131e9 x 6.5) / 6.607e9 = Q2_K 3.29, Q3_K_M 3.86
 *   (Q4_0: 4.50, i.e. the 4 + 16 / 32 of its blocks - a check of the arithmetic);
 *   group = 16 / (bpw - bits): Q2_K 16 / 1.29 = 12.4, Q3_K_M 16 / 0.86 = 18.6.
 * 4 bit stays Q4_0 (group 32, llama-bench's reference format; Q4_K_M's 3.80 GiB is 4.85 bpw, +7%).
 * RKLLM's plain "w8a8" is per-channel (group 0: one scale per output row, negligible bytes); its
 * group-wise variants carry the group in the name (RKLLM-Toolkit quantized_dtype for RK3588:
 * w8a8, w8a8_g128, w8a8_g256, w8a8_g512; https://github.com/airockchip/rknn-llm, RKLLM SDK docs).
 */
const LLAMA_CPP_GROUP: Readonly<Record<number, number>> = { 2: 12.4, 3: 18.6 };

/** Multipliers on eta_c and eta_m applied on top of a resolved context (calibration). */
export interface EtaTweak {
  compute: number;
  memory: number;
}

/** Hook to adjust efficiencies per (device, unit, runtime) without touching files; used by calibrate --from. */
export type TweakFn = (device: string, unit: UnitName, runtime: string | undefined, weightBits: number) => EtaTweak | undefined;

const ctxCache = new Map<string, UnitCtx>();
const opsCache = new Map<string, Op[]>();
const CACHE_MAX = 20000;

function cachePut<V>(m: Map<string, V>, k: string, v: V): V {
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
  return v;
}

/** Forget resolved contexts, op lists and the loaded calibration overlay (unless pinned). */
export function clearPredictCache(): void {
  ctxCache.clear();
  opsCache.clear();
  if (!overlayPinned) overlay = undefined;
}

let profileDirs: string[] | undefined;
let runtimeDirs: string[] | undefined;
let fittedDir: string | undefined;
/** Log multipliers of the calibration overlay in use; undefined = not loaded yet. */
let overlay: Map<string, number> | undefined;
let overlayPinned = false;

/** Folder of the calibration overlay files (sim/hardware/fit-overlay.ts) read by `unitCtx`. */
export function fittedDirOf(): string {
  return fittedDir ?? join(profileDirs?.[0] ?? PROFILE_DIR, 'fitted');
}

/**
 * Read profiles from other folders (tests, a copy being calibrated); undefined = the shipped ones.
 * `fitted`: the overlay folder (default `<first profile folder>/fitted`).
 */
export function setProfileDirs(dirs: { profiles?: string[]; runtimes?: string[]; fitted?: string } | undefined): void {
  profileDirs = dirs?.profiles;
  runtimeDirs = dirs?.runtimes;
  fittedDir = dirs?.fitted;
  clearPredictCache();
}

/**
 * Replace the calibration overlay by explicit log multipliers (`calibrate --from`
 * predicts from the priors plus the overlays it does not rewrite); undefined
 * returns to the overlay files.
 */
export function pinOverlay(theta: Map<string, number> | undefined): void {
  overlay = theta;
  overlayPinned = theta !== undefined;
  clearPredictCache();
}

function overlayNow(): Map<string, number> {
  return (overlay ??= overlayTheta(fittedDirOf()));
}

/** Resolved unit context of a named device/unit/runtime (prior efficiencies x calibration overlay), cached. */
export function unitCtx(device: string, unit: UnitName, runtime: string | undefined, weightBits: number, threads?: number): UnitCtx {
  const key = `${device}|${unit}|${runtime ?? ''}|${weightBits}|${threads ?? ''}`;
  const hit = ctxCache.get(key);
  if (hit) return hit;
  const profile: HardwareProfile = loadProfile(device, profileDirs);
  const rt: RuntimeProfile | undefined = runtime ? loadRuntime(runtime, runtimeDirs) : undefined;
  const ctx = resolveUnitCtx(profile, unit, rt, weightBits, threads);
  const ov = overlayNow();
  if (ov.size > 0) {
    const lm = logMultipliers(ov, { device, unit, runtime, weight_bits: weightBits, vendor: vendorKey(profile.vendor) });
    ctx.eta_c = Math.min(1, ctx.eta_c * Math.exp(lm.compute));
    ctx.eta_m = Math.min(1, ctx.eta_m * Math.exp(lm.memory));
  }
  return cachePut(ctxCache, key, ctx);
}

/** Vendor key of a profile's `vendor` text (first word: "Qualcomm", "Apple", "NVIDIA", ...). */
export function vendorKey(vendor: string): string {
  return vendor.split(' ')[0]!;
}

function applyTweak(ctx: UnitCtx, tweak: TweakFn | undefined): UnitCtx {
  if (!tweak) return ctx;
  const t = tweak(ctx.device, ctx.unit, ctx.runtime, ctx.weight_bits);
  if (!t || (t.compute === 1 && t.memory === 1)) return ctx;
  return { ...ctx, eta_c: Math.min(1, ctx.eta_c * t.compute), eta_m: Math.min(1, ctx.eta_m * t.memory) };
}

function precKey(p: Precision): string {
  return `${p.weight_bits}/${p.group_size}/${p.kv_bytes}/${p.act_bytes}/${p.compute_dtype ?? ''}/${p.embed_bits ?? ''}/${p.embed_group_size ?? ''}/${p.embed_head_only ? 1 : 0}`;
}

export function cachedPrefillOps(arch: ModelArch, N: number, p: Precision): Op[] {
  const key = `p|${arch.id}|${precKey(p)}|${N}`;
  return opsCache.get(key) ?? cachePut(opsCache, key, prefillOps(arch, N, p));
}

export function cachedDecodeOps(arch: ModelArch, context: number, p: Precision, batch = 1): Op[] {
  const key = `d|${arch.id}|${precKey(p)}|${context}|${batch}`;
  return opsCache.get(key) ?? cachePut(opsCache, key, decodeOps(arch, context, p, batch));
}

/** Prefill of one prompt of N tokens: the TTFT (first token's logits included). */
export function prefillCost(ctx: UnitCtx, arch: ModelArch, p: Precision, N: number): PhaseCost {
  return phaseCost(cachedPrefillOps(arch, N, p), ctx);
}

/** One decode step at context c (tokens already cached): the TPOT at that context. */
export function decodeStepCost(ctx: UnitCtx, arch: ModelArch, p: Precision, context: number): PhaseCost {
  return phaseCost(cachedDecodeOps(arch, context, p), ctx);
}

/**
 * Decode of `gen` tokens starting at context `prompt`: Simpson's rule over the
 * step cost at the first, middle and last context (the step cost is
 * piecewise linear in context, so this is exact up to a kink of the max()).
 * Returns the mean step (time, energy, ...), bound of the middle step.
 */
export function decodeRunCost(ctx: UnitCtx, arch: ModelArch, p: Precision, prompt: number, gen: number): PhaseCost {
  const g = Math.max(1, Math.round(gen));
  if (g <= 2) return decodeStepCost(ctx, arch, p, prompt);
  const a = decodeStepCost(ctx, arch, p, prompt);
  const m = decodeStepCost(ctx, arch, p, prompt + Math.round((g - 1) / 2));
  const b = decodeStepCost(ctx, arch, p, prompt + g - 1);
  const s = (k: keyof Omit<PhaseCost, 'bound'>) => (a[k] + 4 * m[k] + b[k]) / 6;
  return {
    time_s: s('time_s'),
    compute_s: s('compute_s'),
    memory_s: s('memory_s'),
    overhead_s: s('overhead_s'),
    flops: s('flops'),
    bytes: s('bytes'),
    energy_j: s('energy_j'),
    bound: m.bound,
  };
}

/**
 * Batched prefill of several prompts in one pass (continuous batching):
 * weights read once; matmul work over all tokens; attention per prompt.
 */
export function prefillBatchCost(ctx: UnitCtx, arch: ModelArch, p: Precision, prompts: readonly number[]): PhaseCost {
  if (prompts.length === 1) return prefillCost(ctx, arch, p, prompts[0]!);
  // Same-length prompts: one op list with batch = n. Otherwise merge the one-prompt lists (weights once).
  if (prompts.every((n) => n === prompts[0])) return phaseCost(prefillOps(arch, prompts[0]!, p, { batch: prompts.length }), ctx);
  return phaseCost(mergeBatch(prompts.map((n) => cachedPrefillOps(arch, n, p))), ctx);
}

/** One decode step of a batch of sequences at the given contexts (one token each). */
export function decodeBatchStepCost(ctx: UnitCtx, arch: ModelArch, p: Precision, contexts: readonly number[]): PhaseCost {
  if (contexts.length === 1) return decodeStepCost(ctx, arch, p, contexts[0]!);
  return phaseCost(decodeOps(arch, contexts, p), ctx);
}

export interface PredictQuery {
  device: string;
  unit: UnitName;
  model: string;
  weight_bits: number;
  runtime?: string;
  threads?: number;
  /** Prompt tokens (TTFT over them; decode starts at this context). Default 128. */
  prompt?: number;
  /** Generated tokens the decode rate is averaged over. Default 128. */
  gen?: number;
  /** Context the decode starts at; default `prompt`. validate uses 0 for llama-bench tgN rows. */
  decode_start?: number;
  precision?: Precision;
}

export interface PredictResult {
  device: string;
  unit: UnitName;
  model: string;
  runtime: string | null;
  weight_bits: number;
  /** Bits the unit actually holds the weights at (a unit without a narrower format widens them, e.g. a DSP without int4). */
  stored_weight_bits: number;
  threads: number | null;
  prompt: number;
  gen: number;
  prefill_tok_s: number;
  decode_tok_s: number;
  ttft_s: number;
  tpot_s: number;
  prefill_bound: Bound;
  decode_bound: Bound;
  prefill_energy_j: number;
  energy_j_per_token: number;
  eta_c: number;
  eta_m: number;
  bandwidth_bytes_per_s: number;
  peak_flops_per_s: number;
  memory: MemoryFootprint & { capacity_bytes: number; fits: boolean };
}

/**
 * Weight width a unit actually stores and streams: the requested bits, or the unit's
 * `min_weight_bits` when it has no narrower datapath (Hexagon before v73 runs 4-bit
 * models with 8-bit weights).
 */
export function storedWeightBits(device: string, unit: UnitName, weightBits: number): number {
  const min = loadProfile(device, profileDirs).units[unit]?.min_weight_bits?.value;
  return min !== undefined && weightBits < min ? min : weightBits;
}

/** Bits per weight a query may ask for: 1 (binary) to 32 (fp32); fractions are mixed formats (1.58, 4.5, 4.85). */
export const WEIGHT_BITS_RANGE = [1, 32] as const;

/**
 * Check the numbers of a query; a RangeError names the one that is impossible (the CLI turns it into
 * exit 2, validate lists the row under errors). Token counts are whole numbers >= 1 (a context may be 0),
 * threads a whole number >= 1.
 */
export function checkQueryNumbers(q: { weight_bits: number; prompt?: number; gen?: number; threads?: number; context?: number }): void {
  const [lo, hi] = WEIGHT_BITS_RANGE;
  if (!(Number.isFinite(q.weight_bits) && q.weight_bits >= lo && q.weight_bits <= hi)) {
    throw new RangeError(`weight bits ${q.weight_bits}: expected bits per weight from ${lo} to ${hi} (e.g. 16, 8, 4, 4.5, 2, 1.58)`);
  }
  const whole = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new RangeError(`${name} ${v}: expected a whole number >= ${min}`);
  };
  whole('prompt tokens', q.prompt, 1);
  whole('generated tokens', q.gen, 1);
  whole('threads', q.threads, 1);
  whole('context', q.context, 0);
}

/**
 * Predict prefill and decode of one model on one device unit. Throws
 * (ProfileError, UnknownModelError, FitError, RangeError, RuntimeTargetError) when it cannot.
 */
export function predict(q: PredictQuery, tweak?: TweakFn): PredictResult {
  checkQueryNumbers(q);
  const arch = getModel(q.model);
  const bits = storedWeightBits(q.device, q.unit, q.weight_bits);
  const p = q.precision ?? defaultPrecision(bits, q.runtime);
  const ctx = applyTweak(unitCtx(q.device, q.unit, q.runtime, bits, q.threads), tweak);
  const prompt = q.prompt ?? 128;
  const gen = q.gen ?? 128;
  const start = q.decode_start ?? prompt;
  const fp = memoryFootprint(arch, p, { context: start + gen, prefill_chunk: Math.min(prompt, 512) });
  checkFits(fp, ctx.capacity_bytes, `${q.device} (${q.unit})`);
  const pre = prefillCost(ctx, arch, p, prompt);
  const dec = decodeRunCost(ctx, arch, p, start, gen);
  return {
    device: q.device,
    unit: q.unit,
    model: q.model,
    runtime: q.runtime ?? null,
    weight_bits: q.weight_bits,
    stored_weight_bits: bits,
    threads: ctx.threads > 0 ? ctx.threads : null,
    prompt,
    gen,
    prefill_tok_s: prompt / pre.time_s,
    decode_tok_s: 1 / dec.time_s,
    ttft_s: pre.time_s,
    tpot_s: dec.time_s,
    prefill_bound: pre.bound,
    decode_bound: dec.bound,
    prefill_energy_j: pre.energy_j,
    energy_j_per_token: dec.energy_j,
    eta_c: ctx.eta_c,
    eta_m: ctx.eta_m,
    bandwidth_bytes_per_s: ctx.bw,
    peak_flops_per_s: ctx.peak[ctx.matmul_dtype],
    memory: { ...fp, capacity_bytes: ctx.capacity_bytes, fits: true },
  };
}

export interface SplitPlanResult {
  prefill: { unit: UnitName; runtime: string | null; ttft_s: number; bound: Bound; energy_j: number };
  decode: { unit: UnitName; runtime: string | null; tpot_s: number; decode_tok_s: number; bound: Bound; energy_j_per_token: number };
  /** End-to-end time of prompt + gen tokens: TTFT + gen x mean TPOT. */
  total_s: number;
  total_energy_j: number;
}

/**
 * Split plan: prefill on one unit (typically the NPU/GPU, compute-bound),
 * decode on another (typically the CPU or GPU, memory-bound). The KV cache
 * lives in shared DRAM, so no transfer is charged between the phases.
 */
export function splitPlan(q: {
  device: string;
  model: string;
  weight_bits: number;
  prefill: { unit: UnitName; runtime?: string; threads?: number };
  decode: { unit: UnitName; runtime?: string; threads?: number };
  prompt?: number;
  gen?: number;
}): SplitPlanResult {
  checkQueryNumbers({ weight_bits: q.weight_bits, prompt: q.prompt, gen: q.gen, threads: q.prefill.threads });
  checkQueryNumbers({ weight_bits: q.weight_bits, threads: q.decode.threads });
  const arch = getModel(q.model);
  // Each phase runs in its own unit's runtime and format (as predict would on that unit).
  const bp = storedWeightBits(q.device, q.prefill.unit, q.weight_bits);
  const bd = storedWeightBits(q.device, q.decode.unit, q.weight_bits);
  const pp = defaultPrecision(bp, q.prefill.runtime);
  const p = defaultPrecision(bd, q.decode.runtime);
  const prompt = q.prompt ?? 128;
  const gen = q.gen ?? 128;
  const cp = unitCtx(q.device, q.prefill.unit, q.prefill.runtime, bp, q.prefill.threads);
  const cd = unitCtx(q.device, q.decode.unit, q.decode.runtime, bd, q.decode.threads);
  checkFits(memoryFootprint(arch, bp > bd ? pp : p, { context: prompt + gen, prefill_chunk: Math.min(prompt, 512) }), cp.capacity_bytes, q.device);
  if (cd.capacity_bytes !== cp.capacity_bytes) checkFits(memoryFootprint(arch, p, { context: prompt + gen, prefill_chunk: 1 }), cd.capacity_bytes, q.device);
  const pre = prefillCost(cp, arch, pp, prompt);
  const dec = decodeRunCost(cd, arch, p, prompt, gen);
  return {
    prefill: { unit: q.prefill.unit, runtime: q.prefill.runtime ?? null, ttft_s: pre.time_s, bound: pre.bound, energy_j: pre.energy_j },
    decode: { unit: q.decode.unit, runtime: q.decode.runtime ?? null, tpot_s: dec.time_s, decode_tok_s: 1 / dec.time_s, bound: dec.bound, energy_j_per_token: dec.energy_j },
    total_s: pre.time_s + gen * dec.time_s,
    total_energy_j: pre.energy_j + gen * dec.energy_j,
  };
}

/** Run `f`; a profile/model/fit problem (a user input error) becomes an InputError (exit code 2, no stack). */
export function asInputError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    const name = (e as Error).name;
    if (['ProfileError', 'UnknownModelError', 'FitError', 'RangeError', 'RuntimeTargetError'].includes(name) || /^device .* has no unit/.test((e as Error).message)) throw new InputError((e as Error).message);
    throw e;
  }
}
