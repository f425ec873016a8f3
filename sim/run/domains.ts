import { cachingDomain } from '../caching/domain.ts';
import { deliveryDomain } from '../delivery/domain.ts';
import { inferenceDomain } from '../inference/domain.ts';
import { topologyDomain } from '../network/network.ts';
import { trainingDomain } from '../training/domain.ts';
import type { Domain } from '../world/world.ts';

/** Every domain, in build order. Adding a domain is one line here and one key in sim/scenario/schema.ts. */
export const DOMAINS: readonly Domain<never>[] = ([topologyDomain, cachingDomain, deliveryDomain, inferenceDomain, trainingDomain] as Domain<never>[]).sort((a, b) => a.order - b.order);
