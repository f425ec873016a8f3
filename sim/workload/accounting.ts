/**
 * LLM workload accounting: parameters, weight and KV bytes, and per-operator costs (Op[]) of
 * prefill and decode. Pure functions of (ModelArch, Precision, sizes); SI units (bytes, FLOP).
 *
 * Conventions (design brief section 3):
 * - A matmul of T tokens through an in x out matrix costs 2*T*in*out FLOP (+T*out for a bias).
 * - Attention is fused (FlashAttention-style): scores and probabilities are never written to
 *   DRAM; K and V are read once per sequence per pass. Causal prefill of N new tokens after P
 *   cached ones attends N*P + N(N+1)/2 (query, key) pairs; a decode step at context c attends
 *   c+1 pairs (the c cached tokens and itself).
 * - Weights are read once per pass for the whole batch; KV cache and activations scale with
 *   the batch.
 * - Quantized matrices cost weight_bits/8 bytes per weight plus one fp16 scale per group.
 *   Norm weights and biases stay at 16 bit (32 bit for fp32 models). Embedding table and LM
 *   head use embed_bits when given, else weight_bits.
 * - Per-layer operators come once with repeat = number of layers in the range.
 */
import {
  attnDims,
  blockMatrices,
  blockNormParams,
  embeddingParams,
  finalNormParams,
  lmHeadParams,
  matrixParams,
  type Matrix,
} from './shapes.ts';
import type { Dtype, ModelArch, Op, OpKind, Precision } from './types.ts';

/** Blocks [from, to) of a model; defaults to all. */
export interface LayerRange {
  from?: number;
  to?: number;
}

export interface PrefillOptions {
  /** Sequences prefilled together (each of N tokens). Default 1. */
  batch?: number;
  /** Tokens already in the KV cache of each sequence (chunked prefill). Default 0. */
  past?: number;
  /** Only blocks [from, to): embedding only if from == 0, LM head only if to == layers. */
  range?: LayerRange;
  /** LM head over every token (training) instead of the last token of each sequence. */
  all_logits?: boolean;
}

export interface OpsTotals {
  flops: number;
  weight_bytes: number;
  kv_read_bytes: number;
  kv_write_bytes: number;
  act_bytes: number;
}

/** Resolved [from, to) with checks. */
export function resolveRange(a: ModelArch, r?: LayerRange): { from: number; to: number } {
  const from = r?.from ?? 0;
  const to = r?.to ?? a.layers;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > a.layers || from > to) {
    throw new RangeError(`${a.id}: layer range [${from}, ${to}) is outside [0, ${a.layers}]`);
  }
  return { from, to };
}

// ---------------------------------------------------------------- parameters and bytes

export interface ParamBreakdown {
  embedding: number;
  lm_head: number;
  per_layer: number;
  layers_total: number;
  final_norm: number;
  total: number;
  /** total minus embedding and separate LM head. */
  non_embedding: number;
}

/** Parameters of one block (matrices, biases, norms). */
export function paramsPerLayer(a: ModelArch): number {
  let n = blockNormParams(a);
  for (const m of blockMatrices(a)) n += matrixParams(m);
  return n;
}

export function paramBreakdown(a: ModelArch): ParamBreakdown {
  const embedding = embeddingParams(a);
  const lm_head = lmHeadParams(a);
  const per_layer = paramsPerLayer(a);
  const layers_total = per_layer * a.layers;
  const final_norm = finalNormParams(a);
  const total = embedding + lm_head + layers_total + final_norm;
  return { embedding, lm_head, per_layer, layers_total, final_norm, total, non_embedding: total - embedding - lm_head };
}

/**
 * Parameters held by blocks [from, to) plus the embedding (from == 0) and the final norm and
 * LM head (to == layers). A tied LM head belongs to the part that holds the embedding; when a
 * split puts the head elsewhere, that part holds its own copy (counted there as well).
 */
export function paramCount(a: ModelArch, range?: LayerRange): number {
  const { from, to } = resolveRange(a, range);
  let n = paramsPerLayer(a) * (to - from);
  if (from === 0) n += embeddingParams(a);
  if (to === a.layers) {
    n += finalNormParams(a) + lmHeadParams(a);
    if (a.tied_embeddings && from !== 0) n += a.vocab * a.hidden;
  }
  return n;
}

/** Bytes per weight of a quantized matrix: bits/8 plus one fp16 scale per group. */
export function bytesPerWeight(bits: number, group_size: number): number {
  return bits / 8 + (group_size > 0 ? 2 / group_size : 0);
}

/** Bytes per element of norm weights and biases (kept at 16 bit, 32 for fp32 models). */
function smallBytes(p: Precision): number {
  return p.weight_bits >= 32 ? 4 : 2;
}

