import { z } from 'zod';
import { distributionSchema } from '../scenario/distributions.ts';
import { quantity } from '../scenario/units.ts';

/** How long the edge server takes to serve one request. */
export const serviceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('per-token'),
    prefill_per_token: quantity('time', { min: 0 }).describe('seconds per prompt token'),
    decode_per_token: quantity('time', { min: 0 }).describe('seconds per generated token'),
    overhead: quantity('time', { min: 0 }).default(0).describe('fixed seconds per request'),
  }),
  z.strictObject({
    kind: z.literal('roofline'),
    unit: z.enum(['gpu', 'npu', 'cpu', 'dsp']).prefault('gpu').describe('unit of the server device that runs the model'),
    runtime: z.string().optional().describe('runtime profile id (see `mei-sim list profiles`)'),
  }),
]);

export const inferenceSchema = z.strictObject({
  model: z.string().prefault('llama-3.2-3b').describe('model id from the catalog (`mei-sim list models`)'),
  weight_bits: z.number().int().min(2).max(32).default(16),
  requests: z
    .strictObject({
      rate_per_user: quantity('rate', { gt: 0 }).prefault('1 /min').describe('Poisson request rate of each user'),
      prompt_tokens: distributionSchema.default({ dist: 'lognormal', mean: 256, cv: 0.6, min: 8, max: 4096 }),
      output_tokens: distributionSchema.default({ dist: 'lognormal', mean: 128, cv: 0.6, min: 4, max: 2048 }),
    })
    .prefault({}),
  server: z
    .strictObject({
      slots: z.number().int().min(1).default(4).describe('requests served in parallel by each edge server'),
      service: serviceSchema.default({ kind: 'roofline', unit: 'gpu' }),
    })
    .prefault({}),
});

export type InferenceSpec = z.output<typeof inferenceSchema>;
