/**
 * Cache replacement (registry 'replacement', scenario key
 * `caching.replacement`). When a request misses and its blocks come over the
 * backhaul, a replacing policy keeps the model on the serving server, evicting
 * cached models until the new blocks fit:
 *
 * - `none`: the proactive placement is all there is (the papers' static setting).
 * - `lru` / `lfu`: model granularity, blind to sharing: evicting a model frees
 *   all its blocks, shared ones too (other cached models that lose a block go with it).
 * - `lru-blocks`: least recently used model first, but a block is freed only
 *   when no cached model needs it.
 */
import { Registry } from '../../common/registry.ts';
import type { BlockStores } from './store.ts';

export interface ReplacementPolicy {
  /** Keep models fetched on a miss. */
  readonly admits: boolean;
  /** Evicting a model frees only blocks no other cached model needs. */
  readonly blockAware: boolean;
  /** The cached model of server `n` to evict next (not `keep`); -1 when none. */
  victim(store: BlockStores, n: number, keep: number): number;
}

/** The cached model (other than `keep`) with the lowest `primary`, then `secondary`, then index. */
function lowest(store: BlockStores, n: number, keep: number, primary: Float64Array, secondary: Float64Array | null): number {
  const list = store.cachedModels(n);
  const I = store.I;
  let best = -1;
  let b1 = Infinity;
  let b2 = Infinity;
  for (let j = 0; j < list.length; j++) {
    const i = list[j]!;
    if (i === keep) continue;
    const s1 = primary[n * I + i]!;
    const s2 = secondary === null ? 0 : secondary[n * I + i]!;
    if (s1 < b1 || (s1 === b1 && (s2 < b2 || (s2 === b2 && i < best)))) {
      b1 = s1;
      b2 = s2;
      best = i;
    }
  }
  return best;
}

function lru(blockAware: boolean): ReplacementPolicy {
  return { admits: true, blockAware, victim: (st, n, keep) => lowest(st, n, keep, st.lastUse, null) };
}

export const replacementPolicies = new Registry<ReplacementPolicy>('replacement', 'caching.replacement')
  .register('none', 'no admission on a miss: the proactive placement is all the cache holds', {
    admits: false,
    blockAware: true,
    victim: () => -1,
  })
  .register('lru', 'least recently used model evicted with all its blocks (model granularity, ignores sharing)', lru(false))
  .register('lfu', 'least frequently requested model evicted with all its blocks (model granularity, ignores sharing)', {
    admits: true,
    blockAware: false,
    // Fewest uses; among equals the least recent.
    victim: (st, n, keep) => lowest(st, n, keep, st.uses, st.lastUse),
  })
  .register('lru-blocks', 'least recently used model first; a block is evicted only when no cached model needs it', lru(true));

/**
 * Make room on server `n` for the blocks of model `i` it lacks, evicting per
 * `policy` (never `i` itself; model-granularity evictions may take shared
 * blocks of `i` too, so what it lacks is recounted). True when they fit.
 */
export function makeRoom(store: BlockStores, policy: ReplacementPolicy, n: number, i: number): boolean {
  if (store.modelBytes(i) > store.capacity_bytes[n]!) return false;
  while (store.free(n) < store.missingBytes(n, i)) {
    const v = policy.victim(store, n, i);
    if (v < 0) return false;
    store.evict(n, v, policy.blockAware);
  }
  return true;
}
