/**
 * Training costs of one optimizer step: trainable parameters for a PEFT choice, forward and
 * backward FLOPs, and peak memory (weights + activations + gradients + optimizer state).
 * Pure functions. Per-layer-range variants serve split learning: the device part is blocks
 * [0, k), the server part [k, L).
 *
 * Model (design brief sections 3 and 6):
 * - Forward = the prefill operators over batch x seq tokens with logits for every token.
 * - Backward computes activation gradients for every block from the top of the range down to
 *   the lowest block that holds trainable parameters (or down to the range input when a part
 *   below it, e.g. the device half of a split, still needs the gradient), and weight
 *   gradients only for trainable matrices. A matmul's activation gradient and its weight
 *   gradient each cost as much as its forward; fused attention backward costs ~2x forward.
 *   Full fine-tuning therefore costs ~3x forward, LoRA ~2x forward.
 * - Activation checkpointing (full recompute per block, Korthikanti et al. 2022,
 *   arXiv:2205.05198) stores only block inputs and re-runs each block's forward in backward.
 * - Optimizer state per trainable parameter: Adam 8 B (two fp32 moments) + 4 B fp32 master
 *   copy when training in 16 bit = 12 B; SGD 4 B (master) or 0 in fp32; SGD with momentum
 *   8 B (4 in fp32); MeZO 0 (zeroth-order, Malladi et al. 2023, arXiv:2305.17333: two forward
 *   passes with +/- perturbations, no gradients, no stored activations).
 */
import {
  bytesPerWeight,
  inferenceActWidth,
  paramCount,
  prefillOps,
  resolveRange,
  weightBytes,
  type LayerRange,
  opsTotals,
} from './accounting.ts';
import { attnDims, blockMatrices, embeddingParams, type MatrixRole } from './shapes.ts';
import type { ModelArch, Op, Precision } from './types.ts';

export type LoraTarget = MatrixRole;

export type Peft =
  | { kind: 'full' }
  /** Low-rank adapters B(r x out) A(in x r) on the target matrices of every block. */
  | { kind: 'lora'; rank: number; targets: readonly LoraTarget[] }
  /** Houlsby bottleneck adapters: two per block (after attention and after the MLP). */
  | { kind: 'adapters'; bottleneck: number }
  /** Soft prompt of `tokens` trainable embeddings prepended to the input. */
  | { kind: 'prompt'; tokens: number }
  /** Bottom `bottom` blocks and the embedding frozen (the embedding also when bottom = 0), the rest and the LM head trained. */
  | { kind: 'frozen'; bottom: number };

export type OptimizerKind = 'adam' | 'sgd' | 'sgd-momentum' | 'mezo';

export interface TrainingSpec {
  peft: Peft;
  optimizer: OptimizerKind;
  /** Sequences per step. */
  batch: number;
  /** Tokens per sequence (prompt-tuning tokens are added on top). */
  seq: number;
  /** Format of the (frozen) base weights and of activations. */
  precision: Precision;
  /** Bits of trainable weights and their gradients (16 = mixed precision, 32 = fp32). Default 16. */
  train_bits?: number;
  /** Full activation recompute per block. Default false. */
  checkpointing?: boolean;
  /** Fused attention (no s x s score tensors stored). Default true. */
  flash_attention?: boolean;
  /** Blocks of this part (split learning); default the whole model. */
  range?: LayerRange;
  /**
   * Compute the gradient w.r.t. this part's input (the smashed data) for a part below.
   * Default: true when the range starts above block 0 and the PEFT trains something below it.
   */
  grad_to_input?: boolean;
}

export interface TrainingCost {
  trainable_params: number;
  /** Parameters of this part (base model, without PEFT additions). */
  base_params: number;
  /** Forward passes per step (2 for MeZO). */
  forward_passes: number;
  /** Lowest block that gets activation gradients, or null when backward never enters a block. */
  backward_from_layer: number | null;
  forward_flops: number;
  backward_act_flops: number;
  backward_weight_flops: number;
  recompute_flops: number;
  optimizer_flops: number;
  total_flops: number;
  weights_bytes: number;
  gradients_bytes: number;
  optimizer_state_bytes: number;
  activation_bytes: number;
  peak_memory_bytes: number;
}

