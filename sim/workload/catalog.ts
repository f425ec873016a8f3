/**
 * The LLM catalog: architectures as data (models.yaml), validated on load.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ModelArch } from './types.ts';

const posInt = z.number().int().positive();

const MlaSchema = z.strictObject({
  q_lora_rank: posInt,
  kv_lora_rank: posInt,
  qk_nope_head_dim: posInt,
  qk_rope_head_dim: posInt,
  v_head_dim: posInt,
  cache: z.enum(['full', 'latent']).optional(),
});

const EntrySchema = z
  .strictObject({
    name: z.string().min(1),
    family: z.string().min(1),
    layers: posInt,
    hidden: posInt,
    heads: posInt,
    kv_heads: posInt,
    head_dim: posInt,
    mlp: z.enum(['swiglu', 'geglu', 'gelu']),
    intermediate: posInt,
    vocab: posInt,
    tied_embeddings: z.boolean(),
    max_positions: z.number().int().nonnegative().optional(),
    qkv_bias: z.boolean().optional(),
    norm: z.enum(['rmsnorm', 'layernorm']).optional(),
    norms_per_layer: z.number().int().min(1).max(4).optional(),
    linear_bias: z.boolean().optional(),
    lm_head_bias: z.boolean().optional(),
    qk_norm: z.boolean().optional(),
    mla: MlaSchema.optional(),
    published_params: z.number().positive().optional(),
    published_params_source: z.string().min(3).optional(),
    source: z.string().min(3),
    notes: z.string().optional(),
  })
  .refine((m) => m.heads % m.kv_heads === 0, { message: 'heads must be a multiple of kv_heads' })
  .refine((m) => (m.published_params === undefined) === (m.published_params_source === undefined), {
    message: 'published_params needs published_params_source (and vice versa)',
  });

const FileSchema = z.strictObject({ models: z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/), EntrySchema) });

export class UnknownModelError extends Error {
  constructor(
    readonly id: string,
    readonly known: readonly string[],
  ) {
    super(`unknown model "${id}"; known ids: ${known.join(', ')}`);
    this.name = 'UnknownModelError';
  }
}

let cache: Map<string, ModelArch> | undefined;

/** Parse and validate catalog YAML text (exported for tests and user-supplied catalogs). */
export function parseCatalog(text: string, origin = 'models.yaml'): Map<string, ModelArch> {
  const res = FileSchema.safeParse(parse(text));
  if (!res.success) {
    const issues = res.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`${origin}: invalid model catalog\n${issues}`);
  }
  const out = new Map<string, ModelArch>();
  for (const [id, e] of Object.entries(res.data.models)) out.set(id, Object.freeze({ id, ...e }) as ModelArch);
  return out;
}

function catalog(): Map<string, ModelArch> {
  if (!cache) {
    const url = new URL('./models.yaml', import.meta.url);
    cache = parseCatalog(readFileSync(url, 'utf8'), url.pathname);
  }
  return cache;
}

/** The architecture with this id; throws UnknownModelError listing the known ids. */
export function getModel(id: string): ModelArch {
  const m = catalog().get(id);
  if (!m) throw new UnknownModelError(id, listModels());
  return m;
}

/** All catalog ids, sorted. */
export function listModels(): string[] {
  return [...catalog().keys()].sort();
}

/** True when the id is in the catalog. */
export function hasModel(id: string): boolean {
  return catalog().has(id);
}
