/** Issue 5 acceptance: trimcaching-gen within 5% of optimal (HiGHS ILP) on trimcaching-small.yaml. */
import { describe, expect, it } from 'vitest';
import { loadDoc, prepare, run, withSet } from '../delivery/world.ts';

describe('trimcaching-small.yaml against optimal', () => {
  const doc = withSet(loadDoc('scenarios/trimcaching-small.yaml'), { duration: '4 h' });

  it('trimcaching-gen is within 5% of optimal', async () => {
    await prepare(withSet(doc, { 'caching.placement': 'optimal' }));
    for (const f of [0.1, 0.5]) {
      const sets = { 'caching.capacity_fraction': f };
      const gen = run(withSet(doc, { 'caching.placement': 'trimcaching-gen', ...sets })).metrics;
      const opt = run(withSet(doc, { 'caching.placement': 'optimal', ...sets })).metrics;
      expect(gen.placement_objective, `objective at ${f}`).toBeGreaterThanOrEqual(0.95 * opt.placement_objective!);
      expect(gen.cache_hit_ratio, `simulated hit ratio at ${f}`).toBeGreaterThanOrEqual(0.95 * opt.cache_hit_ratio!);
    }
  }, 30_000);

});