export interface TrainingOps {
  /** One forward pass (run `forward_passes` times). */
  forward: Op[];
  /** Activation and weight gradients (and recompute under checkpointing). */
  backward: Op[];
  optimizer: Op[];
  forward_passes: number;
}

/** LoRA parameters on one in x out matrix: r(in + out). */
export function loraMatrixParams(rank: number, in_features: number, out_features: number): number {
  return rank * (in_features + out_features);
}

function loraPerLayer(a: ModelArch, rank: number, targets: readonly LoraTarget[]): { params: number; matrices: number } {
  let params = 0;
  let matrices = 0;
  for (const m of blockMatrices(a)) {
    if (m.roles.some((r) => targets.includes(r))) {
      params += loraMatrixParams(rank, m.in_features, m.out_features);
      matrices++;
    }
  }
  return { params, matrices };
}

/** Houlsby adapter parameters per block: 2 x (down h x m + m bias + up m x h + h bias). */
function adapterPerLayer(a: ModelArch, m: number): number {
  return 2 * (2 * a.hidden * m + m + a.hidden);
}

function checkPeft(a: ModelArch, peft: Peft): void {
  const bad = (msg: string): never => {
    throw new RangeError(`${a.id}: ${msg}`);
  };
  if (peft.kind === 'lora') {
    if (!(Number.isInteger(peft.rank) && peft.rank >= 1)) bad(`LoRA rank must be a positive integer (got ${peft.rank})`);
    if (peft.targets.length === 0) bad('LoRA needs at least one target matrix (q, k, v, o, gate, up, down)');
    if (a.mlp === 'gelu' && peft.targets.length === 1 && peft.targets[0] === 'gate') bad('gelu MLP has no gate matrix');
  } else if (peft.kind === 'adapters') {
    if (!(peft.bottleneck >= 1)) bad(`adapter bottleneck must be >= 1 (got ${peft.bottleneck})`);
  } else if (peft.kind === 'prompt') {
    if (!(peft.tokens >= 1)) bad(`prompt tuning needs tokens >= 1 (got ${peft.tokens})`);
  } else if (peft.kind === 'frozen') {
    if (!(Number.isInteger(peft.bottom) && peft.bottom >= 0 && peft.bottom <= a.layers)) bad(`frozen bottom must be in [0, ${a.layers}] (got ${peft.bottom})`);
  }
}

/** First block whose base weights are trained (a.layers + 1 when none). */
function baseTrainableFrom(a: ModelArch, peft: Peft): number {
  if (peft.kind === 'full') return 0;
  if (peft.kind === 'frozen') return peft.bottom;
  return a.layers + 1;
}

/** Trainable parameters held by blocks [from, to) (plus the embedding/head rules of paramCount). */
export function trainableParams(a: ModelArch, peft: Peft, range?: LayerRange): number {
  checkPeft(a, peft);
  const { from, to } = resolveRange(a, range);
  const L = to - from;
  switch (peft.kind) {
    case 'full':
      return paramCount(a, { from, to });
    case 'frozen': {
      // Blocks [max(from, bottom), to), and the final norm and LM head when the range holds them. The
      // embedding (token and learned position tables) is always frozen, also with bottom = 0; a tied
      // LM head is trained as the head (as for bottom > 0, where paramCount counts its own copy).
      const k = Math.min(Math.max(from, peft.bottom), to);
      if (k === to && to < a.layers) return 0;
      if (k > 0) return paramCount(a, { from: k, to });
      const tiedHead = to === a.layers && a.tied_embeddings ? a.vocab * a.hidden : 0;
      return paramCount(a, { from: 0, to }) - embeddingParams(a) + tiedHead;
    }
    case 'lora':
      return loraPerLayer(a, peft.rank, peft.targets).params * L;
    case 'adapters':
      return adapterPerLayer(a, peft.bottleneck) * L;
    case 'prompt':
      return from === 0 ? peft.tokens * a.hidden : 0;
  }
}

/** True when any layer below `from` (or the embedding) is trained under this PEFT. */
function trainsBelow(peft: Peft, from: number): boolean {
  if (from === 0) return false;
  switch (peft.kind) {
    case 'full':
    case 'lora':
    case 'adapters':
    case 'prompt':
      return true;
    case 'frozen':
      return peft.bottom < from;
  }
}

