/**
 * Proactive placement: the problem every policy solves, its result, and the
 * pieces they share (demand, reach, block groups, hit-ratio evaluation).
 *
 * Problem (TrimCaching, Qu et al., ICDCS 2024 / arXiv 2404.14204): choose the
 * models x[n][i] on each server n so that the union of their blocks fits in
 * Q_n, maximizing the expected hit ratio: the demand-weighted fraction of
 * (user k, model i) pairs for which some server that holds i can deliver it to
 * k within the deadline.
 */
import type { BlockCatalog } from '../blocks.ts';

// --------------------------------------------------------------------- demand

/** Expected demand weight of user k for model i (any non-negative scale). */
export interface Demand {
  readonly users: number;
  readonly models: number;
  weight(k: number, i: number): number;
  /** Sum of all weights (the hit ratio's denominator). */
  total(): number;
}

/** Demand as a dense user-major matrix: w[k * models + i]. */
export class DenseDemand implements Demand {
  private readonly sum: number;
  constructor(
    readonly users: number,
    readonly models: number,
    readonly w: Float64Array,
  ) {
    if (w.length !== users * models) throw new Error(`DenseDemand: expected ${users * models} weights, got ${w.length}`);
    let s = 0;
    for (let j = 0; j < w.length; j++) {
      if (!(w[j]! >= 0)) throw new Error(`DenseDemand: weight ${j} is ${w[j]}; expected >= 0`);
      s += w[j]!;
    }
    this.sum = s;
  }
  weight(k: number, i: number): number {
    return this.w[k * this.models + i]!;
  }
  total(): number {
    return this.sum;
  }
}

/** Demand = activity[k] x popularity[i] (e.g. every user draws from one Zipf law). O(K + I) memory. */
export class ProductDemand implements Demand {
  readonly users: number;
  readonly models: number;
  private readonly sum: number;
  constructor(
    readonly activity: Float64Array,
    readonly popularity: Float64Array,
  ) {
    this.users = activity.length;
    this.models = popularity.length;
    let a = 0;
    let p = 0;
    for (const x of activity) a += x;
    for (const x of popularity) p += x;
    this.sum = a * p;
  }
  weight(k: number, i: number): number {
    return this.activity[k]! * this.popularity[i]!;
  }
  total(): number {
    return this.sum;
  }
}

/** Two populations of users stacked: users 0..a.users-1 are `a`'s, the next ones `b`'s. */
export class StackedDemand implements Demand {
  readonly users: number;
  readonly models: number;
  private readonly split: number;
  private readonly sum: number;
  constructor(
    private readonly a: Demand,
    private readonly b: Demand,
  ) {
    if (a.models !== b.models) throw new Error(`StackedDemand: ${a.models} and ${b.models} models`);
    this.split = a.users;
    this.users = a.users + b.users;
    this.models = a.models;
    this.sum = a.total() + b.total();
  }
  weight(k: number, i: number): number {
    return k < this.split ? this.a.weight(k, i) : this.b.weight(k - this.split, i);
  }
  total(): number {
    return this.sum;
  }
}

/** Zipf popularity over `n` items ranked in index order: p_i proportional to 1 / (i + 1)^s, summing to 1. */
export function zipf(n: number, s: number): Float64Array {
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = 1 / (i + 1) ** s;
  for (let i = 0; i < n; i++) p[i]! /= sum;
  return p;
}

// ---------------------------------------------------------------------- reach

/** Which users each server can deliver each model to within its deadline. */
export interface Reach {
  readonly servers: number;
  /** Users that server `n` can deliver model `i` to in time; each user at most once. */
  users(n: number, i: number): ArrayLike<number>;
}

/**
 * Reach from link rates: server n serves model i to user k in time when
 * `download_bytes[i] x 8 / rate[k][n] <= deadline[i]`. Users are sorted by rate
 * per server, so each (n, i) answer is a prefix (a view, no copy).
 *
 * With `held_bytes`, every user appears twice: user k as it is (it downloads
 * `download_bytes[i]`), and user `users + k`, the same user when it already
 * holds its base (it downloads `held_bytes[i]` <= `download_bytes[i]`).
 * Demand weights over the 2 x users split each user's demand between the two
 * cases, so the hit ratio is the expectation over them. The answer is still one
 * view: per server the users are laid out by rate descending for the first case
 * reversed, then ascending for the second, and both prefixes meet in the middle.
 */
