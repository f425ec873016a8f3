import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Network } from '../../sim/network/network.ts';
import { tempDir } from '../helpers.ts';
import { loadDoc, run, withSet, feed, type CachingRun, type Doc } from './world.ts';

const MB = 1e6;

/** One server at the origin, users on a line; blocks A (shared, 100 MB), B0, B1 (10 MB each); models m0 = A+B0, m1 = A+B1 of family f. */
function tiny(users: [number, number][], extra: Record<string, unknown> = {}): Doc {
  return withSet(
    {
      seed: 3,
      duration: 600,
      topology: {
        area: 1000,
        servers: { layout: 'list', positions: [[0, 0]], bandwidth: '20 MHz' },
        users: { count: users.length, placement: 'list', positions: users },
        channel: { shadowing_sigma: 0 },
        backhaul: { cloud_capacity: '1 Gbit/s', cloud_latency: '20 ms' },
      },
      caching: {
        capacity_fraction: 1,
        catalog: {
          blocks: [
            { id: 'A', size: '100 MB' },
            { id: 'B0', size: '10 MB' },
            { id: 'B1', size: '10 MB' },
          ],
          models: [
            { id: 'm0', blocks: ['A', 'B0'], family: 'f' },
            { id: 'm1', blocks: ['A', 'B1'], family: 'f' },
          ],
        },
        demand: { rate: 0, deadline: '60 s', order: 'catalog', zipf: 1 },
      },
      delivery: { mode: 'unicast' },
    },
    extra,
  );
}

function peak(r: CachingRun, user: number): number {
  return r.world.need<Network>('network', 'test').peakRateDown(0, user);
}

describe('delivery', () => {
  it('an edge hit takes the radio latency plus bytes over the peak rate', () => {
    const r = run(tiny([[100, 0]]), { before: feed([[1, 0, 0]]) });
    const expected = 0.005 + (110 * MB * 8) / peak(r, 0);
    expect(r.metrics.downloads_completed).toBe(1);
    expect(r.metrics.download_latency_mean_s).toBeCloseTo(expected, 9);
    expect(r.metrics.cache_hit_ratio).toBe(1);
    expect(r.metrics.edge_bytes_ratio).toBe(1);
    expect(r.metrics.backhaul_bytes).toBe(0);
  });

  it('a miss fetches the blocks from the cloud first, then sends them', () => {
    const r = run(tiny([[100, 0]], { 'caching.capacity_fraction': 1e-6 }), { before: feed([[1, 0, 1]]) });
    const expected = 0.02 + (110 * MB * 8) / 1e9 + 0.005 + (110 * MB * 8) / peak(r, 0);
    expect(r.metrics.download_latency_mean_s).toBeCloseTo(expected, 9);
    expect(r.metrics.cache_hit_ratio).toBe(0);
    expect(r.metrics.backhaul_bytes).toBe(110 * MB);
  });

  it('only the blocks the serving server lacks cross the backhaul', () => {
    // Room for one model: the placement keeps m0 (A + B0); m1 then needs only B1.
    const doc = tiny([[100, 0]], { 'caching.capacity_fraction': 110 / 120 });
    const r = run(doc, { before: feed([[1, 0, 1]]) });
    expect(r.caching.store.hasModel(0, 0)).toBe(true);
    expect(r.metrics.backhaul_bytes).toBe(10 * MB);
    expect(r.metrics.edge_bytes_ratio).toBeCloseTo(100 / 110, 12);
    expect(r.metrics.cache_hit_ratio).toBe(0);
  });

  it('a user holding the base receives only the specific blocks', () => {
    const r = run(tiny([[100, 0]], { 'delivery.holds_base': 1 }), { before: feed([[1, 0, 0]]) });
    expect(r.metrics.download_latency_mean_s).toBeCloseTo(0.005 + (10 * MB * 8) / peak(r, 0), 9);
  });

  it('multicast sends the shared block once at the worst member rate, specific blocks unicast', () => {
    const users: [number, number][] = [
      [100, 0],
      [400, 0],
    ];
    const reqs: [number, number, number][] = [
      [1, 0, 0],
      [1.2, 1, 1],
    ];
    const uni = run(tiny(users), { before: feed(reqs) });
    const multi = run(tiny(users, { 'delivery.mode': 'multicast', 'delivery.window': '1 s' }), { before: feed(reqs) });
    expect(uni.metrics.radio_downlink_bytes).toBe(220 * MB);
    expect(multi.metrics.radio_downlink_bytes).toBe(120 * MB);
    expect(multi.metrics.multicast_share).toBe(1);
    // The far user decodes the multicast at its own (worst) rate while sharing the cell with
    // the two 10 MB unicasts, so its latency is at least the window left plus A at its solo rate.
    const worst = peak(multi, 1);
    expect(multi.delivery!.delivery.latency.quantile(1)).toBeGreaterThan(0.8 + (100 * MB * 8) / worst);
    expect(multi.metrics.downloads_completed).toBe(2);
  });

  it('writes downloads.csv with latency and mode per request', () => {
    const dir = tempDir();
    run(tiny([[100, 0], [200, 0]], { 'delivery.mode': 'multicast' }), {
      outDir: dir,
      before: feed([
        [1, 0, 0],
        [1.1, 1, 1],
        [30, 0, 1],
      ]),
    });
    const lines = readFileSync(join(dir, 'downloads.csv'), 'utf8').trim().split('\n');
    const head = lines[0]!.split(',');
    expect(head).toContain('download_latency_s');
    expect(head).toContain('mode');
    const mode = head.indexOf('mode');
    const modes = lines.slice(1).map((l) => l.split(',')[mode]);
    expect(modes.sort()).toEqual(['multicast', 'multicast', 'unicast']);
    expect(readFileSync(join(dir, 'servers.csv'), 'utf8').split('\n')[0]).toContain('stored_bytes');
  });
});

describe('multicast.yaml (Wu, Zeng, Huang, IEEE TWC 2024)', () => {
  const base = loadDoc('scenarios/multicast.yaml');

  it('every server holds every model, so unicast and multicast differ only on the air', () => {
    const r = run(base);
    const store = r.caching.store;
    for (let n = 0; n < store.servers; n++) expect(store.cachedModels(n).length, `server ${n}`).toBe(r.caching.catalog.modelCount);
    expect(r.metrics.backhaul_bytes).toBe(0);
  });

  it('multicast latency is at most unicast latency on every seed', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const u = run(withSet(base, { seed, 'delivery.mode': 'unicast' })).metrics;
      const m = run(withSet(base, { seed, 'delivery.mode': 'multicast' })).metrics;
      expect(m.download_latency_mean_s, `seed ${seed}`).toBeLessThanOrEqual(u.download_latency_mean_s!);
      expect(m.download_latency_p50_s, `seed ${seed}`).toBeLessThanOrEqual(u.download_latency_p50_s!);
      expect(m.download_latency_p95_s, `seed ${seed}`).toBeLessThanOrEqual(u.download_latency_p95_s!);
    }
  });

  it('multicast latency falls as more users request models from one family', () => {
    const lat = [0, 0.5, 1].map((share) => run(withSet(base, { 'caching.demand.focus.share': share })).metrics.download_latency_mean_s!);
    expect(lat[1]).toBeLessThan(lat[0]!);
    expect(lat[2]).toBeLessThan(lat[1]!);
  });
});
