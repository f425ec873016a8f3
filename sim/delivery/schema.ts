/** Scenario section `delivery`: how requested models reach the users. */
import { z } from 'zod';
import { policyName } from '../caching/online/schema.ts';
import { quantity } from '../common/units.ts';
import type { Registry } from '../common/registry.ts';
import { deliveryModes } from './modes/index.ts';

export const deliverySchema = z.strictObject({
  mode: policyName(deliveryModes as Registry<unknown>, 'unicast'),
  window: quantity('time', { min: 0 }).prefault('1 s').describe('multicast: batching window; requests reaching a server within it are grouped'),
  holds_base: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      "probability that a user already holds the shared blocks of a model's base, drawn once per user and base model (the `base` of a hand-listed model, by default its own id); those blocks are not sent, and placement plans for the expected hit ratio over users holding and lacking them",
    ),
});

export type DeliverySpec = z.output<typeof deliverySchema>;
