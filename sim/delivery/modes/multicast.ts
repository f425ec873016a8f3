import type { DeliveryMode } from './common.ts';

/**
 * `multicast` (model broadcasting, Wu, Zeng, Huang, IEEE TWC 2024): requests
 * reaching a server within the batching window are grouped by the parameter
 * blocks they share: a block two or more of them need goes once, by multicast
 * at the rate of the worst of those that need it (and only to them); the
 * blocks only one of them needs go unicast. A lone request is plain unicast
 * (after the window).
 */
export const multicast: DeliveryMode = {
  arrive: (d, req) => d.enqueue(req),
  flush: (d, server, reqs) => d.multicastShared(server, reqs),
};
