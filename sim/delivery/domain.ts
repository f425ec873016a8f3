/**
 * The delivery domain (scenario section `delivery`, order 30): model download
 * requests (Poisson per user, Zipf over the caching domain's popularity) and
 * their delivery from edge servers, unicast or multicast, with missing blocks
 * over the backhaul. Needs the caching section.
 */
import type { CachingService } from '../caching/domain.ts';
import { RequestSource } from '../caching/online/requests.ts';
import type { NetworkService } from '../network/api.ts';
import { STATIC_MOBILITY, type MobilityService } from '../network/mobility.ts';
import type { Domain, World } from '../world/world.ts';
import { Delivery, DOWNLOAD_COLUMNS } from './delivery.ts';
import { deliveryModes } from './modes/index.ts';
import { deliverySchema, type DeliverySpec } from './schema.ts';

export { deliverySchema, type DeliverySpec } from './schema.ts';

export interface DeliveryRun {
  delivery: Delivery;
  source: RequestSource;
}

/** Build the delivery domain into a world (after caching); returns its parts (tests inspect them). */
export function buildDelivery(world: World, spec: DeliverySpec): DeliveryRun {
  const net = world.need<NetworkService>('network', 'delivery');
  const caching = world.need<CachingService>('caching', 'delivery (add a caching section)');
  const mobility = world.maybe<MobilityService>('mobility') ?? STATIC_MOBILITY;
  const r = world.recorder;
  const table = r.outDir !== null ? r.table('downloads', DOWNLOAD_COLUMNS) : null;
  const d = new Delivery(world.engine, net, caching, mobility, deliveryModes.get(spec.mode), spec, table, world.warmup_s);
  const source = new RequestSource(world.engine, net.userCount, caching.spec.demand.rate, caching.popularity, d);
  source.start();

  // Every statistic counts the requests that arrived at or after the warm-up.
  const judged = () => d.completed + d.overdue();
  r.metric('downloads_requested', () => d.arrived);
  r.metric('downloads_completed', () => d.completed);
  // Not made: the user (holds_base) already held every block of the model it drew.
  r.metric('downloads_already_held', () => d.alreadyHeld);
  // Requested after the warm-up but still in flight at the end: right-censored, so not in the
  // latency figures (those past the deadline count as misses).
  r.metric('downloads_censored', () => d.inFlight());
  r.metric('cache_hit_ratio', () => (judged() > 0 ? d.hits / judged() : Number.NaN));
  r.metric('edge_served_ratio', () => (d.completed > 0 ? d.edgeServed / d.completed : Number.NaN));
  r.metric('edge_bytes_ratio', () => (d.bytesNeeded > 0 ? d.bytesFromEdge / d.bytesNeeded : Number.NaN));
  r.metric('download_latency_mean_s', () => (d.completed > 0 ? d.latencySum / d.completed : Number.NaN));
  r.metric('download_latency_p50_s', () => d.latency.quantile(0.5));
  r.metric('download_latency_p95_s', () => d.latency.quantile(0.95));
  r.metric('deadline_miss_ratio', () => (judged() > 0 ? (d.deadlineMisses + d.overdue()) / judged() : Number.NaN));
  r.metric('multicast_share', () => (d.completed > 0 ? d.multicastServed / d.completed : 0));
  r.metric('handovers', () => mobility.handovers);
  return { delivery: d, source };
}

export const deliveryDomain: Domain<DeliverySpec> = {
  key: 'delivery',
  description: 'model downloads: requests, serving-server choice, backhaul for missing blocks, unicast or multicast',
  order: 30,
  schema: deliverySchema,
  build(world: World, spec: DeliverySpec) {
    buildDelivery(world, spec);
  },
};