function matrixBytes(m: Matrix, p: Precision): number {
  return m.in_features * m.out_features * bytesPerWeight(p.weight_bits, p.group_size) + (m.bias ? m.out_features * smallBytes(p) : 0);
}

function embedBpw(p: Precision): number {
  return bytesPerWeight(p.embed_bits ?? p.weight_bits, p.embed_group_size ?? p.group_size);
}

/** Bytes per weight of the input embedding table: the head's format, or the body's when only the head is widened and the table is untied. */
function tableBpw(a: ModelArch, p: Precision): number {
  return p.embed_head_only && !a.tied_embeddings ? bytesPerWeight(p.weight_bits, p.group_size) : embedBpw(p);
}

/** Weight bytes of one block at this precision. */
export function layerWeightBytes(a: ModelArch, p: Precision): number {
  let b = blockNormParams(a) * smallBytes(p);
  for (const m of blockMatrices(a)) b += matrixBytes(m, p);
  return b;
}

/** Bytes of the LM head as read per pass (the embedding table when tied), incl. bias. */
function lmHeadBytes(a: ModelArch, p: Precision): number {
  return a.vocab * a.hidden * embedBpw(p) + (a.lm_head_bias ? a.vocab * smallBytes(p) : 0);
}

/** Stored weight bytes of the model (or of blocks [from, to), with the same rules as paramCount). */
export function weightBytes(a: ModelArch, p: Precision, range?: LayerRange): number {
  const { from, to } = resolveRange(a, range);
  let b = layerWeightBytes(a, p) * (to - from);
  const embedHere = from === 0;
  if (embedHere) b += embeddingParams(a) * tableBpw(a, p);
  if (to === a.layers) {
    b += finalNormParams(a) * smallBytes(p);
    if (!a.tied_embeddings || !embedHere) b += a.vocab * a.hidden * embedBpw(p);
    if (a.lm_head_bias) b += a.vocab * smallBytes(p);
  }
  return b;
}

/** KV-cache bytes per token of one sequence over all layers (or the layers of a range). */
export function kvBytesPerToken(a: ModelArch, kvBytes: number, range?: LayerRange): number {
  const { from, to } = resolveRange(a, range);
  return attnDims(a).kv_elems * kvBytes * (to - from);
}

/** Bytes of the hidden states crossing a cut: tokens x hidden x bytes per element. */
export function cutActivationBytes(a: ModelArch, tokens: number, bytesPerElem: number): number {
  return tokens * a.hidden * bytesPerElem;
}

/** Dtype of the matmul arithmetic for this precision. */
export function computeDtype(p: Precision): Dtype {
  if (p.compute_dtype) return p.compute_dtype;
  if (p.weight_bits >= 32) return 'fp32';
  if (p.weight_bits >= 16) return 'fp16';
  if (p.weight_bits >= 8) return 'int8';
  return 'int4';
}

function attnDtype(p: Precision): Dtype {
  return p.act_bytes >= 4 ? 'fp32' : 'fp16';
}

// ---------------------------------------------------------------- operators

function op(name: string, kind: OpKind, repeat: number, flops: number, weight_bytes: number, kv_read: number, kv_write: number, act: number, dtype: Dtype): Op {
  return { name, kind, repeat, flops, weight_bytes, kv_read_bytes: kv_read, kv_write_bytes: kv_write, act_bytes: act, compute_dtype: dtype };
}

function matmulOp(name: string, ms: readonly Matrix[], T: number, p: Precision, repeat: number, kvWrite: number): Op {
  let flops = 0;
  let wb = 0;
  let act = 0;
  let inWidth = 0;
  for (const m of ms) {
    flops += 2 * T * m.in_features * m.out_features + (m.bias ? T * m.out_features : 0);
    wb += matrixBytes(m, p);
    act += T * m.out_features * p.act_bytes;
    inWidth = Math.max(inWidth, m.in_features);
  }
  act += T * inWidth * p.act_bytes;
  let elems = 0;
  for (const m of ms) elems += m.in_features * m.out_features;
  return { ...op(name, 'matmul', repeat, flops, wb, 0, kvWrite, act, computeDtype(p)), weight_elems: elems };
}

interface BlockGroups {
  d: ReturnType<typeof attnDims>;
  attnIn: Matrix[];
  attnOut: Matrix[];
  mlpIn: Matrix[];
  mlpOut: Matrix[];
}

