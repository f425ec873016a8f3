/**
 * Greedy placement over (server, model) pairs, lazy evaluation with a max-heap.
 *
 * `trimcaching-gen` (Qu et al., arXiv 2404.14204, general case) is the paper's
 * greedy and nothing more: repeatedly add the pair with the largest hit-ratio
 * gain per byte of NEW blocks it needs on that server, until nothing fits
 * (ties to the lowest server, then model index). `independent`: the same rule,
 * but every model is charged its full size against the capacity (sharing
 * ignored by the decision; storage is still reported as the union of blocks).
 *
 * Enhancements beyond the paper, off unless asked for (placement_options keys
 * `lookahead`, `best_of_gain`, `local_search_*`), all on in the separately
 * named `trimcaching-gen-plus`:
 * - bundle look-ahead: a model that needs a shared base not yet on the server
 *   is keyed by the best ratio of it plus the siblings the base unlocks (one
 *   heap entry per server and set of shared blocks);
 * - the better of the gain-per-byte and plain-gain greedy is kept (the usual
 *   safeguard of budgeted greedy), and with the look-ahead the plain paper
 *   greedy is a candidate too (so gen-plus is never below gen);
 * - a best-response local search over servers (never lowers the hit ratio).
 *
 * Laziness: gains only fall (other servers cover users); costs fall only when a
 * block group is added on the same server, and then every model containing that
 * group is re-pushed with a fresh key. A popped entry whose fresh key equals its
 * stored key is taken, so the plain rule is exact. (Bundle keys can also rise
 * when a sibling's cost falls through another group; such an entry is only
 * refreshed when popped, so with the look-ahead the order is approximate, which
 * the local search compensates.)
 */
import {
  blockGroups,
  Coverage,
  type BlockGroups,
  finishResult,
  hitRatio,
  type PlacementInput,
  type PlacementOptions,
  type PlacementPolicy,
  type PlacementResult,
} from './common.ts';
import { serverBestResponse } from './spec.ts';

/** Max-heap of (key, pair, version) on growable typed arrays; equal keys: the lower pair first. */
class PairHeap {
  key = new Float64Array(1024);
  pair = new Int32Array(1024);
  ver = new Int32Array(1024);
  size = 0;

  push(k: number, p: number, v: number): void {
    if (this.size === this.key.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.key = grow(this.key);
      this.pair = grow(this.pair);
      this.ver = grow(this.ver);
    }
    let i = this.size++;
    while (i > 0) {
      const par = (i - 1) >> 1;
      if (this.key[par]! > k || (this.key[par] === k && this.pair[par]! < p)) break;
      this.key[i] = this.key[par]!;
      this.pair[i] = this.pair[par]!;
      this.ver[i] = this.ver[par]!;
      i = par;
    }
    this.key[i] = k;
    this.pair[i] = p;
    this.ver[i] = v;
  }

  /** Remove the top; read it first from key[0], pair[0], ver[0]. */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const k = this.key[n]!;
    const p = this.pair[n]!;
    const v = this.ver[n]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (this.key[c + 1]! > this.key[c]! || (this.key[c + 1] === this.key[c] && this.pair[c + 1]! < this.pair[c]!))) c++;
      if (this.key[c]! < k || (this.key[c] === k && this.pair[c]! > p)) break;
      this.key[i] = this.key[c]!;
      this.pair[i] = this.pair[c]!;
      this.ver[i] = this.ver[c]!;
      i = c;
    }
    this.key[i] = k;
    this.pair[i] = p;
    this.ver[i] = v;
  }
}

export interface GreedyOptions {
  /** true: charge only blocks the server lacks (TrimCaching); false: full model size (independent). */
  sharing: boolean;
  /** 'ratio': gain per byte; 'gain': gain alone (the classic safeguard for budgeted greedy). */
  key: 'ratio' | 'gain';
  /** Bundle look-ahead (with sharing): key a model by it plus the siblings its new shared blocks unlock. */
  lookahead: boolean;
}

/**
 * Models per server chosen by the greedy rule. `only` restricts it to some
 * servers; `cov` carries the hits of placements made elsewhere (it is updated);
 * `force` models are placed first on every server where they fit.
 */