export class RateReach implements Reach {
  readonly servers: number;
  private readonly order: Int32Array[];
  private readonly sortedRate: Float64Array[];
  private readonly need_bps: Float64Array;
  private readonly needHeld_bps: Float64Array | null;

  constructor(opts: {
    users: number;
    servers: number;
    /** Rate from server n to user k, bit/s, user-major [k * servers + n]; 0 = out of range. */
    rate_bps: Float64Array;
    /** Bytes user k must download for model i (default: the model size). */
    download_bytes: ArrayLike<number>;
    /** Bytes of model i for a user already holding its shared blocks; given: users are doubled (see above). */
    held_bytes?: ArrayLike<number>;
    /** Deadline per model in seconds, or one for all. */
    deadline_s: number | ArrayLike<number>;
  }) {
    const { users: K, servers: N, rate_bps } = opts;
    if (rate_bps.length !== K * N) throw new Error(`RateReach: expected ${K * N} rates, got ${rate_bps.length}`);
    this.servers = N;
    this.order = [];
    this.sortedRate = [];
    const held = opts.held_bytes;
    for (let n = 0; n < N; n++) {
      const ks: number[] = [];
      for (let k = 0; k < K; k++) if (rate_bps[k * N + n]! > 0) ks.push(k);
      ks.sort((a, b) => rate_bps[b * N + n]! - rate_bps[a * N + n]! || a - b);
      const m = ks.length;
      if (held === undefined) this.order.push(Int32Array.from(ks));
      else {
        const o = new Int32Array(2 * m);
        for (let j = 0; j < m; j++) {
          o[m - 1 - j] = ks[j]!;
          o[m + j] = ks[j]! + K;
        }
        this.order.push(o);
      }
      this.sortedRate.push(Float64Array.from(ks, (k) => rate_bps[k * N + n]!));
    }
    const I = opts.download_bytes.length;
    const need = (bytes: ArrayLike<number>, what: string): Float64Array => {
      if (bytes.length !== I) throw new Error(`RateReach: ${what} has ${bytes.length} models, download_bytes ${I}`);
      const out = new Float64Array(I);
      for (let i = 0; i < I; i++) {
        const t = typeof opts.deadline_s === 'number' ? opts.deadline_s : opts.deadline_s[i]!;
        out[i] = t > 0 ? (bytes[i]! * 8) / t : Infinity;
      }
      return out;
    };
    this.need_bps = need(opts.download_bytes, 'download_bytes');
    this.needHeld_bps = held === undefined ? null : need(held, 'held_bytes');
    if (this.needHeld_bps !== null) {
      for (let i = 0; i < I; i++) {
        if (this.needHeld_bps[i]! > this.need_bps[i]!) throw new Error(`RateReach: held_bytes[${i}] exceeds download_bytes[${i}]`);
      }
    }
  }

  users(n: number, i: number): Int32Array {
    const r = this.sortedRate[n]!;
    const a = prefix(r, this.need_bps[i]!);
    if (this.needHeld_bps === null) return this.order[n]!.subarray(0, a);
    return this.order[n]!.subarray(r.length - a, r.length + prefix(r, this.needHeld_bps[i]!));
  }
}

/** Number of leading rates (descending) at or above `need`. */
function prefix(r: Float64Array, need: number): number {
  let lo = 0;
  let hi = r.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r[mid]! >= need) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Reach listed explicitly: lists[n * models + i] = users. */
export class ListReach implements Reach {
  constructor(
    readonly servers: number,
    private readonly models: number,
    private readonly lists: readonly ArrayLike<number>[],
  ) {
    if (lists.length !== servers * models) throw new Error(`ListReach: expected ${servers * models} lists, got ${lists.length}`);
  }
  users(n: number, i: number): ArrayLike<number> {
    return this.lists[n * this.models + i]!;
  }
  /** From a predicate over (user, server, model). */
  static fromPredicate(users: number, servers: number, models: number, ok: (k: number, n: number, i: number) => boolean): ListReach {
    const lists: number[][] = [];
    for (let n = 0; n < servers; n++) {
      for (let i = 0; i < models; i++) {
        const l: number[] = [];
        for (let k = 0; k < users; k++) if (ok(k, n, i)) l.push(k);
        lists.push(l);
      }
    }
    return new ListReach(servers, models, lists);
  }
}

