/**
 * Proactive placement inside the simulation: the placement problem built from
 * the world as it is now (user positions, channel, popularity), and a result
 * applied to the block stores, its new blocks travelling over the backhaul
 * (or put in place at once for the t=0 placement when `preloaded`).
 */
import type { Engine, EventTarget } from '../../engine/engine.ts';
import type { NetworkService } from '../../network/api.ts';
import type { BlockCatalog } from '../blocks.ts';
import { ProductDemand, RateReach, StackedDemand, type PlacementInput, type PlacementOptions, type PlacementPolicy, type PlacementResult } from '../placement/common.ts';
import type { Fetcher } from './fetch.ts';
import type { BlockStores } from './store.ts';

export interface ReachOptions {
  /** Coverage radius (m); Infinity when unlimited. */
  range_m: number;
  /** Time a download has from its request to its last byte, s: the demand deadline less the longest batching wait (multicast window). */
  deadline_s: number;
  /** Share of the peak rate a download is assumed to get. */
  rate_share: number;
  /** Probability that a user already holds its base (the base's shared blocks), per base model. */
  holds_base: number;
}

/**
 * The placement problem for the world now: demand = activity x popularity,
 * reach from current peak rates. With holds_base > 0 the hit ratio is the
 * expectation over a user lacking the base (downloads the whole model) and
 * holding it (downloads the model minus the base's shared blocks, `held`):
 * each user appears once per case, with its demand split (1 - holds_base,
 * holds_base). A user holding a model whole (the base itself) never requests
 * it (delivery makes no request), so that case gives such models no demand.
 */
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
  const full = Float64Array.from(catalog.models, (m) => m.size_bytes);
  const deadline = Math.max(opts.deadline_s - net.radioLatency_s(), 1e-9);
  const hb = opts.holds_base;
  if (hb <= 0) {
    return {
      catalog,
      capacity_bytes,
      demand: new ProductDemand(activity, popularity),
      reach: new RateReach({ users: K, servers: N, rate_bps: rate, download_bytes: full, deadline_s: deadline }),
    };
  }
  // A user holding the base skips its blocks, and asks for no model it holds whole.
  const rest = Float64Array.from(catalog.models, (m) => m.size_bytes - m.held_bytes);
  const heldPop = Float64Array.from(popularity, (p, i) => (catalog.models[i]!.held.length === catalog.models[i]!.blocks.length ? 0 : p));
  if (hb >= 1) {
    return {
      catalog,
      capacity_bytes,
      demand: new ProductDemand(activity, heldPop),
      reach: new RateReach({ users: K, servers: N, rate_bps: rate, download_bytes: rest, deadline_s: deadline }),
    };
  }
  return {
    catalog,
    capacity_bytes,
    demand: new StackedDemand(
      new ProductDemand(
        activity.map((a) => (1 - hb) * a),
        popularity,
      ),
      new ProductDemand(
        activity.map((a) => hb * a),
        heldPop,
      ),
    ),
    reach: new RateReach({ users: K, servers: N, rate_bps: rate, download_bytes: full, held_bytes: rest, deadline_s: deadline }),
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

/**
 * Periodic re-placement: one event per period, strictly before the horizon (a
 * re-placement at the horizon could not serve a request, and would only
 * distort the end-of-run storage figures).
 */
export class Replacer implements EventTarget {
  runs = 0;
  lastObjective = Number.NaN;
  /** The last result (its `meta` carries solver figures). */
  last: PlacementResult | null = null;
  constructor(
    private readonly engine: Engine,
    private readonly every_s: number,
    private readonly horizon_s: number,
    private readonly policy: PlacementPolicy,
    private readonly opts: PlacementOptions,
    private readonly input: () => PlacementInput,
    private readonly apply: (r: PlacementResult) => void,
  ) {
    this.next();
  }

  private next(): void {
    if (this.engine.now + this.every_s < this.horizon_s) this.engine.schedule(this.every_s, this, 0, 0);
  }

  handle(): void {
    const r = this.policy.place(this.input(), this.opts);
    this.lastObjective = r.objective;
    this.last = r;
    this.runs++;
    this.apply(r);
    this.next();
  }
}
