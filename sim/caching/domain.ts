/**
 * The caching domain (scenario section `caching`, order 20): the block
 * catalog, one block store per edge server (world service "storage"), the
 * proactive placement at t = 0 and periodic re-placement, replacement on
 * misses, and the request demand the delivery domain draws from (world service
 * "caching").
 */
import type { EventTarget } from '../engine/engine.ts';
import type { Table } from '../metrics/recorder.ts';
import type { NetworkService } from '../network/api.ts';
import type { TopologySpec } from '../network/schema.ts';
import { getModel } from '../workload/index.ts';
import type { Domain, World } from '../world/world.ts';
import type { BlockCatalog } from './blocks.ts';
import { Fetcher } from './online/fetch.ts';
import { applyPlacement, placementInput, Replacer, type ReachOptions } from './online/placer.ts';
import { makeRoom, replacementPolicies, type ReplacementPolicy } from './online/replacement.ts';
import { Popularity } from './online/requests.ts';
import { cachingSchema, type CachingSpec } from './online/schema.ts';
import { BlockStores } from './online/store.ts';
import { placementPolicies } from './placement/index.ts';
import type { PlacementInput, PlacementOptions, PlacementResult } from './placement/common.ts';
import { catalogFromSpec } from './schema.ts';

export { cachingSchema, type CachingSpec } from './online/schema.ts';

/** What the caching domain offers the others (world service "caching"). */
export class CachingService {
  /** Requests and edge-served requests per server since the start (delivery counts them). */
  readonly requests: Float64Array;
  readonly edgeServed: Float64Array;
  /** Requests per model since the last re-placement (observed demand). */
  readonly observed: Float64Array;
  /** Expected hit ratio of the t = 0 placement. */
  placementObjective = Number.NaN;
  placement: PlacementResult | null = null;
  /** Scratch: base blocks an admission must fetch. */
  private readonly lost: number[] = [];

  constructor(
    readonly spec: CachingSpec,
    readonly catalog: BlockCatalog,
    readonly store: BlockStores,
    readonly fetcher: Fetcher,
    readonly popularity: Popularity,
    readonly replacement: ReplacementPolicy,
    readonly reach: ReachOptions,
  ) {
    this.requests = new Float64Array(store.servers);
    this.edgeServed = new Float64Array(store.servers);
    this.observed = new Float64Array(catalog.modelCount);
  }

  /** Count a request for model `i` served by server `n` (edge: all its blocks were there). */
  record(n: number, i: number, edge: boolean, now: number): void {
    this.requests[n]!++;
    if (edge) this.edgeServed[n]!++;
    this.observed[i]!++;
    this.store.touch(n, i, now);
  }

  /**
   * After a miss delivered model `i` through server `n`: keep it when the
   * replacement policy admits, evicting as needed. Its missing blocks are
   * there (they just came over the backhaul) when `withBase`; otherwise (a
   * user holding the base got only the blocks beyond it) the base's blocks
   * (`held`) did not pass through: the model is kept only when the server
   * already has them (and should evictions for room take some, they come back
   * over the backhaul, not for free). Returns true when kept.
   */
  admit(n: number, i: number, now: number, withBase = true): boolean {
    const pol = this.replacement;
    if (!pol.admits || this.store.isCached(n, i)) return false;
    const store = this.store;
    const m = this.catalog.models[i]!;
    const held = m.held;
    if (!withBase) for (let j = 0; j < held.length; j++) if (!store.hasBlock(n, held[j]!)) return false;
    if (!makeRoom(store, pol, n, i)) return false;
    store.cache(n, i, now);
    const lost = this.lost;
    lost.length = 0;
    // `blocks` and `held` are both ascending: walk them together.
    let h = 0;
    for (const b of m.blocks) {
      while (h < held.length && held[h]! < b) h++;
      const inBase = h < held.length && held[h] === b;
      if (withBase || !inBase) store.addBlock(n, b);
      else if (!store.hasBlock(n, b) && !this.fetcher.inFlight(n, b)) lost.push(b);
    }
    if (lost.length > 0) this.fetcher.fetch(n, lost, lost.length, null, 0, true);
    return true;
  }
}

/**
 * Rows of servers.csv, one per server per period, and a final snapshot at the
 * horizon unless a periodic one was just written there (no duplicate rows).
 */
