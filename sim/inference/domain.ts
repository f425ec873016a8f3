import { edgeSites } from '../edge/site.ts';
import { unitCtx } from '../hardware/predict.ts';
import { loadProfile } from '../hardware/profiles.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import type { NetworkService } from '../network/api.ts';
import { STATIC_MOBILITY, type MobilityService } from '../network/mobility.ts';
import type { TopologySpec } from '../network/schema.ts';
import { memoryFootprint, trainableParams, weightBytes } from '../workload/index.ts';
import type { Domain, World } from '../world/world.ts';
import { PassCost } from './cost.ts';
import { inferenceSchema, type InferenceSpec } from './schema.ts';
import { BatchEngine, ServerMemory, type SiteLike } from './server.ts';
import { InferenceSim, REJECT_REASONS, REQUEST_COLUMNS, type WeightStore } from './sim.ts';
import './modes/index.ts'; // registers the modes, cut selections and adaptive rules

/** LoRA adapter bytes (fp16, rank r on W_q and W_v of every block). */
function loraBytes(sim: InferenceSim, g: number): number {
  let b = 0;
  for (const m of sim.models) {
    if (m.group === g && m.lora_rank > 0) b += 2 * trainableParams(m.arch, { kind: 'lora', rank: m.lora_rank, targets: ['q', 'v'] });
  }
  return b;
}

/** The server unit: the one the scenario names (the schema checked that the device has it), else the site's own unit. */
function serverUnit(device: string, wanted: UnitName | undefined, siteUnit: string): UnitName {
  if (wanted === undefined) return siteUnit as UnitName;
  if ((loadProfile(device).units as Record<string, unknown>)[wanted] === undefined) throw new Error(`edge server device ${device} has no unit ${wanted}`);
  return wanted;
}

/** Build the inference domain into a world; returns the running model (tests inspect it). */
export function buildInference(world: World, spec: InferenceSpec): InferenceSim {
  const net = world.need<NetworkService>('network', 'inference');
  const topo = world.scenario['topology'] as TopologySpec | undefined;
  if (topo === undefined) throw new Error('inference needs the topology section');
  const radio = topo.radio;
  const table = world.recorder.table('requests', REQUEST_COLUMNS);
  const sim = new InferenceSim(
    world.engine,
    net,
    spec,
    topo.users.device,
    {
      latency_s: radio.latency,
      tail_power_w: radio.tail_power,
      tail_time_s: radio.tail_time,
    },
    table,
    world.warmup_s,
  );
  sim.mobility = world.maybe<MobilityService>('mobility') ?? STATIC_MOBILITY;
  sim.storage = world.maybe<WeightStore>('storage') ?? null;

  // Edge servers: co-resident models in order while weights + activation buffers fit; KV pages in the rest.
  const sites = edgeSites(world);
  const G = sim.groups.length;
  const costs = new Map<string, PassCost>();
  const tokensPerIter = spec.server.chunked_prefill ? spec.server.prefill_chunk : spec.server.max_batch_tokens;
  for (let s = 0; s < sites.count; s++) {
    const site = sites.site(s) as SiteLike;
    const unit = serverUnit(site.device, spec.server.unit, site.unit);
    const budget = site.capacity_bytes * spec.server.memory_fraction;
    let used = 0;
    const resident: boolean[] = [];
    for (let g = 0; g < G; g++) {
      const grp = sim.groups[g]!;
      const need =
        weightBytes(grp.arch, grp.serverPrecision) +
        loraBytes(sim, g) +
        memoryFootprint(grp.arch, grp.serverPrecision, { context: tokensPerIter, prefill_chunk: tokensPerIter }).activations_bytes;
      const fits = used + need <= budget;
      resident.push(fits);
      if (fits) used += need;
    }
    if (site.reserve && !site.reserve(used)) throw new Error(`edge server ${s}: its memory ledger cannot hold the inference weights (${(used / 1e9).toFixed(1)} GB)`);
    const mem = new ServerMemory(site, budget - used);
    for (let g = 0; g < G; g++) {
      if (!resident[g]) {
        sim.engines.push(null);
        continue;
      }
      const grp = sim.groups[g]!;
      const key = `${site.device}|${unit}|${grp.arch.id}`;
      let cost = costs.get(key);
      if (cost === undefined) {
        cost = new PassCost(grp.arch, grp.serverPrecision, unitCtx(site.device, unit, spec.server.runtime, grp.serverPrecision.weight_bits));
        costs.set(key, cost);
      }
      if (grp.cost === null) sim.setGroupCost(g, cost);
      sim.engines.push(
        new BatchEngine(sim, s, grp.cost!, mem, site, {
          slots: spec.server.slots,
          chunked: spec.server.chunked_prefill,
          chunk: spec.server.prefill_chunk,
          maxBatchTokens: spec.server.max_batch_tokens,
          pageTokens: spec.server.kv_page_tokens,
          aggregate: spec.server.aggregate_decode,
        }),
      );
    }
  }
  sim.start();
  registerMetrics(world, sim);
  return sim;
}

