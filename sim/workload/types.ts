/**
 * The seam between workload accounting (what a computation costs) and the
 * hardware roofline (how long it takes on a unit). Pure data, SI units.
 */
/** Arithmetic types a unit has a peak for (hardware profiles key their peaks by these). */
export const DTYPES = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type Dtype = (typeof DTYPES)[number];

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
  /**
   * Weight elements per instance (matmul-like ops): what a quantized kernel unpacks. Not derivable
   * from weight_bytes, which also holds group scales and, for the LM head, a wider format.
   */
  weight_elems?: number;
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
  /** 'rmsnorm' (weight only, default) or 'layernorm' (weight + bias). */
  norm?: 'rmsnorm' | 'layernorm';
  /** Norm layers per block: 2 (default), 1 (Phi-2 shared norm), 4 (Gemma 2 pre+post norms). */
  norms_per_layer?: number;
  /** Biases on every linear layer (GPT-3, GPT-NeoX, Phi-2). */
  linear_bias?: boolean;
  /** Bias on the LM head (Phi-2). */
  lm_head_bias?: boolean;
  /** Per-head RMSNorm on q and k (Qwen3): 2 x head_dim weights per layer. */
  qk_norm?: boolean;
  /** Multi-head latent attention (MiniCPM3, DeepSeek-V2 style); replaces the q/k/v shapes. */
  mla?: MlaSpec;
  /** Published parameter count (model card or paper), for checks. */
  published_params?: number;
  published_params_source?: string;
}

/** Multi-head latent attention dimensions (config.json names). */
export interface MlaSpec {
  q_lora_rank: number;
  kv_lora_rank: number;
  qk_nope_head_dim: number;
  qk_rope_head_dim: number;
  v_head_dim: number;
  /**
   * What the KV cache holds per token and layer: 'full' = decompressed per-head K and V
   * (HF transformers and llama.cpp MiniCPM3 code paths, default); 'latent' = kv_lora_rank +
   * qk_rope_head_dim (absorbed-MLA kernels).
   */
  cache?: 'full' | 'latent';
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
  /** Dtype of the matmul arithmetic; default from weight_bits (>=32 fp32, 16 fp16, 8 int8, <8 int4). */
  compute_dtype?: Dtype;
  /** Bits of the embedding table and LM head if they differ from weight_bits. */
  embed_bits?: number;
  /** Their weights per fp16 scale, if their format differs from the body's (default group_size). */
  embed_group_size?: number;
  /**
   * embed_bits / embed_group_size apply to the LM head only: an untied embedding table keeps the
   * body's format (llama.cpp quantizes output.weight to Q6_K and token_embd like the body; a tied
   * table is the head and takes the head's format).
   */
  embed_head_only?: boolean;
}
