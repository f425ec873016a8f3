/**
 * `popularity`: each server, on its own, stores the models most requested by
 * the users it can serve in time, most popular first, skipping those that no
 * longer fit, until nothing more fits. No cooperation between servers; storage
 * is counted as the union of blocks (a model whose blocks are already there is
 * nearly free), but the order ignores sharing.
 */
import { blockGroups, finishResult, type PlacementInput, type PlacementPolicy, type PlacementResult } from './common.ts';

export const popularity: PlacementPolicy = {
  place(input: PlacementInput): PlacementResult {
    const N = input.capacity_bytes.length;
    const I = input.catalog.modelCount;
    const G = blockGroups(input.catalog);
    const out: number[][] = [];
    const local = new Float64Array(I);
    const held = new Uint8Array(G.count);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < I; i++) {
        const us = input.reach.users(n, i);
        let w = 0;
        for (let j = 0; j < us.length; j++) w += input.demand.weight(us[j]!, i);
        local[i] = w;
      }
      const order = Array.from({ length: I }, (_, i) => i)
        .filter((i) => local[i]! > 0)
        .sort((a, b) => local[b]! - local[a]! || a - b);
      held.fill(0);
      let used = 0;
      const cap = input.capacity_bytes[n]!;
      const chosen: number[] = [];
      for (const i of order) {
        let c = 0;
        for (const g of G.modelGroups[i]!) if (held[g] === 0) c += G.size_bytes[g]!;
        if (used + c > cap) continue;
        used += c;
        for (const g of G.modelGroups[i]!) held[g] = 1;
        chosen.push(i);
      }
      out.push(chosen);
    }
    return finishResult('popularity', input, out);
  },
};
