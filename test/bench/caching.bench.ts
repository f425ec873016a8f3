/**
 * Caching + delivery at scale (issue 5, scale target): one simulated hour of
 * 10,000 mobile users (random waypoint, 0.5-1.5 m/s) with Poisson model
 * requests, on 100 edge servers (10 x 10 grid, 500 m apart, as in
 * scenarios/trimcaching.yaml) with the trimcaching.yaml catalog, TrimCaching
 * placement at t = 0, lru-blocks replacement and re-placement every 20 min.
 * Target: under 60 s and under 2 GB peak RSS. No files are written.
 */
import { loadDoc, run as runDoc, withSet } from '../delivery/world.ts';
import { runIfMain } from './harness.ts';

export async function run(): Promise<Record<string, unknown>> {
  const doc = withSet(loadDoc('scenarios/trimcaching.yaml'), {
    duration: '1 h',
    'topology.area': '5 km',
    'topology.servers.count': 100,
    'topology.users.count': 10_000,
    'topology.users.mobility': { model: 'random-waypoint', speed: [0.5, 1.5], update_interval: '30 s' },
    'caching.demand.rate': '0.5 /h',
    'caching.replacement': 'lru-blocks',
    'caching.replace': { every: '20 min' },
  });
  const t0 = performance.now();
  const r = runDoc(doc);
  const wall = (performance.now() - t0) / 1000;
  const m = r.metrics;
  return {
    users: 10_000,
    servers: 100,
    requests: m.downloads_requested,
    completed: m.downloads_completed,
    events: r.world.engine.eventsProcessed,
    wall_s: wall,
    events_per_s: r.world.engine.eventsProcessed / wall,
    cache_hit_ratio: m.cache_hit_ratio,
    download_latency_p50_s: m.download_latency_p50_s,
    download_latency_p95_s: m.download_latency_p95_s,
    handovers: m.handovers,
    backhaul_bytes: m.backhaul_bytes,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
}

runIfMain(import.meta.url, run);