// ---------------------------------------------------------------- problem I/O

export interface PlacementInput {
  catalog: BlockCatalog;
  /** Storage per server, bytes (length = number of servers). */
  capacity_bytes: ArrayLike<number>;
  demand: Demand;
  reach: Reach;
}

export interface PlacementOptions {
  /** trimcaching-spec: knapsack value-rounding epsilon (default 0.1). */
  epsilon?: number;
  /** trimcaching-spec: most shared block groups to enumerate subsets of (default 16). */
  max_shared_groups?: number;
  /** optimal: wall-clock safety net, s (default 600); reaching it is an error (the result would depend on the machine). */
  time_limit_s?: number;
  /** optimal: branch-and-bound node limit (default 100,000); the deterministic bound on the search. */
  node_limit?: number;
  /** optimal: relative MIP gap (default 0). */
  mip_gap?: number;
  /** greedy policies: bundle look-ahead (default off; on for trimcaching-gen-plus). */
  lookahead?: boolean;
  /** greedy policies: also run on plain gain and keep the better (default off; on for trimcaching-gen-plus). */
  best_of_gain?: boolean;
  /** greedy policies: best-response sweeps over servers after the greedy (default 0; trimcaching-gen-plus: 2 up to 20,000 server x model pairs, else 1). */
  local_search_rounds?: number;
  /** greedy policies: families tried as seeds per server in the local search (default 0; trimcaching-gen-plus: 8 up to 20,000 pairs). */
  local_search_seeds?: number;
  /** greedy policies: most shared block groups for the exact per-server best response in the local search (default 0 = off; trimcaching-gen-plus: 10 up to 20,000 pairs). */
  local_search_exact_groups?: number;
}

export interface PlacementResult {
  policy: string;
  /** Model indices per server, ascending. */
  models: number[][];
  /** Block indices per server (the union of its models' blocks), ascending; each at most once. */
  blocks: number[][];
  /** Storage used per server: size of the union of its blocks. */
  storage_bytes: Float64Array;
  /** Expected hit ratio in [0, 1]. */
  objective: number;
  /** Policy-specific figures (e.g. solver status, bound). */
  meta: Record<string, number | string>;
}

/**
 * A placement policy. `place` is synchronous; a policy that needs an async
 * set-up (loading a WASM solver) does it in `prepare`, which the caller awaits
 * once before the event loop starts.
 */
export interface PlacementPolicy {
  /**
   * An exact solver: its results carry `meta.proven` (1 when optimality was
   * proven), `meta.mip_gap` (relative gap to the proven bound) and `meta.status`.
   */
  readonly exact?: boolean;
  prepare?(): Promise<void>;
  place(input: PlacementInput, opts?: PlacementOptions): PlacementResult;
}

/** Relative slack on storage limits for floating-point sums. */
export const CAPACITY_TOLERANCE = 1e-9;

export function fits(used: number, capacity: number): boolean {
  return used <= capacity * (1 + CAPACITY_TOLERANCE);
}

/** Expected hit ratio of a placement (models per server). */
export function hitRatio(input: PlacementInput, models: readonly ArrayLike<number>[]): number {
  const { demand, reach } = input;
  const holders: number[][] = Array.from({ length: demand.models }, () => []);
  models.forEach((ms, n) => {
    for (let j = 0; j < ms.length; j++) holders[ms[j]!]!.push(n);
  });
  const seen = new Uint8Array(demand.users);
  let hit = 0;
  for (let i = 0; i < demand.models; i++) {
    const hs = holders[i]!;
    if (hs.length === 0) continue;
    seen.fill(0);
    for (const n of hs) {
      const us = reach.users(n, i);
      for (let j = 0; j < us.length; j++) {
        const k = us[j]!;
        if (seen[k] === 0) {
          seen[k] = 1;
          hit += demand.weight(k, i);
        }
      }
    }
  }
  const total = demand.total();
  return total > 0 ? hit / total : 0;
}