/** Optimizer-state bytes per trainable parameter. */
export function optimizerStateBytesPerParam(opt: OptimizerKind, train_bits = 16): number {
  const master = train_bits < 32 ? 4 : 0;
  switch (opt) {
    case 'adam':
      return 8 + master;
    case 'sgd':
      return master;
    case 'sgd-momentum':
      return 4 + master;
    case 'mezo':
      return 0;
  }
}

/** FLOP per trainable parameter of one optimizer update (elementwise). */
function optimizerFlopsPerParam(opt: OptimizerKind): number {
  // adam: m, v updates, bias correction, sqrt, divide, weight decay; sgd: axpy; mezo: 4 perturb/update sweeps
  return opt === 'adam' ? 12 : opt === 'sgd' ? 2 : opt === 'sgd-momentum' ? 4 : 8;
}

/** Stored activation elements per token of one block in training (no dropout). */
function storedActWidth(a: ModelArch, loraMatrices: number, rank: number, adapterM: number): number {
  const d = attnDims(a);
  const norms = (a.norms_per_layer ?? 2) * a.hidden;
  const attn = a.hidden + d.heads * d.score_dim + d.kv_elems + d.out_dim;
  const mlp = a.hidden + (a.mlp === 'gelu' ? 2 : 3) * a.intermediate;
  return norms + attn + mlp + loraMatrices * rank + 2 * adapterM;
}

interface Plan {
  from: number;
  to: number;
  /** Lowest block with activation gradients (to when none). */
  lo: number;
  /** First block whose base matrices get weight gradients. */
  wt: number;
  headTrainable: boolean;
  embedTrainable: boolean;
  seqEff: number;
  lora: { params: number; matrices: number; rank: number };
  adapterM: number;
}

function plan(a: ModelArch, s: TrainingSpec): Plan {
  checkPeft(a, s.peft);
  const { from, to } = resolveRange(a, s.range);
  const peft = s.peft;
  const wt = Math.max(from, baseTrainableFrom(a, peft));
  const gradIn = s.grad_to_input ?? trainsBelow(peft, from);
  let lo: number;
  if (s.optimizer === 'mezo') lo = to;
  else if (gradIn || peft.kind === 'lora' || peft.kind === 'adapters' || peft.kind === 'prompt') lo = from;
  else lo = Math.min(wt, to);
  const headTrainable = to === a.layers && (peft.kind === 'full' || peft.kind === 'frozen');
  const embedTrainable = from === 0 && peft.kind === 'full';
  const seqEff = s.seq + (peft.kind === 'prompt' ? peft.tokens : 0);
  const lora = peft.kind === 'lora' ? { ...loraPerLayer(a, peft.rank, peft.targets), rank: peft.rank } : { params: 0, matrices: 0, rank: 0 };
  const adapterM = peft.kind === 'adapters' ? peft.bottleneck : 0;
  return { from, to, lo, wt, headTrainable, embedTrainable, seqEff, lora, adapterM };
}

function scaled(o: Op, name: string, f: number, weightF: number): Op {
  return {
    name,
    kind: o.kind,
    repeat: o.repeat,
    flops: o.flops * f,
    weight_bytes: o.weight_bytes * weightF,
    ...(o.weight_elems === undefined ? {} : { weight_elems: o.weight_elems * weightF }),
    kv_read_bytes: o.kv_read_bytes * f,
    kv_write_bytes: 0,
    act_bytes: o.act_bytes * Math.max(f, 1),
    compute_dtype: o.compute_dtype,
  };
}

/** PEFT side-path operators (LoRA A/B, adapters) for T tokens over `layers` blocks. */
function peftOps(a: ModelArch, p: Plan, T: number, layers: number, prec: Precision): Op[] {
  if (layers <= 0) return [];
  const tb = 2; // PEFT weights at 16 bit
  const ab = prec.act_bytes;
  const ops: Op[] = [];
  if (p.lora.params > 0) {
    ops.push({ name: 'lora', kind: 'matmul', repeat: layers, flops: 2 * T * p.lora.params, weight_bytes: p.lora.params * tb, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: T * p.lora.matrices * p.lora.rank * 2 * ab, compute_dtype: 'fp16' });
  }
  if (p.adapterM > 0) {
    const w = adapterPerLayer(a, p.adapterM);
    ops.push({ name: 'adapter', kind: 'matmul', repeat: layers, flops: 2 * T * w, weight_bytes: w * tb, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: T * 2 * (2 * a.hidden + p.adapterM) * ab, compute_dtype: 'fp16' });
  }
  return ops;
}

