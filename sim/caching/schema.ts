/**
 * Scenario schema of the block catalog (generated families and hand-listed
 * blocks and models) and of the placement options. Sizes accept units via
 * `quantity('bytes')`.
 */
import { z } from 'zod';
import { modelId } from '../hardware/refs.ts';
import { quantity } from '../common/units.ts';
import type { ModelArch } from '../workload/types.ts';
import { buildCatalog, type BlockCatalog, type FamilySpec } from './blocks.ts';

export const weightFormatSchema = z
  .strictObject({
    weight_bits: z.number().int().min(1).max(32).default(16).describe('bits per weight (16 = fp16/bf16)'),
    group_size: z.number().int().min(0).default(0).describe('weights per quantization group with one fp16 scale; 0 = none'),
    embed_bits: z.number().int().min(1).max(32).optional().describe('bits of the embedding and LM head when they differ'),
  })
  .describe('weight storage format');

export const familySchema = z.strictObject({
  model: modelId().describe('architecture id from the workload catalog (sim/workload/models.yaml)'),
  format: weightFormatSchema.prefault({}),
  include_base: z.boolean().default(true).describe('the base model itself is also requested'),
  lora: z
    .strictObject({
      count: z.number().int().min(0).describe('number of LoRA adapters (models) on this base'),
      rank: z.number().int().min(1).default(16),
      // Hu et al., LoRA, arXiv:2106.09685, adapt W_q and W_v in most of their experiments.
      matrices: z.array(z.enum(['q', 'k', 'v', 'o', 'gate', 'up', 'down'])).min(1).default(['q', 'v']),
      adapter_bits: z.number().int().min(1).max(32).default(16).describe('bits per adapter weight'),
    })
    .optional()
    .describe('LoRA variants: share every base block, add one adapter block'),
  finetune_top: z
    .array(z.strictObject({ count: z.number().int().min(0), layers: z.number().int().min(1).describe('top layers fine-tuned') }))
    .default([])
    .describe('copies whose top layers (and head) are fine-tuned; the bottom layers are shared with the base'),
  quantizations: z.array(weightFormatSchema).default([]).describe('full copies at other weight formats; share nothing'),
});

export const manualBlockSchema = z.strictObject({
  id: z.string(),
  size: quantity('bytes', { min: 0, description: 'block size' }),
});

export const manualModelSchema = z.strictObject({
  id: z.string(),
  blocks: z.array(z.string()).min(1).describe('ids of its blocks'),
  family: z.string().optional(),
  base: z.string().optional(),
});

export const catalogSchema = z
  .strictObject({
    families: z.array(familySchema).default([]).describe('model families generated from the workload catalog'),
    blocks: z.array(manualBlockSchema).default([]).describe('hand-listed parameter blocks'),
    models: z.array(manualModelSchema).default([]).describe('hand-listed models, as sets of block ids'),
  })
  .refine((c) => c.families.length + c.models.length > 0, { message: 'the catalog needs at least one family or model' });

export type CatalogSpec = z.output<typeof catalogSchema>;

export const placementOptionsSchema = z.strictObject({
  epsilon: z.number().gt(0).lt(1).default(0.1).describe('trimcaching-spec: knapsack value-rounding epsilon, (1 - eps)/2 guarantee'),
  max_shared_groups: z
    .number()
    .int()
    .min(0)
    .max(24)
    .default(16)
    .describe('trimcaching-spec: most groups of shared blocks it will enumerate subsets of (2^n per server)'),
  node_limit: z
    .number()
    .int()
    .min(1)
    .max(2_147_483_647)
    .default(100_000)
    .describe('optimal: branch-and-bound node limit (at most 2^31 - 1, the solver\'s integer option); the search stops there with the best placement found (same on every machine), reported as not proven optimal with its gap'),
  time_limit: quantity('time', { gt: 0 })
    .prefault('600 s')
    .describe('optimal: wall-clock safety net; reaching it before the node limit is an error (a placement cut off by time would depend on the machine)'),
  mip_gap: z.number().min(0).max(1).default(0).describe('optimal: relative MIP gap at which the solver stops; above 0 the placement is reported as not proven optimal unless the gap closed'),
  lookahead: z
    .boolean()
    .optional()
    .describe('trimcaching-gen, independent: key a model that needs a shared base by the best ratio of it plus the siblings the base unlocks (default off; on for trimcaching-gen-plus)'),
  best_of_gain: z
    .boolean()
    .optional()
    .describe('trimcaching-gen, independent: also run the greedy on plain gain and keep the better placement (default off; on for trimcaching-gen-plus)'),
  local_search_rounds: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .optional()
    .describe('trimcaching-gen, independent: best-response sweeps over the servers after the greedy (default 0; trimcaching-gen-plus: 2 up to 20,000 server x model pairs, else 1)'),
  local_search_seeds: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .optional()
    .describe('local search: families tried as first choice per server (default 0; trimcaching-gen-plus: 8 up to 20,000 pairs)'),
  local_search_exact_groups: z
    .number()
    .int()
    .min(0)
    .max(24)
    .optional()
    .describe('local search: most shared block groups for the exact per-server best response, 2^n subsets each, at most 24 (default 0 = off; trimcaching-gen-plus: 10 up to 20,000 pairs)'),
});

export type PlacementOptionsSpec = z.output<typeof placementOptionsSchema>;

/** The catalog a spec describes; `resolveArch` looks up workload architectures by id (sim/workload getModel). */
export function catalogFromSpec(spec: CatalogSpec, resolveArch: (id: string) => ModelArch): BlockCatalog {
  const families: FamilySpec[] = spec.families.map((f) => ({
    arch: resolveArch(f.model),
    format: f.format,
    include_base: f.include_base,
    ...(f.lora ? { lora: f.lora } : {}),
    finetune_top: f.finetune_top,
    quantizations: f.quantizations,
  }));
  return buildCatalog(families, {
    blocks: spec.blocks.map((b) => ({ id: b.id, size_bytes: b.size })),
    models: spec.models.map((m) => ({ id: m.id, blocks: m.blocks, variant: 'custom' as const, ...(m.family ? { family: m.family } : {}), ...(m.base ? { base: m.base } : {}) })),
  });
}
