/**
 * The seam between workload accounting (what a computation costs) and the
 * hardware roofline (how long it takes on a unit). Pure data, SI units.
 */
import type { Dtype } from '../hardware/profile-schema.ts';

export type OpKind = 'matmul' | 'attention' | 'norm' | 'elementwise' | 'embedding' | 'lm_head' | 'softmax';

/** One operator instance (or `repeat` identical instances, e.g. one per layer). */
export interface Op {
  /** e.g. "attn.qkv", "attn.scores", "mlp.up", "lm_head". */
  name: string;
  kind: OpKind;
  /** Identical instances this entry stands for (layers); totals are per instance x repeat. */
  repeat: number;
  /** Arithmetic per instance, FLOP (int ops for integer kernels). */
  flops: number;
  /** Weight bytes read per instance, at the weight format incl. group-scale overhead. */
  weight_bytes: number;
  /** KV-cache bytes read per instance. */
  kv_read_bytes: number;
  /** KV-cache bytes written per instance. */
  kv_write_bytes: number;
  /** Activation bytes read + written per instance (at activation precision). */
  act_bytes: number;
  /** Dtype the arithmetic runs in (selects the unit's peak). */
  compute_dtype: Dtype;
}

/** Model architecture, as data. Sources are the model card or config.json. */
export interface ModelArch {
  id: string;
  name: string;
  family: string;
  layers: number;
  hidden: number;
  heads: number;
  kv_heads: number;
  head_dim: number;
  mlp: 'swiglu' | 'geglu' | 'gelu';
  intermediate: number;
  vocab: number;
  tied_embeddings: boolean;
  /** Learned absolute position embeddings rows (GPT-style), 0 for RoPE models. */
  max_positions?: number;
  /** Biases on QKV (Qwen) etc. are counted when true. */
  qkv_bias?: boolean;
  source: string;
  notes?: string;
}

/** Numeric formats of one deployment. */
export interface Precision {
  /** Weight bits (16 = fp16/bf16, 8, 4, 3, 2). */
  weight_bits: number;
  /** Weights per quantization group (one fp16 scale per group); 0 = no scales. */
  group_size: number;
  /** Bytes per KV element (2 = fp16, 1 = int8). */
  kv_bytes: number;
  /** Bytes per activation element (2 = fp16, 4 = fp32). */
  act_bytes: number;
}