/** Operators of one training step of this part, for the roofline. */
export function trainingOps(a: ModelArch, s: TrainingSpec): TrainingOps {
  const p = plan(a, s);
  const T = s.batch * p.seqEff;
  // K/V here are activations of the step, not a cache: account them at activation width.
  const prec: Precision = { ...s.precision, kv_bytes: s.precision.act_bytes };
  const passes = s.optimizer === 'mezo' ? 2 : 1;
  const fwdOpts = { batch: s.batch, all_logits: true };
  const pass = (from: number, to: number): Op[] => prefillOps(a, p.seqEff, prec, { ...fwdOpts, range: { from, to } });
  // blocks below p.lo run forward only; [p.lo, to) also run backward
  let lower: Op[] = [];
  let upper: Op[] = [];
  if (p.lo <= p.from) upper = pass(p.from, p.to);
  else if (p.lo >= p.to) lower = pass(p.from, p.to);
  else {
    lower = pass(p.from, p.lo);
    upper = pass(p.lo, p.to);
  }
  const forward: Op[] = [...lower, ...upper, ...peftOps(a, p, T, p.to - p.from, prec)];
  // a trained LM head still gets weight gradients when backward enters no block
  const bwdSource = upper.length > 0 ? upper : lower.filter((o) => o.kind === 'lm_head');

  const backward: Op[] = [];
  if (passes === 1) {
    const enters = p.lo < p.to;
    for (const o of bwdSource) {
      if (o.kind === 'embedding') {
        if (p.embedTrainable) backward.push(scaled(o, 'bwd.embedding', 1, 0));
        continue;
      }
      if (o.kind === 'lm_head') {
        const f = (enters ? 1 : 0) + (p.headTrainable ? 1 : 0);
        if (f > 0) backward.push(scaled(o, 'bwd.lm_head', f, 1));
        continue;
      }
      if (!enters) continue;
      if (o.name === 'final_norm') {
        backward.push(scaled(o, 'bwd.final_norm', 2, 0));
        continue;
      }
      if (o.kind === 'matmul') {
        // blocks [lo, wt): activation grads only; [wt, to): + weight grads
        const actOnly = Math.max(0, Math.min(p.wt, p.to) - p.lo);
        const both = o.repeat - actOnly;
        if (actOnly > 0) backward.push({ ...scaled(o, `bwd.${o.name}`, 1, 1), repeat: actOnly });
        if (both > 0) backward.push({ ...scaled(o, `bwd.${o.name}+wgrad`, 2, 1), repeat: both });
      } else {
        backward.push(scaled(o, `bwd.${o.name}`, 2, 0));
      }
    }
    for (const o of peftOps(a, p, T, p.to - p.lo, prec)) backward.push(scaled(o, `bwd.${o.name}`, 2, 1));
    if (s.checkpointing && enters) {
      for (const o of upper) {
        if (o.kind !== 'embedding' && o.kind !== 'lm_head' && o.name !== 'final_norm') backward.push({ ...o, name: `recompute.${o.name}`, kv_write_bytes: 0 });
      }
    }
  }

  const trainable = trainableParams(a, s.peft, s.range);
  const tBytes = (s.train_bits ?? 16) / 8;
  const stateB = optimizerStateBytesPerParam(s.optimizer, s.train_bits ?? 16);
  const optimizer: Op[] =
    trainable > 0
      ? [
          {
            name: `optimizer.${s.optimizer}`,
            kind: 'elementwise',
            repeat: 1,
            flops: trainable * optimizerFlopsPerParam(s.optimizer),
            weight_bytes: trainable * (s.optimizer === 'mezo' ? 8 * tBytes : 3 * tBytes + 2 * stateB),
            kv_read_bytes: 0,
            kv_write_bytes: 0,
            act_bytes: 0,
            compute_dtype: 'fp32',
          },
        ]
      : [];
  return { forward, backward, optimizer, forward_passes: passes };
}

/** All operators of one step in execution order (forward repeated for MeZO). */
export function trainingStepOps(a: ModelArch, s: TrainingSpec): Op[] {
  const t = trainingOps(a, s);
  const out: Op[] = [];
  for (let i = 0; i < t.forward_passes; i++) out.push(...t.forward);
  out.push(...t.backward, ...t.optimizer);
  return out;
}

