/**
 * The quickstart scenario scaled up to >= 1e6 requests: 2,000 users at
 * 1 request/min for 9 hours of simulated time (~1.08e6 requests) on 64
 * edge servers. Prints events/s and peak RSS. No files are written.
 */
import { loadScenario } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/run/run.ts';
import { runIfMain } from './harness.ts';

export async function run(): Promise<Record<string, unknown>> {
  const { scenario } = loadScenario(undefined, {
    set: ['topology.users.count=2000', 'topology.servers.count=64', 'topology.area=10 km', 'duration=9 h', 'warmup=0 s'],
  });
  const r = runScenario(scenario, { outDir: null });
  return {
    requests: r.metrics.requests_completed,
    events: r.events,
    wall_s: r.wall_s,
    events_per_s: r.events / r.wall_s,
    requests_per_s: (r.metrics.requests_completed ?? 0) / r.wall_s,
    latency_p95_s: r.metrics.latency_p95_s,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
}

runIfMain(import.meta.url, run);
