/**
 * The training domain (scenario key `training`): one fine-tuning job on the
 * users' devices, the radio, the backhaul and the edge sites, under a scheme
 * from the `trainingScheme` registry. See sim/training/schemes.ts for the
 * schemes, sim/training/progress.ts for the progress model.
 */
import type { NetworkService } from '../network/api.ts';
import type { Rng } from '../engine/rng.ts';
import { gamma } from '../engine/variates.ts';
import { loadProfile } from '../hardware/profiles.ts';
import type { Topology } from '../network/topology.ts';
import { edgeSites, pickUnit } from '../edge/site.ts';
import type { Domain, World } from '../world/world.ts';
import { getModel } from '../workload/catalog.ts';
import { TrainingJob } from './job.ts';
import { learningCurves } from './progress.ts';
import { trainingSchema, type TrainingSpec } from './schema.ts';
import { trainingSchemes } from './schemes.ts';

/** Samples per client: equal, Zipf over shuffled ranks, or Dirichlet shares, all with mean `mean` (at least 1 each). */
export function datasetSizes(n: number, spec: TrainingSpec['job']['dataset'], rng: Rng): Int32Array {
  const out = new Int32Array(n);
  const skew = spec.skew;
  const mean = spec.samples_per_client;
  if (skew.kind === 'equal') return out.fill(mean);
  const w = new Float64Array(n);
  if (skew.kind === 'zipf') {
    const rank = Array.from({ length: n }, (_, i) => i + 1);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [rank[i], rank[j]] = [rank[j]!, rank[i]!];
    }
    for (let i = 0; i < n; i++) w[i] = 1 / rank[i]! ** skew.exponent;
  } else {
    for (let i = 0; i < n; i++) w[i] = gamma(rng, skew.alpha);
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += w[i]!;
  for (let i = 0; i < n; i++) out[i] = Math.max(1, Math.round((w[i]! / sum) * n * mean));
  return out;
}

function clientUsers(spec: TrainingSpec, U: number): Int32Array {
  const u = spec.clients.users;
  if (u === 'all') return Int32Array.from({ length: U }, (_, i) => i);
  if (typeof u === 'number') {
    if (u > U) throw new RangeError(`training.clients.users: ${u} clients but the topology has ${U} users`);
    return Int32Array.from({ length: u }, (_, i) => i);
  }
  for (const i of u) if (i >= U) throw new RangeError(`training.clients.users: user ${i} does not exist (${U} users)`);
  return Int32Array.from(u);
}

/** Build the job: clients, devices, data, scheme; start round 1 at time 0. Returns it (for tests). */
export function buildTraining(world: World, spec: TrainingSpec): TrainingJob {
  const topo = world.need<Topology>('topology', 'training');
  const arch = getModel(spec.job.model);
  const users = clientUsers(spec, topo.userCount);
  const C = users.length;
  const devList = spec.clients.device ?? topo.spec.users.device;
  const devices = Array.from({ length: C }, (_, i) => (typeof devList === 'string' ? devList : devList[i % devList.length]!));
  const units = devices.map((d) => pickUnit(d, spec.clients.unit));
  const memory = Float64Array.from(devices, (d) => loadProfile(d).memory.capacity.value * spec.clients.memory_fraction);
  const samples = datasetSizes(C, spec.job.dataset, world.engine.rng('training:dataset:sizes'));
  const scheme = trainingSchemes.get(spec.scheme)();
  const curve = learningCurves.get(spec.progress.curve.model)(spec.progress.curve);
  const sites = edgeSites(world);
  const job = new TrainingJob(world, spec, arch, scheme, curve, { user: users, device: devices, unit: units, memory_bytes: memory, samples }, sites);
  // A client its cell cannot reach (beyond servers.range, or below the lowest MCS) never takes part: its
  // transfers would wait forever and stall every round.
  const net = world.need<NetworkService>('network', 'training');
  for (let c = 0; c < C; c++) {
    const s = net.servingCell(users[c]!);
    if (!net.inCoverage(users[c]!, s)) job.infeasible(c, `out of coverage: user ${users[c]} is ${net.distance(users[c]!, s).toFixed(0)} m from its cell ${s} (beyond servers.range or below the lowest MCS)`);
  }
  job.start();

  const r = world.recorder;
  r.metric('round_time_s', () => job.meanPerRound('time'));
  r.metric('time_to_target_s', () => job.reached_s);
  r.metric('rounds_completed', () => job.roundsDone);
  r.metric('rounds_to_target', () => job.roundsToTarget);
  // *_per_round: mean over rounds of the round total (all participants), as the rounds.csv columns.
  r.metric('uplink_bytes_per_round', () => job.meanPerRound('up'));
  r.metric('downlink_bytes_per_round', () => job.meanPerRound('down'));
  r.metric('backhaul_bytes_per_round', () => job.meanPerRound('backhaul'));
  r.metric('smashed_uplink_bytes_per_round', () => job.meanPerRound('smashed'));
  r.metric('split_bytes_per_batch', () => job.splitBytesPerBatch());
  r.metric('device_energy_j_per_round', () => job.meanPerRound('energy'));
  r.metric('device_energy_j_per_client_round', () => job.energyPerClientRound());
  r.metric('peak_device_memory_bytes', () => job.peakDeviceMemory());
  r.metric('infeasible_clients', () => job.infeasibleCount());
  r.metric('training_clients', () => C);
  const table = r.table('clients', [
    'client', 'user', 'device', 'unit', 'cut_layer', 'samples', 'steps_per_round', 'feasible', 'reason', 'need_bytes', 'memory_bytes',
    'rounds', 'rounds_dropped', 'uplink_bytes', 'downlink_bytes', 'energy_j',
  ]);
  world.onFinish(() => {
    for (let c = 0; c < C; c++) {
      table.row([
        c, users[c]!, devices[c]!, units[c]!, job.cut[c]! >= 0 ? job.cut[c]! : null, samples[c]!, job.steps[c]!, job.feasible(c), job.reason[c]!,
        job.need_bytes[c]!, memory[c]!, job.roundsIn[c]!, job.roundsDropped[c]!, job.upBytes[c]!, job.downBytes[c]!, job.energy_j[c]!,
      ]);
    }
  });
  return job;
}

export const trainingDomain: Domain<TrainingSpec> = {
  key: 'training',
  description: 'LLM fine-tuning on devices and edge servers: centralized, FL, HFL, split (SL, SFL, PSL, U-shaped), with PEFT',
  order: 50,
  schema: trainingSchema,
  build(world: World, spec: TrainingSpec) {
    buildTraining(world, spec);
  },
};