/** FLOPs and memory of one training step of this part. */
export function trainingCost(a: ModelArch, s: TrainingSpec): TrainingCost {
  const p = plan(a, s);
  const ops = trainingOps(a, s);
  const trainable = trainableParams(a, s.peft, s.range);
  const base_params = paramCount(a, s.range);
  const trainBits = s.train_bits ?? 16;
  const tBytes = trainBits / 8;
  if (s.peft.kind === 'full' && s.precision.weight_bits < 16) {
    throw new RangeError(`${a.id}: full fine-tuning trains every base weight, which needs 16- or 32-bit weights (got ${s.precision.weight_bits} bit); use LoRA for a quantized base`);
  }

  let backward_act_flops = 0;
  let backward_weight_flops = 0;
  let recompute_flops = 0;
  for (const o of ops.backward) {
    const f = o.flops * o.repeat;
    if (o.name.startsWith('recompute.')) recompute_flops += f;
    else if (o.name.endsWith('+wgrad')) {
      backward_act_flops += f / 2;
      backward_weight_flops += f / 2;
    } else if (o.name === 'bwd.lm_head') {
      const enters = p.lo < p.to;
      const parts = (enters ? 1 : 0) + (p.headTrainable ? 1 : 0);
      backward_act_flops += enters ? f / parts : 0;
      backward_weight_flops += p.headTrainable ? f / parts : 0;
    } else if (o.name === 'bwd.embedding' || o.name === 'bwd.lora' || o.name === 'bwd.adapter') {
      const half = o.name === 'bwd.embedding' ? 0 : f / 2;
      backward_act_flops += half;
      backward_weight_flops += f - half;
    } else backward_act_flops += f;
  }
  const forward_flops = opsTotals(ops.forward).flops * ops.forward_passes;
  const optimizer_flops = opsTotals(ops.optimizer).flops;

  // weights: frozen part at the base format, trained base weights and PEFT additions at train_bits
  let weights_bytes: number;
  if (s.peft.kind === 'full') weights_bytes = base_params * tBytes;
  else if (s.peft.kind === 'frozen') {
    // the trained top blocks are held at train_bits instead of the base format
    weights_bytes = weightBytes(a, s.precision, s.range) + trainable * (tBytes - bytesPerWeight(s.precision.weight_bits, s.precision.group_size));
  } else weights_bytes = weightBytes(a, s.precision, s.range) + trainable * tBytes;

  const mezo = s.optimizer === 'mezo';
  const gradients_bytes = mezo ? 0 : trainable * tBytes;
  const optimizer_state_bytes = trainable * optimizerStateBytesPerParam(s.optimizer, trainBits);

  const T = s.batch * p.seqEff;
  const ab = s.precision.act_bytes;
  const { from, to } = p;
  const logits = to === a.layers ? T * a.vocab * 4 : 0;
  const working = to > from ? T * inferenceActWidth(a) * ab : 0;
  let activation_bytes: number;
  if (mezo) activation_bytes = working + logits;
  else {
    const span = p.to - p.lo;
    let perLayer = storedActWidth(a, p.lora.matrices, p.lora.rank, p.adapterM) * ab;
    if (s.flash_attention === false) perLayer += 2 * a.heads * p.seqEff * ab;
    const stored = s.checkpointing ? span * a.hidden * ab + (span > 0 ? perLayer : 0) : span * perLayer;
    activation_bytes = T * stored + (span < p.to - p.from ? working : 0) + logits;
  }
  const total_flops = forward_flops + backward_act_flops + backward_weight_flops + recompute_flops + optimizer_flops;
  return {
    trainable_params: trainable,
    base_params,
    forward_passes: ops.forward_passes,
    backward_from_layer: p.lo < p.to ? p.lo : null,
    forward_flops,
    backward_act_flops,
    backward_weight_flops,
    recompute_flops,
    optimizer_flops,
    total_flops,
    weights_bytes,
    gradients_bytes,
    optimizer_state_bytes,
    activation_bytes,
    peak_memory_bytes: weights_bytes + gradients_bytes + optimizer_state_bytes + activation_bytes,
  };
}

/** Smashed data of split learning: samples x tokens x hidden x bytes per element. */
export function smashedDataBytes(a: ModelArch, samples: number, tokens: number, bytesPerElem: number): number {
  return samples * tokens * a.hidden * bytesPerElem;
}