/** Matrices grouped by fused operator, cached per arch object (ops are built on hot paths). */
const groupsCache = new WeakMap<ModelArch, BlockGroups>();
function blockGroups(a: ModelArch): BlockGroups {
  let g = groupsCache.get(a);
  if (!g) {
    const mats = blockMatrices(a);
    g = {
      d: attnDims(a),
      attnIn: mats.filter((m) => m.group === 'attn' && !m.roles.includes('o')),
      attnOut: mats.filter((m) => m.roles.includes('o')),
      mlpIn: mats.filter((m) => m.group === 'mlp' && !m.roles.includes('down')),
      mlpOut: mats.filter((m) => m.roles.includes('down')),
    };
    groupsCache.set(a, g);
  }
  return g;
}

interface PassShape {
  /** Tokens processed in this pass, all sequences together. */
  tokens: number;
  /** (query, key) pairs attended, all sequences together. */
  pairs: number;
  /** Cached tokens read per layer, all sequences together. */
  kv_tokens_read: number;
  /** Sequences (LM head rows when only last-token logits are needed). */
  seqs: number;
  all_logits: boolean;
}

function passOps(a: ModelArch, p: Precision, s: PassShape, range?: LayerRange): Op[] {
  const { from, to } = resolveRange(a, range);
  const L = to - from;
  const T = s.tokens;
  const h = a.hidden;
  const ab = p.act_bytes;
  const ops: Op[] = [];
  if (from === 0) {
    const rows = (a.max_positions ? 2 : 1) * T;
    ops.push({ ...op('embedding', 'embedding', 1, a.max_positions ? T * h : 0, rows * h * tableBpw(a, p), 0, 0, T * h * ab, computeDtype(p)), weight_elems: rows * h });
  }
  if (L > 0) {
    const { d, attnIn, attnOut, mlpIn, mlpOut } = blockGroups(a);
    const norms = a.norms_per_layer ?? 2;
    const I = a.intermediate;
    const kvW = T * d.kv_elems * p.kv_bytes;
    ops.push(op('attn.norm', 'norm', L, 4 * norms * T * h, blockNormParams(a) * smallBytes(p), 0, 0, 2 * norms * T * h * ab, attnDtype(p)));
    ops.push(matmulOp('attn.qkv', attnIn, T, p, L, kvW));
    const kRead = s.kv_tokens_read * d.k_elems * p.kv_bytes;
    const vRead = s.kv_tokens_read * (d.kv_elems - d.k_elems) * p.kv_bytes;
    // scores: q.k dot products + scale + online softmax (~5 FLOP per score)
    ops.push(op('attn.scores', 'attention', L, s.pairs * d.heads * (2 * d.score_dim + 5), 0, kRead, 0, T * d.heads * d.score_dim * ab, attnDtype(p)));
    ops.push(op('attn.context', 'attention', L, s.pairs * d.heads * 2 * d.value_dim, 0, vRead, 0, T * d.out_dim * ab, attnDtype(p)));
    ops.push(matmulOp('attn.o', attnOut, T, p, L, 0));
    ops.push(matmulOp('mlp.up', mlpIn, T, p, L, 0));
    const gated = a.mlp !== 'gelu';
    // activation (SiLU/GELU ~ 4-8 FLOP per element, x up for gated) and the two residual adds
    ops.push(op('mlp.act', 'elementwise', L, T * I * (gated ? 5 : 8) + 2 * T * h, 0, 0, 0, (T * I * (gated ? 3 : 2) + 6 * T * h) * ab, attnDtype(p)));
    ops.push(matmulOp('mlp.down', mlpOut, T, p, L, 0));
  }
  if (to === a.layers) {
    const rows = s.all_logits ? T : s.seqs;
    ops.push(op('final_norm', 'norm', 1, 4 * rows * h, finalNormParams(a) * smallBytes(p), 0, 0, 2 * rows * h * ab, attnDtype(p)));
    // logits written in fp32
    ops.push({ ...op('lm_head', 'lm_head', 1, 2 * rows * h * a.vocab + (a.lm_head_bias ? rows * a.vocab : 0), lmHeadBytes(a, p), 0, 0, rows * (h * ab + a.vocab * 4), computeDtype(p)), weight_elems: h * a.vocab });
  }
  return ops;
}

/**
 * Operators of prefilling N prompt tokens (per sequence, `batch` sequences, after `past`
 * cached tokens each). Only the last token's logits are computed unless all_logits.
 */
export function prefillOps(a: ModelArch, N: number, p: Precision, opts: PrefillOptions = {}): Op[] {
  const B = opts.batch ?? 1;
  const P = opts.past ?? 0;
  if (!(N >= 1) || !(B >= 1) || !(P >= 0)) throw new RangeError(`prefillOps: need N >= 1, batch >= 1, past >= 0 (got ${N}, ${B}, ${P})`);
  return passOps(
    a,
    p,
    { tokens: B * N, pairs: B * (N * P + (N * (N + 1)) / 2), kv_tokens_read: B * (P + N), seqs: B, all_logits: opts.all_logits === true },
    opts.range,
  );
}

