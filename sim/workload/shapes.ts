/**
 * Tensor shapes of one decoder block, derived from a ModelArch. Everything else
 * (parameter counts, weight bytes, operator FLOPs, LoRA sizes) is computed from these.
 */
import type { ModelArch } from './types.ts';

/** Roles a linear layer can play; LoRA targets name these (q, k, v, o, gate, up, down). */
export type MatrixRole = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** One weight matrix of a block: y = x W, W is in_features x out_features. */
export interface Matrix {
  /** Config-style name, e.g. "q_proj", "kv_b_proj". */
  name: string;
  /** The attention/MLP role(s) this matrix serves, for LoRA targeting. */
  roles: readonly MatrixRole[];
  in_features: number;
  out_features: number;
  bias: boolean;
  /** Which operator group it belongs to. */
  group: 'attn' | 'mlp';
}

/** Attention dimensions that set KV-cache size and score/context FLOPs. */
export interface AttnDims {
  /** Query heads. */
  heads: number;
  /** Width of one q.k dot product. */
  score_dim: number;
  /** Width of one head's value vector. */
  value_dim: number;
  /** KV-cache elements per token per layer (K and V together). */
  kv_elems: number;
  /** The part of kv_elems read by the score (q.k) kernel; the rest is read by the context (p.v) kernel. */
  k_elems: number;
  /** Width of the attention output (input of the output projection). */
  out_dim: number;
}

export function attnDims(a: ModelArch): AttnDims {
  if (a.mla) {
    const m = a.mla;
    const score = m.qk_nope_head_dim + m.qk_rope_head_dim;
    const latent = m.cache === 'latent';
    const kv = latent ? m.kv_lora_rank + m.qk_rope_head_dim : a.heads * (score + m.v_head_dim);
    const k = latent ? kv : a.heads * score;
    return { heads: a.heads, score_dim: score, value_dim: m.v_head_dim, kv_elems: kv, k_elems: k, out_dim: a.heads * m.v_head_dim };
  }
  return {
    heads: a.heads,
    score_dim: a.head_dim,
    value_dim: a.head_dim,
    kv_elems: 2 * a.kv_heads * a.head_dim,
    k_elems: a.kv_heads * a.head_dim,
    out_dim: a.heads * a.head_dim,
  };
}

/** The weight matrices of one block, in execution order. */
export function blockMatrices(a: ModelArch): Matrix[] {
  const h = a.hidden;
  const lb = a.linear_bias === true;
  const qb = lb || a.qkv_bias === true;
  const out: Matrix[] = [];
  if (a.mla) {
    const m = a.mla;
    const qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
    out.push(
      { name: 'q_a_proj', roles: ['q'], in_features: h, out_features: m.q_lora_rank, bias: false, group: 'attn' },
      { name: 'q_b_proj', roles: ['q'], in_features: m.q_lora_rank, out_features: a.heads * qk, bias: false, group: 'attn' },
      { name: 'kv_a_proj_with_mqa', roles: ['k', 'v'], in_features: h, out_features: m.kv_lora_rank + m.qk_rope_head_dim, bias: false, group: 'attn' },
      { name: 'kv_b_proj', roles: ['k', 'v'], in_features: m.kv_lora_rank, out_features: a.heads * (m.qk_nope_head_dim + m.v_head_dim), bias: false, group: 'attn' },
      { name: 'o_proj', roles: ['o'], in_features: a.heads * m.v_head_dim, out_features: h, bias: false, group: 'attn' },
    );
  } else {
    const kvDim = a.kv_heads * a.head_dim;
    out.push(
      { name: 'q_proj', roles: ['q'], in_features: h, out_features: a.heads * a.head_dim, bias: qb, group: 'attn' },
      { name: 'k_proj', roles: ['k'], in_features: h, out_features: kvDim, bias: qb, group: 'attn' },
      { name: 'v_proj', roles: ['v'], in_features: h, out_features: kvDim, bias: qb, group: 'attn' },
      { name: 'o_proj', roles: ['o'], in_features: a.heads * a.head_dim, out_features: h, bias: lb, group: 'attn' },
    );
  }
  const I = a.intermediate;
  if (a.mlp === 'gelu') {
    out.push(
      { name: 'up_proj', roles: ['up'], in_features: h, out_features: I, bias: lb, group: 'mlp' },
      { name: 'down_proj', roles: ['down'], in_features: I, out_features: h, bias: lb, group: 'mlp' },
    );
  } else {
    out.push(
      { name: 'gate_proj', roles: ['gate'], in_features: h, out_features: I, bias: lb, group: 'mlp' },
      { name: 'up_proj', roles: ['up'], in_features: h, out_features: I, bias: lb, group: 'mlp' },
      { name: 'down_proj', roles: ['down'], in_features: I, out_features: h, bias: lb, group: 'mlp' },
    );
  }
  return out;
}

/** Parameters of a matrix incl. its bias. */
export function matrixParams(m: Matrix): number {
  return m.in_features * m.out_features + (m.bias ? m.out_features : 0);
}

/** Norm weights (and LayerNorm biases) of one block, incl. q/k norms and MLA latent norms. */
export function blockNormParams(a: ModelArch): number {
  const perNorm = a.norm === 'layernorm' ? 2 * a.hidden : a.hidden;
  let n = (a.norms_per_layer ?? 2) * perNorm;
  if (a.qk_norm) n += 2 * a.head_dim;
  if (a.mla) n += a.mla.q_lora_rank + a.mla.kv_lora_rank;
  return n;
}

/** Final norm before the LM head. */
export function finalNormParams(a: ModelArch): number {
  return a.norm === 'layernorm' ? 2 * a.hidden : a.hidden;
}

/** Token embedding rows x hidden plus learned position rows. */
export function embeddingParams(a: ModelArch): number {
  return (a.vocab + (a.max_positions ?? 0)) * a.hidden;
}

/** LM head parameters stored separately (0 when tied), incl. its bias. */
export function lmHeadParams(a: ModelArch): number {
  return (a.tied_embeddings ? 0 : a.vocab * a.hidden) + (a.lm_head_bias ? a.vocab : 0);
}
