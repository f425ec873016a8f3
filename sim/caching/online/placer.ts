/**
 * Proactive placement inside the simulation: the placement problem built from
 * the world as it is now (user positions, channel, popularity), and a result
 * applied to the block stores, its new blocks travelling over the backhaul
 * (or put in place at once for the t=0 placement when `preloaded`).
 */
import type { Engine, EventTarget } from '../../engine/engine.ts';
import type { NetworkService } from '../../network/api.ts';
import type { BlockCatalog } from '../blocks.ts';
import { ProductDemand, RateReach, type PlacementInput, type PlacementOptions, type PlacementPolicy, type PlacementResult } from '../placement/common.ts';
import type { Fetcher } from './fetch.ts';
import type { BlockStores } from './store.ts';

export interface ReachOptions {
  /** Coverage radius (m); Infinity when unlimited. */
  range_m: number;
  /** Download deadline, s. */
  deadline_s: number;
  /** Share of the peak rate a download is assumed to get. */
  rate_share: number;
  /** Probability that a user already holds the shared (base) blocks. */
  holds_base: number;
}

/** The placement problem for the world now: demand = activity x popularity, reach from current peak rates. */
export function placementInput(
  net: NetworkService,
  catalog: BlockCatalog,
  capacity_bytes: Float64Array,
  popularity: Float64Array,
  activity: Float64Array,
  opts: ReachOptions,
): PlacementInput {
  const K = net.userCount;
  const N = net.serverCount;
  const rate = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) if (net.distance(k, n) <= opts.range_m) rate[k * N + n] = net.peakRateDown(n, k) * opts.rate_share;
  }
  // Expected bytes to send: a user holding the base skips the shared blocks.
  const download = Float64Array.from(catalog.models, (m, i) => m.size_bytes - opts.holds_base * catalog.sharedBytes(i));
  const deadline = Math.max(opts.deadline_s - net.radioLatency_s(), 1e-9);
  return {
    catalog,
    capacity_bytes,
    demand: new ProductDemand(activity, popularity),
    reach: new RateReach({ users: K, servers: N, rate_bps: rate, download_bytes: download, deadline_s: deadline }),
  };
}

/**
 * Make the stores hold `result`: target models are cached first (so their
 * blocks stay), others are evicted (freeing blocks no target needs), then the
 * missing blocks are put in place (`preload`) or fetched over the backhaul.
 */
export function applyPlacement(store: BlockStores, fetcher: Fetcher, result: PlacementResult, now: number, preload: boolean): void {
  const scratch: number[] = [];
  for (let n = 0; n < store.servers; n++) {
    const target = result.models[n]!;
    for (const i of target) store.cache(n, i, now);
    const inTarget = new Set(target);
    for (const i of [...store.cachedModels(n)]) if (!inTarget.has(i)) store.evict(n, i, true);
    store.dropUnneeded(n);
    scratch.length = 0;
    for (const b of result.blocks[n]!) if (!store.hasBlock(n, b) && !fetcher.inFlight(n, b)) scratch.push(b);
    if (preload) for (const b of scratch) store.addBlock(n, b);
    else if (scratch.length > 0) fetcher.fetch(n, scratch, scratch.length, null, 0, true);
  }
}

/** Periodic re-placement: one event per period. */
export class Replacer implements EventTarget {
  runs = 0;
  lastObjective = Number.NaN;
  constructor(
    private readonly engine: Engine,
    private readonly every_s: number,
    private readonly policy: PlacementPolicy,
    private readonly opts: PlacementOptions,
    private readonly input: () => PlacementInput,
    private readonly apply: (r: PlacementResult) => void,
  ) {
    engine.schedule(every_s, this, 0, 0);
  }

  handle(): void {
    const r = this.policy.place(this.input(), this.opts);
    this.lastObjective = r.objective;
    this.runs++;
    this.apply(r);
    this.engine.schedule(this.every_s, this, 0, 0);
  }
}
