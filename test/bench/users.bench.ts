/**
 * A million users: the quickstart scenario with 1,000,000 phones on 64 edge servers
 * and few requests (1e-5 per user per second, ~18,000 in 30 minutes), so the figure is
 * the per-user state (positions, gains, serving cells, kept random streams), not the
 * load. Prints build + run time, peak RSS and bytes per user. No files are written.
 */
import { loadScenario } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/run/run.ts';
import { runIfMain } from './harness.ts';

const USERS = 1_000_000;

export async function run(): Promise<Record<string, unknown>> {
  const { scenario } = loadScenario(undefined, {
    set: [`topology.users.count=${USERS}`, 'topology.servers.count=64', 'topology.area=10 km', 'inference.requests.rate_per_user=0.00001', 'warmup=0 s'],
  });
  const rss0 = process.memoryUsage().rss;
  const r = runScenario(scenario, { outDir: null });
  const peak = process.resourceUsage().maxRSS * 1024;
  return {
    users: USERS,
    requests: r.metrics.requests_completed,
    wall_s: r.wall_s,
    peak_rss_bytes: peak,
    bytes_per_user: Math.round((peak - rss0) / USERS),
  };
}

runIfMain(import.meta.url, run);