class ServerReport implements EventTarget {
  private readonly lastReq: Float64Array;
  private readonly lastEdge: Float64Array;
  private readonly lastBh: Float64Array;
  /** Time of the last snapshot written (-Infinity before the first). */
  private lastWrite = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly world: World,
    private readonly svc: CachingService,
    private readonly table: Table,
    private readonly period_s: number,
  ) {
    const S = svc.store.servers;
    this.lastReq = new Float64Array(S);
    this.lastEdge = new Float64Array(S);
    this.lastBh = new Float64Array(S);
    world.engine.schedule(period_s, this, 0, 0);
  }
  handle(): void {
    this.write();
    this.world.engine.schedule(this.period_s, this, 0, 0);
  }
  /** The final snapshot at the end of the run: skipped when a periodic one was written at this time. */
  finish(): void {
    if (this.world.engine.now > this.lastWrite) this.write();
  }
  write(): void {
    const { store, fetcher } = this.svc;
    const now = this.world.engine.now;
    this.lastWrite = now;
    for (let n = 0; n < store.servers; n++) {
      const cap = store.capacity_bytes[n]!;
      this.table.row([
        now,
        n,
        store.stored[n]!,
        cap,
        cap > 0 ? store.stored[n]! / cap : 0,
        store.presentCount(n),
        store.cachedModels(n).length,
        this.svc.requests[n]! - this.lastReq[n]!,
        this.svc.edgeServed[n]! - this.lastEdge[n]!,
        fetcher.bytesInto[n]! - this.lastBh[n]!,
      ]);
      this.lastReq[n] = this.svc.requests[n]!;
      this.lastEdge[n] = this.svc.edgeServed[n]!;
      this.lastBh[n] = fetcher.bytesInto[n]!;
    }
  }
}

export const SERVER_COLUMNS = [
  'time_s',
  'server',
  'stored_bytes',
  'capacity_bytes',
  'used_ratio',
  'models_present',
  'models_cached',
  'requests',
  'edge_served',
  'backhaul_in_bytes',
] as const;

/** Load the solvers the chosen placement policies need (HiGHS for `optimal`). Await once before the run. */
export async function prepareCaching(spec: CachingSpec): Promise<void> {
  await placementPolicies.get(spec.placement).prepare?.();
  if (spec.replace?.policy !== undefined) await placementPolicies.get(spec.replace.policy).prepare?.();
}

function placementOptions(spec: CachingSpec): PlacementOptions {
  const o = spec.placement_options;
  return {
    epsilon: o.epsilon,
    max_shared_groups: o.max_shared_groups,
    time_limit_s: o.time_limit,
    node_limit: o.node_limit,
    mip_gap: o.mip_gap,
    ...(o.lookahead !== undefined ? { lookahead: o.lookahead } : {}),
    ...(o.best_of_gain !== undefined ? { best_of_gain: o.best_of_gain } : {}),
    ...(o.local_search_rounds !== undefined ? { local_search_rounds: o.local_search_rounds } : {}),
    ...(o.local_search_seeds !== undefined ? { local_search_seeds: o.local_search_seeds } : {}),
    ...(o.local_search_exact_groups !== undefined ? { local_search_exact_groups: o.local_search_exact_groups } : {}),
  };
}

/**
 * What the exact solver proved over the placements of a run. Not proven
 * optimal (a node limit stopped it) is warned about on stderr, each time, with
 * the status and gap; the metrics say it too.
 */
class ExactReport {
  solves = 0;
  unproven = 0;
  worstGap = 0;
  judge(r: PlacementResult, now: number): void {
    if (r.meta['proven'] === undefined) return;
    this.solves++;
    const gap = Number(r.meta['mip_gap']);
    if (!(gap <= this.worstGap)) this.worstGap = gap;
    if (r.meta['proven'] === 1) return;
    this.unproven++;
    const head = `mei-sim: WARNING: the ${r.policy} placement at t = ${now} s is NOT proven optimal: HiGHS stopped `;
    const tail = `hit ratio ${r.objective.toFixed(6)}, relative gap to the bound ${gap.toPrecision(3)}. `;
    process.stderr.write(
      r.meta['status'] === 'optimal'
        ? `${head}within the requested caching.placement_options.mip_gap ${String(r.meta['mip_gap_requested'])}; ${tail}Set mip_gap 0 for a proof.\n`
        : `${head}with status ${String(r.meta['status'])} after ${String(r.meta['nodes'])} nodes (node_limit ${String(r.meta['node_limit'])}); ` +
            `${tail}Raise caching.placement_options.node_limit for a proof.\n`,
    );
  }
}

/**
 * Longest a download waits before its first byte is sent: one batching window under multicast
 * delivery (the first request of a window waits all of it), none under unicast. Delivery judges
 * the deadline from the request's arrival, so placement must fit the transfer into what is left.
 * Read from the scenario's delivery section (delivery builds after caching and may not be imported).
 */
export function batchingWait_s(delivery: { mode?: string; window?: number } | undefined): number {
  return delivery?.mode === 'multicast' ? (delivery.window ?? 0) : 0;
}

