import type { DeliveryMode } from './common.ts';

/**
 * `multicast` (model broadcasting, Wu, Zeng, Huang, IEEE TWC 2024): requests
 * reaching a server within the batching window are grouped by model family;
 * blocks two or more members need go once, at the rate of the worst member;
 * the model-specific blocks go unicast. A lone request is plain unicast (after
 * the window).
 */
export const multicast: DeliveryMode = {
  arrive: (d, req) => d.enqueue(req),
  flush: (d, server, reqs) => d.multicastByFamily(server, reqs),
};