export function greedyPlacement(
  input: PlacementInput,
  opts: GreedyOptions,
  only?: readonly number[],
  cov: Coverage = new Coverage(input),
  G: BlockGroups = blockGroups(input.catalog),
  force: readonly number[] = [],
): number[][] {
  const N = input.capacity_bytes.length;
  const I = input.catalog.modelCount;
  const servers = only ?? Array.from({ length: N }, (_, n) => n);
  // Inside, `n` is a slot in `servers` (so a one-server run allocates for one server).
  const S = servers.length;
  const capOf = Float64Array.from(servers, (n) => input.capacity_bytes[n]!);
  const held = new Uint8Array(S * G.count);
  const used = new Float64Array(S);
  const placed = new Uint8Array(S * I);
  const version = new Int32Array(S * I);
  const heap = new PairHeap();
  const out: number[][] = Array.from({ length: N }, () => []);

  const cost = (n: number, i: number): number => {
    if (!opts.sharing) return G.modelSize[i]!;
    let c = 0;
    const gs = G.modelGroups[i]!;
    const base = n * G.count;
    for (let j = 0; j < gs.length; j++) if (held[base + gs[j]!] === 0) c += G.size_bytes[gs[j]!]!;
    return c;
  };
  // Bundle look-ahead (with sharing): the first model of a family pays for the
  // shared base, its siblings then come cheap. A model's key is the best key
  // (ratio, or gain) of it plus a prefix of the siblings that share its new
  // blocks (by their own ratio after it), so the greedy sees what a base unlocks.
  const gStamp = new Int32Array(G.count);
  const mStamp = new Int32Array(I);
  let stamp = 0;
  // The model to place first when a bundle's entry wins: its highest-gain member.
  let lead = -1;
  const sibM = new Int32Array(I);
  const sibG = new Float64Array(I);
  const sibC = new Float64Array(I);
  const sibOrder: number[] = [];
  const byGain = opts.key === 'gain';
  const bundleKey = (n: number, i: number, g: number, c: number): number => {
    let best = byGain ? g : g / Math.max(c, 1);
    const base = n * G.count;
    const room = capOf[n]! - used[n]!;
    const cur = ++stamp;
    let shared = false;
    for (const grp of G.modelGroups[i]!) {
      if (held[base + grp] === 0 && G.models[grp]!.length > 1) {
        gStamp[grp] = cur;
        shared = true;
      }
    }
    if (!shared) return best;
    mStamp[i] = cur;
    let count = 0;
    let leadGain = g;
    lead = i;
    for (const grp of G.modelGroups[i]!) {
      if (gStamp[grp] !== cur) continue;
      for (const m of G.models[grp]!) {
        if (mStamp[m] === cur || placed[n * I + m] === 1) continue;
        mStamp[m] = cur;
        let cm = 0;
        for (const h of G.modelGroups[m]!) if (held[base + h] === 0 && gStamp[h] !== cur) cm += G.size_bytes[h]!;
        const gm = gainOf(n, m);
        if (gm <= 0) continue;
        if (gm > leadGain) {
          leadGain = gm;
          lead = m;
        }
        sibM[count] = m;
        sibG[count] = gm;
        sibC[count] = cm;
        count++;
      }
    }
    // Fast path: when all siblings fit together and none has a ratio below the
    // bundle of all, adding them in ratio order never lowers the ratio, so the
    // best prefix is the whole bundle (and for the gain key, all of it).
    let gAll = g;
    let cAll = c;
    for (let t = 0; t < count; t++) {
      gAll += sibG[t]!;
      cAll += sibC[t]!;
    }
    if (cAll <= room) {
      if (byGain) return gAll;
      const rAll = gAll / Math.max(cAll, 1);
      let ok = rAll >= best;
      for (let t = 0; t < count && ok; t++) if (sibG[t]! / Math.max(sibC[t]!, 1) < rAll) ok = false;
      if (ok) return rAll;
    }
    sibOrder.length = count;
    for (let t = 0; t < count; t++) sibOrder[t] = t;
    sibOrder.sort((a, b) => sibG[b]! / Math.max(sibC[b]!, 1) - sibG[a]! / Math.max(sibC[a]!, 1));
    let gs = g;
    let cs = c;
    for (const t of sibOrder) {
      if (cs + sibC[t]! > room) continue;
      gs += sibG[t]!;
      cs += sibC[t]!;
      best = Math.max(best, byGain ? gs : gs / Math.max(cs, 1));
    }
    return best;
  };
  // Gains cached per (server, model); a model's gains change only when the model
  // is placed somewhere, which marks its column dirty.
  const gain = new Float64Array(S * I);
  const dirty = new Uint8Array(S * I);
  for (let n = 0; n < S; n++) for (let i = 0; i < I; i++) gain[n * I + i] = cov.gain(servers[n]!, i);
  const gainOf = (n: number, j: number): number => {
    const q = n * I + j;
    if (dirty[q] === 1) {
      dirty[q] = 0;
      gain[q] = cov.gain(servers[n]!, j);
    }
    return gain[q]!;
  };
  // One byte floor keeps the key finite when a model needs no new blocks.
  const bundles = opts.sharing && opts.lookahead;
  const keyOf = (n: number, i: number, g: number, c: number): number => {
    if (!bundles) return byGain ? g : g / Math.max(c, 1);
    return bundleKey(n, i, g, c);
  };

  // Models with the same shared groups (a family around one base) start with a
  // single heap entry per server, for their highest-gain member: its bundle key
  // covers the family, and once the shared blocks are held every member gets its
  // own entry (the cost fall re-pushes them).
  const sigOf = bundles
    ? G.modelGroups.map((gs) => {
        let sig = '';
        for (const g of gs) if (G.models[g]!.length > 1) sig += `${g},`;
        return sig;
      })
    : [];
  const rep = new Map<string, number>();
  for (let n = 0; n < S; n++) {
    const cap = capOf[n]!;
    rep.clear();
    for (let i = 0; i < I; i++) {
      const c = cost(n, i);
      const g = gain[n * I + i]!;
      if (c > cap || g <= 0) continue;
      if (!bundles || sigOf[i] === '') {
        heap.push(keyOf(n, i, g, c), n * I + i, 0);
        continue;
      }
      const r = rep.get(sigOf[i]!);
      if (r === undefined || gain[n * I + r]! < g) rep.set(sigOf[i]!, i);
    }
    for (const i of rep.values()) heap.push(keyOf(n, i, gain[n * I + i]!, cost(n, i)), n * I + i, 0);
  }

  const take = (n: number, i: number, c: number): void => {
    placed[n * I + i] = 1;
    out[servers[n]!]!.push(i);
    cov.add(servers[n]!, i);
    for (let t = 0; t < S; t++) dirty[t * I + i] = 1;
    used[n]! += c;
    const gs = G.modelGroups[i]!;
    const base = n * G.count;
    for (let j = 0; j < gs.length; j++) {
      const grp = gs[j]!;
      if (held[base + grp] === 1) continue;
      held[base + grp] = 1;
      if (!opts.sharing) continue;
      // Cost of every model sharing this group fell on server n: re-push fresh.
      for (const m of G.models[grp]!) {
        const q = n * I + m;
        if (placed[q] === 1) continue;
        const cm = cost(n, m);
        if (used[n]! + cm > capOf[n]!) continue;
        const gm = gainOf(n, m);
        if (gm <= 0) continue;
        heap.push(keyOf(n, m, gm, cm), q, ++version[q]!);
      }
    }
  };
  // Forced first choices (one-server runs seeded with a model).
  for (const i of force) {
    for (let n = 0; n < S; n++) {
      const c = cost(n, i);
      if (placed[n * I + i] === 0 && used[n]! + c <= capOf[n]!) take(n, i, c);
    }
  }

  while (heap.size > 0) {
    const k0 = heap.key[0]!;
    const p = heap.pair[0]!;
    const v = heap.ver[0]!;
    heap.pop();
    if (v !== version[p] || placed[p] === 1) continue;
    const n = (p / I) | 0;
    let i = p - n * I;
    let c = cost(n, i);
    if (used[n]! + c > capOf[n]!) continue; // re-pushed if its cost falls later
    const g = gainOf(n, i);
    lead = i;
    const k = keyOf(n, i, g, c);
    if (!(k > 0)) continue;
    if (k < k0 * (1 - 1e-12)) {
      heap.push(k, p, v);
      continue;
    }
    if (lead !== i) {
      // A family entry: start with its most requested member.
      const cl = cost(n, lead);
      if (used[n]! + cl <= capOf[n]!) {
        i = lead;
        c = cl;
      } else if (g <= 0) continue;
    }
    take(n, i, c);
  }
  return out;
}

