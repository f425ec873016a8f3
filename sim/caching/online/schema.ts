/**
 * Scenario section `caching`: the block catalog, the proactive placement, the
 * request demand it plans for, replacement and periodic re-placement.
 */
import { z } from 'zod';
import { quantity } from '../../common/units.ts';
import { policyName, type Registry } from '../../common/registry.ts';
import { placementPolicies } from '../placement/index.ts';
import { catalogSchema, placementOptionsSchema } from '../schema.ts';
import { replacementPolicies } from './replacement.ts';

export const demandSchema = z.strictObject({
  rate: quantity('rate', { min: 0 }).prefault('1 /min').describe('model download requests per user (Poisson)'),
  zipf: z.number().min(0).default(0.8).describe('Zipf exponent of model popularity'),
  order: z.enum(['catalog', 'shuffled']).default('shuffled').describe('popularity ranking: catalog order, or a seeded shuffle'),
  deadline: quantity('time', { gt: 0 }).prefault('10 s').describe('download deadline: a hit must be served from the edge within it, counted from the request (TrimCaching latency requirement); under multicast delivery it includes the batching window, so placement plans each transfer within the deadline less delivery.window'),
  focus: z
    .strictObject({
      family: z.string().describe('family id (the architecture id of a generated family, or `family` of hand-listed models)'),
      share: z.number().min(0).max(1).describe('fraction of requests drawn from this family (Zipf within it)'),
    })
    .optional()
    .describe('send a share of the requests to one model family'),
  drift: z
    .strictObject({
      every: quantity('time', { gt: 0 }).describe('period of popularity drift'),
      swaps: z.number().int().min(1).default(1).describe('random adjacent-rank swaps per period'),
    })
    .optional()
    .describe('popularity drifts: adjacent ranks swap at random'),
  shift: z
    .strictObject({
      at: quantity('time', { min: 0 }).describe('time of the popularity shift'),
      to: z.enum(['reverse', 'shuffle']).default('reverse').describe('reverse: the least popular become the most popular; shuffle: a fresh random ranking'),
    })
    .optional()
    .describe('popularity changes at once at a set time'),
});

export const cachingSchema = z.strictObject({
  catalog: catalogSchema.describe('the models as sets of parameter blocks'),
  placement: policyName(placementPolicies as Registry<unknown>, 'trimcaching-gen'),
  placement_options: placementOptionsSchema.prefault({}),
  capacity_fraction: z
    .number()
    .gt(0)
    .optional()
    .describe('storage per server as a fraction of the library size (union of all blocks); overrides topology.servers.storage'),
  rate_share: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe('share of a cell\'s peak rate one download is assumed to get when placement judges who can be served within the deadline'),
  initial_fill: z
    .enum(['preloaded', 'backhaul'])
    .default('preloaded')
    .describe('preloaded: the t=0 placement is in place at the start (as the papers assume); backhaul: its blocks travel from the cloud at t=0'),
  replacement: policyName(replacementPolicies as Registry<unknown>, 'none'),
  replace: z
    .strictObject({
      every: quantity('time', { gt: 0 }).describe('period of re-placement'),
      policy: policyName(placementPolicies as Registry<unknown>)
        .optional()
        .describe('placement policy for re-placement (default: caching.placement)'),
      demand: z
        .enum(['oracle', 'observed'])
        .default('observed')
        .describe('oracle: the current popularity; observed: request shares since the last re-placement, smoothed'),
      smoothing: z
        .number()
        .min(0)
        .lt(1)
        .default(0.5)
        .describe('observed: weight of the previous estimate in the new one (exponential smoothing; the first estimate is the expected popularity at t = 0)'),
    })
    .optional()
    .describe('periodic re-placement; new blocks travel over the backhaul from the nearest holder or the cloud'),
  demand: demandSchema.prefault({}),
  report_period: quantity('time', { gt: 0 }).prefault('60 s').describe('period of the rows of servers.csv'),
}).superRefine((c, ctx) => {
  // The greedy's options (unset by default) only mean something to the greedy policies.
  const greedy = ['trimcaching-gen', 'trimcaching-gen-plus', 'independent'];
  const o = c.placement_options as Record<string, unknown>;
  for (const k of ['lookahead', 'best_of_gain', 'local_search_rounds', 'local_search_seeds', 'local_search_exact_groups']) {
    if (o[k] !== undefined && !greedy.includes(c.placement)) {
      ctx.addIssue({ code: 'custom', path: ['placement_options', k], message: `applies to ${greedy.join(', ')}; placement ${c.placement} would ignore it` });
    }
  }
});

export type CachingSpec = z.output<typeof cachingSchema>;