/** Build the caching domain into a world; returns its service (tests inspect it). */
export function buildCaching(world: World, spec: CachingSpec): CachingService {
  const net = world.need<NetworkService>('network', 'caching');
  const topo = world.scenario['topology'] as TopologySpec | undefined;
  if (topo === undefined) throw new Error('caching needs the topology section');
  const catalog = catalogFromSpec(spec.catalog, getModel);
  const S = net.serverCount;
  const perServer = spec.capacity_fraction !== undefined ? spec.capacity_fraction * catalog.librarySize() : topo.servers.storage;
  const store = world.provide('storage', new BlockStores(catalog, new Float64Array(S).fill(perServer)));
  store.trackUsage(() => world.engine.now, world.warmup_s);
  const fetcher = new Fetcher(net, store);
  const popularity = new Popularity(world.engine, catalog, spec.demand);
  const delivery = world.scenario['delivery'] as { holds_base?: number; mode?: string; window?: number } | undefined;
  const reach: ReachOptions = {
    range_m: topo.servers.range ?? Number.POSITIVE_INFINITY,
    deadline_s: spec.demand.deadline - batchingWait_s(delivery),
    rate_share: spec.rate_share,
    holds_base: delivery?.holds_base ?? 0,
  };
  const svc = world.provide(
    'caching',
    new CachingService(spec, catalog, store, fetcher, popularity, replacementPolicies.get(spec.replacement), reach),
  );

  const activity = new Float64Array(net.userCount).fill(1);
  // Observed demand: request shares per period, exponentially smoothed from the expected popularity.
  const estimate = popularity.pmf();
  const input = (observed: boolean): PlacementInput => {
    let pop = popularity.pmf();
    if (observed) {
      let total = 0;
      for (const c of svc.observed) total += c;
      const keep = spec.replace?.smoothing ?? 0.5;
      if (total > 0) for (let i = 0; i < estimate.length; i++) estimate[i] = keep * estimate[i]! + ((1 - keep) * svc.observed[i]!) / total;
      svc.observed.fill(0);
      pop = estimate;
    }
    return placementInput(net, catalog, store.capacity_bytes, pop, activity, reach);
  };
  const opts = placementOptions(spec);
  const exact = new ExactReport();
  const first = placementPolicies.get(spec.placement).place(input(false), opts);
  exact.judge(first, 0);
  svc.placement = first;
  svc.placementObjective = first.objective;
  applyPlacement(store, fetcher, first, 0, spec.initial_fill === 'preloaded');

  let replacer: Replacer | null = null;
  const replacePolicy = spec.replace ? placementPolicies.get(spec.replace.policy ?? spec.placement) : null;
  if (spec.replace && replacePolicy) {
    const observed = spec.replace.demand === 'observed';
    replacer = new Replacer(
      world.engine,
      spec.replace.every,
      world.horizon_s,
      replacePolicy,
      opts,
      () => input(observed),
      (res) => {
        exact.judge(res, world.engine.now);
        applyPlacement(store, fetcher, res, world.engine.now, false);
      },
    );
  }

  const r = world.recorder;
  const report = new ServerReport(world, svc, r.table('servers', SERVER_COLUMNS), spec.report_period);
  world.onFinish(() => report.finish());
  r.metric('placement_objective', () => svc.placementObjective);
  if (placementPolicies.get(spec.placement).exact || replacePolicy?.exact) {
    r.metric('placement_proven_optimal', () => (exact.unproven === 0 ? 1 : 0));
    r.metric('placement_mip_gap', () => exact.worstGap);
  }
  // At the end of the run, and averaged over time from the warm-up on.
  r.metric('storage_used_ratio', () => {
    let s = 0;
    for (let n = 0; n < S; n++) s += store.capacity_bytes[n]! > 0 ? store.stored[n]! / store.capacity_bytes[n]! : 0;
    return S > 0 ? s / S : 0;
  });
  r.metric('storage_used_ratio_mean', () => {
    let s = 0;
    for (let n = 0; n < S; n++) s += store.capacity_bytes[n]! > 0 ? store.meanStored(n, world.horizon_s) / store.capacity_bytes[n]! : 0;
    return S > 0 ? s / S : 0;
  });
  r.metric('library_bytes', () => catalog.librarySize());
  r.metric('backhaul_bytes', () => fetcher.bytesTotal);
  r.metric('placement_backhaul_bytes', () => fetcher.bytesPlacement);
  r.metric('replacements', () => replacer?.runs ?? 0);
  r.metric('popularity_changes', () => popularity.changes);
  return svc;
}

export const cachingDomain: Domain<CachingSpec> & { prepare(spec: CachingSpec): Promise<void> } = {
  key: 'caching',
  description: 'edge model caching with parameter sharing: block catalog, placement (TrimCaching), replacement, re-placement',
  order: 20,
  schema: cachingSchema,
  build(world: World, spec: CachingSpec) {
    buildCaching(world, spec);
  },
  prepare: prepareCaching,
};
