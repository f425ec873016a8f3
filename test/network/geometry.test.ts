import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/engine/rng.ts';
import {
  distance,
  distanceMatrix,
  gridPoints,
  nearest,
  pointCount,
  pointsFromList,
  poissonPoints,
  uniformPoints,
  withinRange,
} from '../../sim/network/geometry.ts';

describe('geometry', () => {
  it('grid: count points at cell centres inside the square', () => {
    const g = gridPoints(9, 300);
    expect(pointCount(g)).toBe(9);
    expect([g.x[0], g.y[0]]).toEqual([50, 50]);
    expect([g.x[8], g.y[8]]).toEqual([250, 250]);
    const h = gridPoints(10, 1000); // 4 columns, 3 rows used
    for (let i = 0; i < 10; i++) {
      expect(h.x[i]).toBeGreaterThan(0);
      expect(h.y[i]).toBeLessThan(1000);
    }
  });

  it('list, distances and lookups', () => {
    const s = pointsFromList([
      [0, 0],
      [100, 0],
      [0, 300],
    ]);
    const u = pointsFromList([[90, 10]]);
    expect(distance(u, 0, s, 1)).toBeCloseTo(Math.hypot(10, 10), 12);
    expect(nearest(s, 90, 10)).toBe(1);
    expect(withinRange(s, 90, 10, 100)).toEqual([1, 0]);
    expect(withinRange(s, 90, 10, 5)).toEqual([]);
    const d = distanceMatrix(u, s);
    expect(Array.from(d)).toEqual([0, 1, 2].map((j) => distance(u, 0, s, j)));
    expect(nearest(pointsFromList([]), 0, 0)).toBe(-1);
  });

  it('uniform and Poisson point processes stay in the square; PPP counts have mean density x area', () => {
    const rng = new Rng(3, 'test:ppp');
    const u = uniformPoints(rng, 500, 200);
    for (let i = 0; i < 500; i++) {
      expect(u.x[i]).toBeGreaterThanOrEqual(0);
      expect(u.y[i]).toBeLessThan(200);
    }
    let sum = 0;
    for (let j = 0; j < 200; j++) {
      const p = poissonPoints(rng, 1e-5, 1000); // mean 10 points
      sum += pointCount(p);
      for (let i = 0; i < pointCount(p); i++) expect(p.x[i]).toBeLessThan(1000);
    }
    // mean of 200 Poisson(10) counts: sd 0.22; 5 sigma.
    expect(Math.abs(sum / 200 - 10)).toBeLessThan(1.1);
  });
});

describe('population size', () => {
  it('a population whose per-user state cannot fit the heap is refused before any user is placed', async () => {
    const { Topology } = await import('../../sim/network/topology.ts');
    const { topologySchema } = await import('../../sim/network/schema.ts');
    const { getHeapStatistics } = await import('node:v8');
    const limit = getHeapStatistics().heap_size_limit;
    const users = Math.min(10_000_000, Math.ceil(limit / 1200) + 1);
    let placed = 0;
    const rngFor = (name: string) => {
      if (name.startsWith('user:')) placed++;
      return new Rng(1, name);
    };
    const spec = topologySchema.parse({ users: { count: users } });
    expect(() => new Topology(spec, rngFor)).toThrow(/topology\.users\.count: \d+ users with \d+ cells need at least [\d.]+ GB of heap .*NODE_OPTIONS=--max-old-space-size=\d+/);
    expect(placed).toBe(0);
    // a small population passes
    expect(() => new Topology(topologySchema.parse({ users: { count: 1000 } }), rngFor)).not.toThrow();
  });
});
