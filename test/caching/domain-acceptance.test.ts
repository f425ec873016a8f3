/**
 * Issue 5 acceptance on the scenarios: trimcaching-gen beats independent on the simulated
 * cache_hit_ratio at every storage capacity from 5% to 50% of the library, the gap grows with
 * the share of shared parameters (gen vs optimal: domain-optimal.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { getModel } from '../../sim/workload/index.ts';
import { loadDoc, run, withSet, type Doc } from '../delivery/world.ts';

const CAPACITIES = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5];

function hit(doc: Doc, placement: string, sets: Record<string, unknown> = {}): number {
  return run(withSet(doc, { 'caching.placement': placement, ...sets })).metrics.cache_hit_ratio!;
}

function genBeatsIndependentAtEveryCapacity(doc: Doc): void {
  for (const f of CAPACITIES) {
    const sets = { 'caching.capacity_fraction': f };
    expect(hit(doc, 'trimcaching-gen', sets), `capacity ${f}`).toBeGreaterThan(hit(doc, 'independent', sets));
  }
}

function gapGrowsWithSharing(doc: Doc): void {
  // Same archs, each with 5 copies whose top (1 - s) of the layers are fine-tuned; fixed
  // bytes per server (a fraction of the library would shrink with the sharing).
  const archs = [...new Set((doc.caching['catalog'] as { families: { model: string }[] }).families.map((f) => f.model))];
  const gap = (s: number) => {
    const families = archs.map((a) => ({ model: a, finetune_top: [{ count: 5, layers: Math.max(1, Math.round(getModel(a).layers * (1 - s))) }] }));
    const sets = { 'caching.capacity_fraction': undefined, 'topology.servers.storage': '6 GB', 'caching.catalog': { families } };
    return hit(doc, 'trimcaching-gen', sets) - hit(doc, 'independent', sets);
  };
  const gaps = [0.25, 0.5, 0.75, 0.9].map(gap);
  for (let j = 1; j < gaps.length; j++) expect(gaps[j], `gaps ${gaps.join(', ')}`).toBeGreaterThan(gaps[j - 1]!);
}

describe('trimcaching-small.yaml', () => {
  const doc = withSet(loadDoc('scenarios/trimcaching-small.yaml'), { duration: '4 h' });

  it('trimcaching-gen beats independent at every capacity from 5% to 50% of the library', () => genBeatsIndependentAtEveryCapacity(doc));

  it('the gap over independent grows with the share of shared parameters', () => gapGrowsWithSharing(doc));
});

describe('trimcaching.yaml', () => {
  const doc = withSet(loadDoc('scenarios/trimcaching.yaml'), { duration: '1 h' });

  it('trimcaching-gen beats independent at every capacity from 5% to 50% of the library', () => genBeatsIndependentAtEveryCapacity(doc), 30_000);

  it('the gap over independent grows with the share of shared parameters', () => gapGrowsWithSharing(doc), 30_000);
});