/** Demand weight server n adds with `models` given the other servers' coverage (additive over models). */
function serverValue(cov: Coverage, n: number, models: readonly number[]): number {
  let v = 0;
  for (const i of models) v += cov.gain(n, i);
  return v;
}

/** Pairs (servers x models) up to which the local search also tries seeded and exact best responses by default. */
const SEEDED_SEARCH_MAX_PAIRS = 20_000;
/** Knapsack rounding of the exact per-server best response. */
const EXACT_EPSILON = 0.01;

/**
 * Local search by best responses: each server in turn drops its models and
 * re-chooses them given what the other servers cover, with the single-server
 * greedy (both keys) and, when `seeds` > 0, the greedy started from each of the
 * `seeds` most requested families (one model per set of shared blocks, forced
 * first), and, when at most `exactGroups` shared block groups are in play, the
 * (1 - 0.01)-exact response by enumeration + knapsack (the trimcaching-spec
 * step). The best choice is kept when it adds more. Stops after `rounds`
 * sweeps or a sweep without change. Never lowers the hit ratio. `lookahead`:
 * the single-server greedy runs with the bundle look-ahead.
 */
export function improveByServer(
  input: PlacementInput,
  models: number[][],
  sharing: boolean,
  rounds: number,
  seeds: number,
  exactGroups = 0,
  lookahead = true,
): number[][] {
  const G = blockGroups(input.catalog);
  const cov = new Coverage(input);
  const I = input.catalog.modelCount;
  const sig = G.modelGroups.map((gs) => Array.from(gs).filter((g) => G.models[g]!.length > 1).join(','));
  models.forEach((ms, n) => ms.forEach((i) => cov.add(n, i)));
  for (let r = 0; r < rounds; r++) {
    let changed = false;
    for (let n = 0; n < models.length; n++) {
      for (const i of models[n]!) cov.remove(n, i);
      let best = models[n]!;
      let bestValue = serverValue(cov, n, best);
      const tries: { key: GreedyOptions['key']; force: number[] }[] = [
        { key: 'ratio', force: [] },
        { key: 'gain', force: [] },
      ];
      if (seeds > 0) {
        const top = new Map<string, [number, number]>(); // signature -> [model, gain]
        for (let i = 0; i < I; i++) {
          if (input.catalog.models[i]!.size_bytes > input.capacity_bytes[n]!) continue;
          const g = cov.gain(n, i);
          const t = top.get(sig[i]!);
          if (g > 0 && (t === undefined || t[1] < g)) top.set(sig[i]!, [i, g]);
        }
        const order = [...top.values()].sort((a, b) => b[1] - a[1]).slice(0, seeds);
        for (const [i] of order) tries.push({ key: 'ratio', force: [i] });
      }
      const cands = tries.map((t) => {
        const cand = greedyPlacement(input, { sharing, key: t.key, lookahead }, [n], cov, G, t.force)[n]!;
        for (const i of cand) cov.remove(n, i);
        return cand;
      });
      if (exactGroups > 0) {
        try {
          cands.push(serverBestResponse(input, G, cov, n, EXACT_EPSILON, exactGroups, sharing).models);
        } catch {
          // too many shared groups for the exact response on this server
        }
      }
      for (const cand of cands) {
        const v = serverValue(cov, n, cand);
        if (v > bestValue * (1 + 1e-12)) {
          best = cand;
          bestValue = v;
          changed = true;
        }
      }
      models[n] = best;
      for (const i of best) cov.add(n, i);
    }
    if (!changed) break;
  }
  return models;
}

