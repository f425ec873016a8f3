/**
 * `trimcaching-spec` (Qu et al., ICDCS 2024 / arXiv 2404.14204, special case of
 * a few shared blocks): successive greedy over servers; for each server,
 * enumerate which shared block groups to hold, and for each choice solve a 0-1
 * knapsack over the model-specific sizes by dynamic programming with value
 * rounding epsilon. Each server step is a (1 - eps)-approximate best response
 * to the servers placed before it, which gives (1 - eps)/2 overall.
 */
import {
  blockGroups,
  Coverage,
  type BlockGroups,
  finishResult,
  type PlacementInput,
  type PlacementOptions,
  type PlacementPolicy,
  type PlacementResult,
} from './common.ts';

/** Largest knapsack DP table (items x scaled values) before it refuses. */
const MAX_DP_CELLS = 5e7;

/**
 * 0-1 knapsack FPTAS: values rounded down to multiples of eps vmax / n, then an
 * exact DP on rounded values (min weight per value). Returns chosen item
 * positions; the true value is >= (1 - eps) x optimum.
 */
export function knapsackFptas(values: ArrayLike<number>, weights: ArrayLike<number>, capacity: number, eps: number): number[] {
  const chosen: number[] = [];
  const idx: number[] = [];
  for (let j = 0; j < values.length; j++) {
    if (!(values[j]! > 0) || weights[j]! > capacity) continue;
    if (weights[j]! <= 0) chosen.push(j); // free: always take
    else idx.push(j);
  }
  const n = idx.length;
  if (n === 0) return chosen;
  let vmax = 0;
  for (const j of idx) vmax = Math.max(vmax, values[j]!);
  const unit = (eps * vmax) / n;
  const scaled = idx.map((j) => Math.floor(values[j]! / unit));
  const V = scaled.reduce((a, b) => a + b, 0);
  if (n * (V + 1) > MAX_DP_CELLS) {
    throw new Error(`trimcaching-spec: knapsack of ${n} models needs ${n * (V + 1)} DP cells; raise epsilon or use trimcaching-gen`);
  }
  const dp = new Float64Array(V + 1).fill(Infinity);
  dp[0] = 0;
  const take = new Uint8Array(n * (V + 1));
  let top = 0;
  for (let t = 0; t < n; t++) {
    const s = scaled[t]!;
    const w = weights[idx[t]!]!;
    if (s === 0) continue;
    for (let v = top; v >= 0; v--) {
      const cand = dp[v]! + w;
      if (cand < dp[v + s]! && cand <= capacity) {
        dp[v + s] = cand;
        take[t * (V + 1) + v + s] = 1;
      }
    }
    top += s;
  }
  let best = 0;
  for (let v = V; v > 0; v--) {
    if (dp[v]! <= capacity) {
      best = v;
      break;
    }
  }
  for (let t = n - 1; t >= 0 && best > 0; t--) {
    if (take[t * (V + 1) + best] === 1) {
      chosen.push(idx[t]!);
      best -= scaled[t]!;
    }
  }
  return chosen;
}

/**
 * One server's best response given what the other servers cover: enumerate
 * the subsets of shared block groups its candidate models use, and for each
 * solve the knapsack over the models' specific bytes. (1 - eps)-optimal for the
 * server. With `sharing` false every model is charged its full size (no
 * enumeration). Throws when more than `maxShared` shared groups are in play.
 */
export function serverBestResponse(
  input: PlacementInput,
  G: BlockGroups,
  cov: Coverage,
  n: number,
  eps: number,
  maxShared: number,
  sharing = true,
): { models: number[]; masks: number } {
  const cap = input.capacity_bytes[n]!;
  const I = input.catalog.modelCount;
  // Candidate models and the shared groups they use.
  const cand: number[] = [];
  const value: number[] = [];
  const sharedIdx = new Map<number, number>(); // group -> bit
  for (let i = 0; i < I; i++) {
    if (G.modelSize[i]! > cap) continue;
    const v = cov.gain(n, i);
    if (v <= 0) continue;
    cand.push(i);
    value.push(v);
    if (!sharing) continue;
    for (const g of G.modelGroups[i]!) if (G.models[g]!.length > 1 && !sharedIdx.has(g)) sharedIdx.set(g, sharedIdx.size);
  }
  const S = sharedIdx.size;
  if (S > maxShared) {
    throw new Error(
      `trimcaching-spec: server ${n} would enumerate subsets of ${S} shared block groups (max_shared_groups = ${maxShared}); ` +
        'this policy is for a few shared blocks: use trimcaching-gen',
    );
  }
  const groupBytes = new Float64Array(S);
  for (const [g, bit] of sharedIdx) groupBytes[bit] = G.size_bytes[g]!;
  const need = cand.map((i) => {
    let mask = 0;
    for (const g of G.modelGroups[i]!) {
      const bit = sharedIdx.get(g);
      if (bit !== undefined) mask |= 1 << bit;
    }
    return mask;
  });
  const specific = cand.map((i) => {
    if (!sharing) return G.modelSize[i]!;
    let s = 0;
    for (const g of G.modelGroups[i]!) if (G.models[g]!.length === 1) s += G.size_bytes[g]!;
    return s;
  });

  let bestValue = 0;
  let best: number[] = [];
  let masks = 0;
  for (let mask = 0; mask < 1 << S; mask++) {
    let shared = 0;
    for (let b = 0; b < S; b++) if (mask & (1 << b)) shared += groupBytes[b]!;
    if (shared > cap) continue;
    masks++;
    const items: number[] = [];
    for (let t = 0; t < cand.length; t++) if ((need[t]! & ~mask) === 0) items.push(t);
    const chosen = knapsackFptas(
      items.map((t) => value[t]!),
      items.map((t) => specific[t]!),
      cap - shared,
      eps,
    );
    let v = 0;
    for (const c of chosen) v += value[items[c]!]!;
    if (v > bestValue) {
      bestValue = v;
      best = chosen.map((c) => cand[items[c]!]!);
    }
  }
  return { models: best, masks };
}

export const trimcachingSpec: PlacementPolicy = {
  place(input: PlacementInput, opts: PlacementOptions = {}): PlacementResult {
    const eps = opts.epsilon ?? 0.1;
    const maxShared = opts.max_shared_groups ?? 16;
    const G = blockGroups(input.catalog);
    const cov = new Coverage(input);
    const out: number[][] = [];
    let masksTried = 0;
    for (let n = 0; n < input.capacity_bytes.length; n++) {
      const r = serverBestResponse(input, G, cov, n, eps, maxShared);
      masksTried += r.masks;
      for (const i of r.models) cov.add(n, i);
      out.push(r.models);
    }
    return finishResult('trimcaching-spec', input, out, { epsilon: eps, masks_tried: masksTried });
  },
};
