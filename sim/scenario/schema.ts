import { z } from 'zod';
import { cachingSchema } from '../caching/online/schema.ts';
import { deliverySchema } from '../delivery/schema.ts';
import { inferenceSchema } from '../inference/schema.ts';
import { topologySchema } from '../network/schema.ts';
import { trainingSchema } from '../training/schema.ts';
import { quantity } from '../common/units.ts';

/**
 * The root scenario schema. Each domain contributes its section; unknown keys
 * anywhere are errors.
 */
export const scenarioSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" or "-"')
    .describe('scenario name; default output folder is results/<name>-<seed>/'),
  description: z.string().optional(),
  extends: z.union([z.string(), z.array(z.string())]).optional().describe('file(s) this scenario overrides, relative to it'),
  seed: z.number().int().min(0).default(1).describe('master seed; every random stream derives from it'),
  duration: quantity('time', { gt: 0 }).describe('simulated horizon'),
  warmup: quantity('time', { min: 0 }).default(0).describe('statistics ignore requests that finish before this time'),
  topology: topologySchema.optional().describe('base stations, edge servers and users'),
  caching: cachingSchema.optional().describe('edge model caching with parameter sharing: catalog, placement, replacement, demand'),
  delivery: deliverySchema.optional().describe('model downloads: unicast or multicast delivery (needs caching)'),
  inference: inferenceSchema.optional().describe('LLM inference requests served at the edge'),
  training: trainingSchema.optional().describe('LLM fine-tuning on devices and edge servers: centralized, fl, hfl, sl, sfl, psl, ushape'),
});

export type Scenario = z.output<typeof scenarioSchema>;