/** Which enhancements a greedy run uses (see the file comment). */
export interface GreedySettings {
  lookahead: boolean;
  best_of_gain: boolean;
  local_search_rounds: number;
  local_search_seeds: number;
  local_search_exact_groups: number;
}

/**
 * The settings of a run: the placement options where given, else the policy's
 * defaults: none for the paper's greedy (`plus` false); for the enhanced one,
 * all of them, the seeded and exact local search up to 20,000 server x model
 * pairs.
 */
export function greedySettings(input: PlacementInput, opts: PlacementOptions, plus: boolean): GreedySettings {
  const small = input.capacity_bytes.length * input.catalog.modelCount <= SEEDED_SEARCH_MAX_PAIRS;
  return {
    lookahead: opts.lookahead ?? plus,
    best_of_gain: opts.best_of_gain ?? plus,
    local_search_rounds: opts.local_search_rounds ?? (plus ? (small ? 2 : 1) : 0),
    local_search_seeds: opts.local_search_seeds ?? (plus && small ? 8 : 0),
    local_search_exact_groups: opts.local_search_exact_groups ?? (plus && small ? 10 : 0),
  };
}

/**
 * The greedy with the chosen enhancements. With `best_of_gain` it also runs on
 * plain gain and keeps the better placement: gain-per-byte alone can be
 * arbitrarily bad when one large, valuable model is crowded out by small ones,
 * and the better of the two is the standard fix for budgeted submodular
 * maximization (Khuller, Moss, Naor 1999). With the look-ahead it also runs the
 * plain paper greedy (gain per byte, no look-ahead) and keeps it when better:
 * the look-ahead's bundle keys are a heuristic that can lose to it, and the
 * local search never lowers the start, so trimcaching-gen-plus is never below
 * trimcaching-gen.
 */
