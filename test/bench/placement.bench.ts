/**
 * Placement at scale (issue 5, scale target): 100 edge servers x 2,000 models
 * (100 bases x 20 LoRA adapters), 1,000 users. Target: trimcaching-gen under 5 s.
 *
 * Instance: Llama 3.2 1B-shaped bases (sim/workload/models.yaml) at fp16, one
 * rank-16 q,v adapter per model; servers on a 10 x 10 grid over 2 km x 2 km
 * (200 m spacing), users uniform; links use the default channel (urban macro
 * path loss, 8 dB shadowing, 20 MHz, 46 dBm); a model is deliverable from a
 * server when its full size arrives within 120 s; per-user Zipf(0.8) demand over
 * a user-specific random ranking; storage 20 GB per server.
 *
 * Run directly (`node --import tsx test/bench/placement.bench.ts`) it prints one JSON line.
 */
import { buildCatalog, FP16, type FamilySpec } from '../../sim/caching/blocks.ts';
import { DenseDemand, RateReach, zipf, type PlacementInput } from '../../sim/caching/placement/common.ts';
import { placementPolicies } from '../../sim/caching/placement/index.ts';
import { Rng } from '../../sim/engine/rng.ts';
import { DEFAULT_LINK, drawGain, linkRate } from '../../sim/network/channel.ts';
import { distanceMatrix, gridPoints, uniformPoints } from '../../sim/network/geometry.ts';
import { getModel } from '../../sim/workload/index.ts';
import { runIfMain } from './harness.ts';

export interface BenchShape {
  servers: number;
  bases: number;
  adapters: number;
  users: number;
  side_m: number;
  capacity_bytes: number;
  deadline_s: number;
}

export const SCALE: BenchShape = {
  servers: 100,
  bases: 100,
  adapters: 20,
  users: 1000,
  side_m: 2000,
  capacity_bytes: 20e9,
  deadline_s: 120,
};

export function benchInstance(s: BenchShape, seed = 1): PlacementInput {
  const arch = getModel('llama-3.2-1b');
  const families: FamilySpec[] = Array.from({ length: s.bases }, (_, b) => ({
    arch: { ...arch, id: `${arch.id}#${b}` },
    format: FP16,
    include_base: false,
    lora: { count: s.adapters, rank: 16, matrices: ['q', 'v'] },
  }));
  const catalog = buildCatalog(families);
  const I = catalog.modelCount;
  const servers = gridPoints(s.servers, s.side_m);
  const users = uniformPoints(new Rng(seed, 'bench:users:positions'), s.users, s.side_m);
  const d = distanceMatrix(users, servers);
  const rng = new Rng(seed, 'bench:links:shadowing');
  const rate = new Float64Array(d.length);
  for (let j = 0; j < d.length; j++) rate[j] = linkRate(DEFAULT_LINK, drawGain(DEFAULT_LINK, d[j]!, rng));
  const reach = new RateReach({
    users: s.users,
    servers: s.servers,
    rate_bps: rate,
    download_bytes: Float64Array.from(catalog.models, (m) => m.size_bytes),
    deadline_s: s.deadline_s,
  });
  const pref = new Rng(seed, 'bench:users:preferences');
  const pop = zipf(I, 0.8);
  const w = new Float64Array(s.users * I);
  const perm = Int32Array.from({ length: I }, (_, i) => i);
  for (let k = 0; k < s.users; k++) {
    for (let i = I - 1; i > 0; i--) {
      const j = pref.int(i + 1);
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    for (let i = 0; i < I; i++) w[k * I + perm[i]!] = pop[i]!;
  }
  return { catalog, capacity_bytes: new Float64Array(s.servers).fill(s.capacity_bytes), demand: new DenseDemand(s.users, I, w), reach };
}

export async function run(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const input = benchInstance(SCALE);
  const build_s = (performance.now() - t0) / 1000;
  const out: Record<string, unknown> = {
    servers: SCALE.servers,
    models: input.catalog.modelCount,
    users: SCALE.users,
    library_bytes: input.catalog.librarySize(),
    build_s,
  };
  for (const name of ['trimcaching-gen', 'trimcaching-gen-plus', 'independent', 'popularity']) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const r = placementPolicies.get(name).place(input);
    const wall_s = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const cpu_s = (used.user + used.system) / 1e6;
    let stored = 0;
    for (const x of r.storage_bytes) stored += x;
    out[name] = { wall_s, cpu_s, hit_ratio: r.objective, storage_used_ratio: stored / (SCALE.servers * SCALE.capacity_bytes), ...r.meta };
  }
  out.peak_rss_bytes = process.resourceUsage().maxRSS * 1024;
  return out;
}

runIfMain(import.meta.url, run);
