import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BlockCatalog } from '../../sim/caching/blocks.ts';
import {
  DenseDemand,
  hitRatio,
  ListReach,
  placementPolicies,
  type PlacementInput,
  type PlacementResult,
} from '../../sim/caching/placement/index.ts';
import { knapsackFptas } from '../../sim/caching/placement/spec.ts';
import { Rng } from '../../sim/engine/rng.ts';
import { randomInstance, type InstanceShape } from './instances.ts';

const place = (name: string, input: PlacementInput, opts = {}): PlacementResult => placementPolicies.get(name).place(input, opts);

/** LoRA-like families: large shared bases, small adapters, a few standalone models. */
const LORA: Omit<InstanceShape, 'capacityFraction'> = {
  bases: 3,
  adaptersPerBase: 5,
  singles: 2,
  servers: 4,
  users: 30,
  adapterBytes: [0.02e9, 0.2e9],
};
/** Few shared bases with large adapters: a harder instance for greedy rules. */
const MIXED: Omit<InstanceShape, 'capacityFraction'> = { bases: 3, adaptersPerBase: 4, singles: 3, servers: 3, users: 12 };

function checkResult(input: PlacementInput, r: PlacementResult): void {
  const c = input.catalog;
  r.models.forEach((ms, n) => {
    expect(new Set(r.blocks[n]).size).toBe(r.blocks[n]!.length); // every block at most once
    expect(r.blocks[n]).toEqual(c.unionBlocks(ms));
    expect(r.storage_bytes[n]).toBeCloseTo(c.unionSize(ms), 0);
    expect(r.storage_bytes[n]!).toBeLessThanOrEqual(input.capacity_bytes[n]! * (1 + 1e-9));
  });
  expect(r.objective).toBeCloseTo(hitRatio(input, r.models), 12);
}

describe('placement registry', () => {
  it('has the five policies under caching.placement', () => {
    expect(placementPolicies.scenarioKey).toBe('caching.placement');
    expect(placementPolicies.names().sort()).toEqual(['independent', 'optimal', 'popularity', 'trimcaching-gen', 'trimcaching-spec']);
  });
});

describe('knapsack FPTAS', () => {
  it('reaches (1 - eps) of the brute-force optimum and respects the capacity', () => {
    const rng = new Rng(5, 'test:knapsack');
    for (let t = 0; t < 40; t++) {
      const n = 1 + rng.int(10);
      const v = Array.from({ length: n }, () => rng.next() * 10);
      const w = Array.from({ length: n }, () => (rng.next() < 0.1 ? 0 : rng.next() * 5));
      const cap = rng.next() * 12;
      let opt = 0;
      for (let m = 0; m < 1 << n; m++) {
        let vv = 0;
        let ww = 0;
        for (let j = 0; j < n; j++) if (m & (1 << j)) (vv += v[j]!), (ww += w[j]!);
        if (ww <= cap) opt = Math.max(opt, vv);
      }
      const eps = 0.2;
      const ch = knapsackFptas(v, w, cap, eps);
      expect(new Set(ch).size).toBe(ch.length);
      expect(ch.reduce((s, j) => s + w[j]!, 0)).toBeLessThanOrEqual(cap + 1e-9);
      expect(ch.reduce((s, j) => s + v[j]!, 0)).toBeGreaterThanOrEqual((1 - eps) * opt - 1e-9);
    }
  });
});