function registerMetrics(world: World, sim: InferenceSim): void {
  const r = world.recorder;
  const window = Math.max(world.horizon_s - world.warmup_s, 1e-12);
  const total = () => sim.completed + sim.rejected;
  r.metric('requests_completed', () => sim.completed);
  r.metric('requests_rejected', () => sim.rejected);
  // still being served at the horizon (a transfer waiting out of coverage, a long queue): neither completed nor rejected
  r.metric('requests_in_flight', () => sim.req.live);
  r.metric('rejected_ratio', () => (total() > 0 ? sim.rejected / total() : 0));
  for (const why of REJECT_REASONS) r.metric(`rejected_${why.replace(/-/g, '_')}`, () => sim.rejectedBy.get(why) ?? 0);
  r.metric('ttft_p50_s', () => sim.ttft.quantile(0.5));
  r.metric('ttft_p95_s', () => sim.ttft.quantile(0.95));
  r.metric('tpot_p50_s', () => sim.tpot.quantile(0.5));
  r.metric('tpot_p95_s', () => sim.tpot.quantile(0.95));
  r.metric('e2e_mean_s', () => sim.e2e.mean);
  r.metric('e2e_p50_s', () => sim.e2e.quantile(0.5));
  r.metric('e2e_p95_s', () => sim.e2e.quantile(0.95));
  r.metric('latency_p50_s', () => sim.e2e.quantile(0.5));
  r.metric('latency_p95_s', () => sim.e2e.quantile(0.95));
  r.metric('slo_attainment', () => (total() > 0 ? sim.sloMet / total() : Number.NaN));
  r.metric('throughput_tok_s', () => sim.tokensOut / window);
  r.metric('throughput_req_s', () => sim.completed / window);
  r.metric('device_energy_j_per_request', () => (sim.completed > 0 ? sim.deviceEnergy / sim.completed : Number.NaN));
  const engines = () => sim.engines.filter((e): e is BatchEngine => e !== null);
  r.metric('edge_batch_mean', () => {
    let it = 0;
    let seq = 0;
    for (const e of engines()) {
      it += e.iterations;
      seq += e.seqIterations;
    }
    return it > 0 ? seq / it : 0;
  });
  r.metric('edge_queue_wait_mean_s', () => {
    let w = 0;
    let n = 0;
    for (const e of engines()) {
      w += e.waitSum_s;
      n += e.admitted;
    }
    return n > 0 ? w / n : 0;
  });
  for (let i = 0; i < sim.modeNames.length; i++) {
    if (sim.modeNames[i] === 'adaptive') continue;
    r.metric(`mode_share_${sim.modeNames[i]!.replace(/-/g, '_')}`, () => (sim.completed > 0 ? sim.modeCount[i]! / sim.completed : 0));
  }
  r.metric('relayed_transfers', () => sim.relayed);
  r.metric('spec_tokens_per_round', () => (sim.specRounds > 0 ? sim.specTokens / sim.specRounds : Number.NaN));
  const drain = (u: number) => (100 * sim.userEnergy[u]!) / sim.battery_j;
  const drains = () => Array.from(sim.userEnergy, (_e, u) => drain(u));
  r.metric('battery_used_mean_pct', () => {
    const d = drains();
    return d.length > 0 ? d.reduce((a, b) => a + b, 0) / d.length : 0;
  });
  r.metric('battery_used_max_pct', () => drains().reduce((a, b) => Math.max(a, b), 0));
  const users = r.table('users', ['user', 'device', 'requests', 'energy_j', 'battery_used_pct']);
  world.onFinish(() => {
    for (let u = 0; u < sim.userEnergy.length; u++) {
      users.row([u, sim.deviceTypes[sim.userDevice[u]!]!.device, sim.userRequests[u]!, sim.userEnergy[u]!, drain(u)]);
    }
  });
}

export const inferenceDomain: Domain<InferenceSpec> = {
  key: 'inference',
  description: 'LLM inference: on-device, edge (continuous batching), split, speculative and adaptive execution',
  order: 40,
  schema: inferenceSchema,
  build(world: World, spec: InferenceSpec) {
    buildInference(world, spec);
  },
};
