/** Scenario section `delivery`: how requested models reach the users. */
import { z } from 'zod';
import { quantity } from '../common/units.ts';
import { policyName, type Registry } from '../common/registry.ts';
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
      "probability that a user already holds a model's base, drawn once per user and base model (the `base` of a hand-listed model, by default its own id): it holds the base's blocks that another model shares, and those are not sent; a user holding every block of the model it draws (the base itself) makes no request (metric downloads_already_held). Placement plans for the expected hit ratio over users holding and lacking the base",
    ),
});

export type DeliverySpec = z.output<typeof deliverySchema>;