/** Build the result of a placement: blocks and storage as unions, the hit ratio; checks every storage limit. */
export function finishResult(
  policy: string,
  input: PlacementInput,
  models: readonly (readonly number[])[],
  meta: Record<string, number | string> = {},
): PlacementResult {
  const N = input.capacity_bytes.length;
  if (models.length !== N) throw new Error(`${policy}: ${models.length} server placements for ${N} servers`);
  const sorted = models.map((ms) => [...new Set(ms)].sort((a, b) => a - b));
  const blocks = sorted.map((ms) => input.catalog.unionBlocks(ms));
  const storage = new Float64Array(N);
  blocks.forEach((bs, n) => {
    let s = 0;
    for (const b of bs) s += input.catalog.blocks[b]!.size_bytes;
    storage[n] = s;
    if (!fits(s, input.capacity_bytes[n]!)) {
      throw new Error(`${policy}: server ${n} stores ${s} bytes, over its capacity ${input.capacity_bytes[n]} bytes`);
    }
  });
  return { policy, models: sorted, blocks, storage_bytes: storage, objective: hitRatio(input, sorted), meta };
}

// --------------------------------------------------------------- block groups

/**
 * Blocks merged by identical model sets: every model either contains all the
 * blocks of a group or none, so placement can reason on groups (a LoRA family's
 * 30-odd base layers become one group). Groups with more than one model are
 * shared; the others are specific to their model.
 */
export interface BlockGroups {
  readonly count: number;
  readonly size_bytes: Float64Array;
  /** Block indices of each group. */
  readonly blocks: readonly number[][];
  /** Models containing each group, ascending. */
  readonly models: readonly Int32Array[];
  /** Groups of each model, ascending. */
  readonly modelGroups: readonly Int32Array[];
  readonly modelSize: Float64Array;
}

/** `split`: blocks with the same model set but different `split(block)` go to different groups. */
export function blockGroups(catalog: BlockCatalog, split?: (block: number) => string): BlockGroups {
  const byKey = new Map<string, number>();
  const blocks: number[][] = [];
  const models: Int32Array[] = [];
  const sizes: number[] = [];
  catalog.blocks.forEach((b, idx) => {
    if (b.models.length === 0) return;
    const key = split === undefined ? b.models.join(',') : `${b.models.join(',')}|${split(idx)}`;
    let g = byKey.get(key);
    if (g === undefined) {
      g = blocks.length;
      byKey.set(key, g);
      blocks.push([]);
      models.push(b.models);
      sizes.push(0);
    }
    blocks[g]!.push(idx);
    sizes[g]! += b.size_bytes;
  });
  const mg: number[][] = catalog.models.map(() => []);
  models.forEach((ms, g) => {
    for (const i of ms) mg[i]!.push(g);
  });
  return {
    count: blocks.length,
    size_bytes: Float64Array.from(sizes),
    blocks,
    models,
    modelGroups: mg.map((gs) => Int32Array.from(gs)),
    modelSize: Float64Array.from(catalog.models, (m) => m.size_bytes),
  };
}

/** Per-model coverage: how many placed servers give each user a hit for the model (lazily allocated). */
export class Coverage {
  private readonly covered: (Int32Array | undefined)[];
  constructor(private readonly input: PlacementInput) {
    this.covered = new Array<Int32Array | undefined>(input.demand.models);
  }

  /** Demand weight server n would add by holding model i now. */
  gain(n: number, i: number): number {
    const us = this.input.reach.users(n, i);
    const cov = this.covered[i];
    const d = this.input.demand;
    let g = 0;
    for (let j = 0; j < us.length; j++) {
      const k = us[j]!;
      if (cov === undefined || cov[k] === 0) g += d.weight(k, i);
    }
    return g;
  }

  /** Record that server n holds model i. */
  add(n: number, i: number): void {
    let cov = this.covered[i];
    if (cov === undefined) cov = this.covered[i] = new Int32Array(this.input.demand.users);
    const us = this.input.reach.users(n, i);
    for (let j = 0; j < us.length; j++) cov[us[j]!]!++;
  }

  /** Undo `add(n, i)`. */
  remove(n: number, i: number): void {
    const cov = this.covered[i];
    if (cov === undefined) throw new Error(`Coverage.remove: model ${i} was never added`);
    const us = this.input.reach.users(n, i);
    for (let j = 0; j < us.length; j++) cov[us[j]!]!--;
  }
}