function runGreedy(policy: string, input: PlacementInput, sharing: boolean, opts: PlacementOptions, plus: boolean): PlacementResult {
  const set = greedySettings(input, opts, plus);
  const byRatio = greedyPlacement(input, { sharing, key: 'ratio', lookahead: set.lookahead });
  const hr = hitRatio(input, byRatio);
  let best = byRatio;
  let greedy = hr;
  let rule = 'gain-per-byte';
  let hg = Number.NaN;
  if (set.best_of_gain) {
    const byGain = greedyPlacement(input, { sharing, key: 'gain', lookahead: set.lookahead });
    hg = hitRatio(input, byGain);
    if (hg > greedy) {
      best = byGain;
      greedy = hg;
      rule = 'gain';
    }
  }
  let hp = Number.NaN;
  if (set.lookahead) {
    const plain = greedyPlacement(input, { sharing, key: 'ratio', lookahead: false });
    hp = hitRatio(input, plain);
    if (hp > greedy) {
      best = plain;
      greedy = hp;
      rule = 'gain-per-byte-plain';
    }
  }
  const models =
    set.local_search_rounds > 0
      ? improveByServer(input, best, sharing, set.local_search_rounds, set.local_search_seeds, set.local_search_exact_groups, set.lookahead)
      : best;
  return finishResult(policy, input, models, {
    rule,
    lookahead: set.lookahead ? 1 : 0,
    local_search_rounds: set.local_search_rounds,
    ratio_objective: hr,
    ...(set.best_of_gain ? { gain_objective: hg } : {}),
    ...(set.lookahead ? { plain_objective: hp } : {}),
    greedy_objective: greedy,
  });
}

export const trimcachingGen: PlacementPolicy = {
  place: (input, opts = {}) => runGreedy('trimcaching-gen', input, true, opts, false),
};

export const trimcachingGenPlus: PlacementPolicy = {
  place: (input, opts = {}) => runGreedy('trimcaching-gen-plus', input, true, opts, true),
};

export const independent: PlacementPolicy = {
  place: (input, opts = {}) => runGreedy('independent', input, false, opts, false),
};
