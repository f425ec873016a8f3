/**
 * Inference at scale: scenarios/inference-modes.yaml with 2,000 users on 25
 * edge servers (L4) for one simulated hour at 50 requests/h each (~1e5
 * requests, ~1.3e7 output tokens). Two runs: mode edge (continuous batching
 * only) and the scenario's adaptive mode (a quarter private requests, served
 * on-device or split). Target: each under 60 s wall.
 */
import { loadScenario } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/run/run.ts';
import { runIfMain } from './harness.ts';

const SCALE = ['topology.users.count=2000', 'topology.servers.count=25', 'topology.area=5 km', 'duration=1 h', 'warmup=0 s', 'inference.requests.rate_per_user=50 /h'];

function once(extra: string[]): Record<string, unknown> {
  const { scenario } = loadScenario('scenarios/inference-modes.yaml', { set: [...SCALE, ...extra] });
  const r = runScenario(scenario, { outDir: null });
  const tokens = (r.metrics.throughput_tok_s ?? 0) * scenario.duration;
  return {
    requests: r.metrics.requests_completed,
    output_tokens: tokens,
    events: r.events,
    wall_s: r.wall_s,
    events_per_s: r.events / r.wall_s,
    output_tokens_per_wall_s: tokens / r.wall_s,
    ttft_p95_s: r.metrics.ttft_p95_s,
    tpot_p50_s: r.metrics.tpot_p50_s,
    edge_batch_mean: r.metrics.edge_batch_mean,
    mode_share_edge: r.metrics.mode_share_edge,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const edge = once(['inference.mode=edge', 'inference.requests.private_share=0']);
  const adaptive = once([]);
  return { edge, adaptive, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 };
}

runIfMain(import.meta.url, run);
