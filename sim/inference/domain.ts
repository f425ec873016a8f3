import type { Domain, World } from '../world/world.ts';
import { inferenceSchema, type InferenceSpec } from './schema.ts';
import { buildSlotServing, type ServiceTime } from './slots.ts';

function serviceTimeOf(world: World, spec: InferenceSpec): ServiceTime {
  const svc = spec.server.service;
  if (svc.kind === 'per-token') {
    const { prefill_per_token, decode_per_token, overhead } = svc;
    return (p, o) => overhead + p * prefill_per_token + o * decode_per_token;
  }
  throw new Error('inference.server.service.kind "roofline" needs the hardware roofline, which is not built yet');
}

export const inferenceDomain: Domain<InferenceSpec> = {
  key: 'inference',
  description: 'LLM inference requests from users, served by edge servers',
  order: 40,
  schema: inferenceSchema,
  build(world: World, spec: InferenceSpec) {
    buildSlotServing(world, spec, serviceTimeOf(world, spec));
  },
};