describe('placement policies on random small instances', () => {
  beforeAll(async () => {
    await placementPolicies.get('optimal').prepare!();
  });

  it('trimcaching-spec reaches (1 - eps)/2 of optimal; trimcaching-gen is within 5% of optimal on LoRA-like families', () => {
    const eps = 0.1;
    for (const [seed, f] of [
      ['a', 0.1],
      ['b', 0.2],
      ['c', 0.35],
      ['d', 0.5],
    ] as const) {
      const input = randomInstance(seed, { ...LORA, capacityFraction: f });
      const opt = place('optimal', input);
      const spec = place('trimcaching-spec', input, { epsilon: eps });
      const gen = place('trimcaching-gen', input);
      checkResult(input, opt);
      expect(spec.objective).toBeGreaterThanOrEqual(((1 - eps) / 2) * opt.objective - 1e-12);
      expect(gen.objective).toBeGreaterThanOrEqual(0.95 * opt.objective);
      for (const r of [spec, gen, place('independent', input), place('popularity', input)]) {
        expect(r.objective).toBeLessThanOrEqual(opt.objective + 1e-9);
      }
    }
    // A harder mix (large adapters): the bound still holds for spec.
    for (const seed of ['m1', 'm2']) {
      const input = randomInstance(seed, { ...MIXED, capacityFraction: 0.2 });
      const opt = place('optimal', input);
      expect(place('trimcaching-spec', input, { epsilon: 0.5 }).objective).toBeGreaterThanOrEqual(0.25 * opt.objective - 1e-12);
    }
  });

  it('every policy respects every storage limit, counting the union of blocks', () => {
    for (const seed of ['s1', 's2', 's3']) {
      for (const f of [0.05, 0.2, 0.5]) {
        const input = randomInstance(seed, { ...MIXED, capacityFraction: f });
        for (const name of ['trimcaching-gen', 'trimcaching-spec', 'independent', 'popularity']) checkResult(input, place(name, input));
      }
    }
  });

  it('independent never stores a shared block twice and charges every model its full size', () => {
    for (const f of [0.1, 0.3, 0.6]) {
      const input = randomInstance('ind', { ...LORA, capacityFraction: f });
      const r = place('independent', input);
      checkResult(input, r);
      r.models.forEach((ms, n) => {
        const charged = ms.reduce((s, i) => s + input.catalog.models[i]!.size_bytes, 0);
        expect(charged).toBeLessThanOrEqual(input.capacity_bytes[n]! * (1 + 1e-9));
        // With shared bases, the union is strictly smaller than the charge when two siblings are stored.
        if (new Set(ms.map((i) => input.catalog.models[i]!.base)).size < ms.length) expect(r.storage_bytes[n]!).toBeLessThan(charged);
      });
    }
  });

  it('trimcaching-gen beats independent at every capacity from 5% to 50% of the library', () => {
    for (const f of [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]) {
      // 30 bases of 1-2.5 GB: even 5% of the library holds a base and its adapters.
      const input = randomInstance('cmp', { ...LORA, bases: 30, users: 60, servers: 6, baseBytes: [1e9, 2.5e9], capacityFraction: f });
      const gen = place('trimcaching-gen', input).objective;
      const ind = place('independent', input).objective;
      expect(gen).toBeGreaterThan(ind);
    }
  });

  it('trimcaching-spec refuses instances with too many shared blocks', () => {
    const input = randomInstance('big', { ...LORA, bases: 6, capacityFraction: 0.3 });
    expect(() => place('trimcaching-spec', input, { max_shared_groups: 3 })).toThrow(/trimcaching-gen/);
  });
});

describe('placement properties (fast-check)', () => {
  it('greedy and spec placements fit on arbitrary catalogs and never beat the union bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }), // blocks
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        (nb, modelBlocks, sizes, cap, seed) => {
          const blocks = Array.from({ length: nb }, (_, b) => ({ id: `b${b}`, size_bytes: sizes[b]! }));
          const models = modelBlocks.map((bs, i) => ({ id: `m${i}`, blocks: [...new Set(bs.map((b) => `b${b % nb}`))] }));
          const catalog = new BlockCatalog(blocks, models);
          const K = 4;
          const N = 2;
          const I = catalog.modelCount;
          const rng = new Rng(seed, 'prop');
          const w = Float64Array.from({ length: K * I }, () => rng.next());
          const reach = ListReach.fromPredicate(K, N, I, (k, n) => (k + n) % 3 !== 0);
          const input: PlacementInput = { catalog, capacity_bytes: [cap, cap / 2], demand: new DenseDemand(K, I, w), reach };
          for (const name of ['trimcaching-gen', 'trimcaching-spec', 'independent', 'popularity']) {
            const r = place(name, input);
            r.storage_bytes.forEach((s, n) => expect(s).toBeLessThanOrEqual(input.capacity_bytes[n]! * (1 + 1e-9)));
            expect(r.objective).toBeGreaterThanOrEqual(0);
            expect(r.objective).toBeLessThanOrEqual(1 + 1e-12);
          }
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
