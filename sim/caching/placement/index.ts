/**
 * The placement registry (scenario key `caching.placement`). A new policy is
 * one file plus one `register` line here.
 */
import { Registry } from '../../common/registry.ts';
import type { PlacementInput, PlacementOptions, PlacementPolicy, PlacementResult } from './common.ts';
import { independent, trimcachingGen, trimcachingGenPlus } from './greedy.ts';
import { optimal } from './optimal.ts';
import { popularity } from './popularity.ts';
import { trimcachingSpec } from './spec.ts';

export const placementPolicies = new Registry<PlacementPolicy>('placement', 'caching.placement')
  .register('trimcaching-gen', 'greedy on hit-ratio gain per byte of new blocks, until nothing fits (TrimCaching general case, as published)', trimcachingGen)
  .register(
    'trimcaching-gen-plus',
    'trimcaching-gen with bundle look-ahead, the better of gain-per-byte and plain-gain greedy, and a best-response local search over servers (beyond the paper)',
    trimcachingGenPlus,
  )
  .register(
    'trimcaching-spec',
    'successive greedy over servers, knapsack DP with value rounding per shared-block choice; (1 - eps)/2 (TrimCaching special case, few shared blocks)',
    trimcachingSpec,
  )
  .register('independent', 'the trimcaching-gen greedy with every model charged its full size: caching that ignores parameter sharing', independent)
  .register('popularity', 'each server stores its most requested models until full', popularity)
  .register('optimal', 'exact integer program solved by HiGHS (WASM); small instances only', optimal);

/** Run a policy by name, awaiting its set-up first (for tools and tests; the simulator awaits `prepare` once). */
export async function placeWith(name: string, input: PlacementInput, opts?: PlacementOptions): Promise<PlacementResult> {
  const p = placementPolicies.get(name);
  await p.prepare?.();
  return p.place(input, opts);
}

export * from './common.ts';