/**
 * Operators of one decode step: every sequence of the batch adds one token. `context` is the
 * number of tokens already cached per sequence; pass an array for sequences at different
 * contexts (its length is then the batch).
 */
export function decodeOps(a: ModelArch, context: number | readonly number[], p: Precision, batch = 1, opts: { range?: LayerRange } = {}): Op[] {
  let B: number;
  let sumCtx: number;
  if (typeof context === 'number') {
    B = batch;
    sumCtx = context * batch;
  } else {
    B = context.length;
    sumCtx = 0;
    for (const c of context) sumCtx += c;
  }
  if (!(B >= 1) || !(sumCtx >= 0)) throw new RangeError(`decodeOps: need batch >= 1 and context >= 0`);
  return passOps(a, p, { tokens: B, pairs: sumCtx + B, kv_tokens_read: sumCtx + B, seqs: B, all_logits: false }, opts.range);
}

/** Sum of per-instance costs x repeat. */
export function opsTotals(ops: readonly Op[]): OpsTotals {
  const t: OpsTotals = { flops: 0, weight_bytes: 0, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: 0 };
  for (const o of ops) {
    t.flops += o.flops * o.repeat;
    t.weight_bytes += o.weight_bytes * o.repeat;
    t.kv_read_bytes += o.kv_read_bytes * o.repeat;
    t.kv_write_bytes += o.kv_write_bytes * o.repeat;
    t.act_bytes += o.act_bytes * o.repeat;
  }
  return t;
}

// ---------------------------------------------------------------- memory footprint

/** Live activation elements per token inside one block at inference (residual + widest tensor). */
export function inferenceActWidth(a: ModelArch): number {
  const d = attnDims(a);
  const attnWidth = d.heads * d.score_dim + d.kv_elems + d.out_dim;
  const mlpWidth = (a.mlp === 'gelu' ? 1 : 2) * a.intermediate;
  return 2 * a.hidden + Math.max(attnWidth, mlpWidth);
}

export interface FootprintOptions {
  /** Tokens held in the KV cache per sequence. */
  context: number;
  /** Sequences. Default 1. */
  batch?: number;
  /** Tokens processed at once during prefill (llama.cpp ubatch default 512). */
  prefill_chunk?: number;
  range?: LayerRange;
}

export interface MemoryFootprint {
  model: string;
  weight_bits: number;
  weights_bytes: number;
  kv_bytes: number;
  activations_bytes: number;
  total_bytes: number;
}

/**
 * Inference memory: stored weights, the KV cache of `batch` sequences at `context`, and the
 * transient activations of one prefill chunk (one block's live tensors + fp32 logits of the
 * last token per sequence). Runtime overheads (code, allocator slack) are not included.
 */
export function memoryFootprint(a: ModelArch, p: Precision, o: FootprintOptions): MemoryFootprint {
  const B = o.batch ?? 1;
  const { from, to } = resolveRange(a, o.range);
  const weights_bytes = weightBytes(a, p, o.range);
  const kv_bytes = kvBytesPerToken(a, p.kv_bytes, o.range) * o.context * B;
  const chunk = Math.min(Math.max(o.context, 1), o.prefill_chunk ?? 512);
  const blockAct = to > from ? B * chunk * inferenceActWidth(a) * p.act_bytes : 0;
  const logits = to === a.layers ? B * a.vocab * 4 : 0;
  const activations_bytes = blockAct + logits;
  return { model: a.id, weight_bits: p.weight_bits, weights_bytes, kv_bytes, activations_bytes, total_bytes: weights_bytes + kv_bytes + activations_bytes };
}

/** A model (or model part) does not fit the memory it was given. */
export class FitError extends Error {
  constructor(
    readonly footprint: MemoryFootprint,
    readonly capacity_bytes: number,
    message: string,
  ) {
    super(message);
    this.name = 'FitError';
  }
}

/** 1 decimal in GB; small amounts in MB so they do not print as 0.0 GB. */
const gb = (x: number): string => (x >= 1e8 || x === 0 ? `${(x / 1e9).toFixed(1)} GB` : `${(x / 1e6).toFixed(0)} MB`);

/** Throws FitError naming the numbers when the footprint exceeds the capacity. */
export function checkFits(f: MemoryFootprint, capacity_bytes: number, where = 'the device'): void {
  if (f.total_bytes <= capacity_bytes) return;
  throw new FitError(
    f,
    capacity_bytes,
    `${f.model} at ${f.weight_bits} bit needs ${gb(f.weights_bytes)} weights + ${gb(f.kv_bytes)} KV cache + ` +
      `${gb(f.activations_bytes)} activations = ${gb(f.total_bytes)}; ${where} has ${gb(capacity_bytes)}`,
  );
}
