import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkService } from '../../sim/network/api.ts';
import { partCost, updateBytes } from '../../sim/training/costs.ts';
import { aggregationWork_s } from '../../sim/training/schemes.ts';
import { jobSchema } from '../../sim/training/schema.ts';
import { getModel } from '../../sim/workload/catalog.ts';
import { optimizerStateBytesPerParam, smashedDataBytes, trainableParams } from '../../sim/workload/training.ts';
import { tempDir } from '../helpers.ts';
import { cellsWithOneUser, runTraining } from './world.ts';

const MiB = 2 ** 20;
const lora1b = { model: 'llama-3.2-1b', peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] }, batch: 2, seq: 256 };
const oneRound = { max_rounds: 1, stop_at_target: false };

describe('exact figures', () => {
  it('GPT-3 Medium smashed data: 100 samples x 1024 tokens at fp32 is 400 MiB per pass, in the event loop too', () => {
    expect(smashedDataBytes(getModel('gpt-3-medium'), 100, 1024, 4)).toBe(400 * MiB);
    const r = runTraining(cellsWithOneUser(1), {
      scheme: 'sl',
      job: { model: 'gpt-3-medium', peft: { kind: 'full' }, batch: 10, seq: 1024, act_bytes: 4, train_bits: 32, dataset: { samples_per_client: 100 } },
      split: { cut: { mode: 'fixed', layer: 2 }, compression: 'fp32' },
      ...oneRound,
    });
    expect(r.metrics.smashed_uplink_bytes_per_round).toBe(400 * MiB);
    expect(r.metrics.rounds_completed).toBe(1);
  });

  it('Adam keeps 12 bytes per trainable parameter; LoRA r8 on q,v of Llama-2-7B is 4,194,304 parameters', () => {
    expect(optimizerStateBytesPerParam('adam')).toBe(12);
    const a = getModel('llama-2-7b');
    expect(trainableParams(a, { kind: 'lora', rank: 8, targets: ['q', 'v'] })).toBe(4_194_304);
    const job = jobSchema.parse({ model: 'llama-2-7b', peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] }, weight_bits: 4 });
    const c = partCost(a, job, 'l4', 'gpu');
    expect(c.trainable_params).toBe(4_194_304);
    expect(c.bwd_s).toBeGreaterThan(0);
    expect(c.fwd_s).toBeGreaterThan(0);
  });
});

describe('scheme orderings', () => {
  const epoch = (scheme: string, n: number) =>
    runTraining(cellsWithOneUser(n), { scheme, job: { ...lora1b, dataset: { samples_per_client: 8 } }, ...oneRound }).metrics.round_time_s!;

  it('sl epoch time grows linearly with the number of clients; sfl and psl do not', () => {
    const sl = [1, 2, 4].map((n) => epoch('sl', n));
    expect(sl[1]! / sl[0]!).toBeGreaterThan(1.8);
    expect(sl[1]! / sl[0]!).toBeLessThan(2.2);
    expect(sl[2]! / sl[0]!).toBeGreaterThan(3.6);
    expect(sl[2]! / sl[0]!).toBeLessThan(4.4);
    for (const s of ['sfl', 'psl']) {
      const t1 = epoch(s, 1);
      const t4 = epoch(s, 4);
      expect(t4 / t1).toBeLessThan(1.2);
    }
  });

  it('fl with LoRA rank 8 uploads under 0.2% of the bytes of full fine-tuning', () => {
    const run = (peft: unknown) =>
      runTraining(cellsWithOneUser(2), { scheme: 'fl', job: { ...lora1b, peft, local_steps: 1 }, clients: { device: 'jetson-agx-orin' }, ...oneRound }).metrics;
    const lora = run({ kind: 'lora', rank: 8, targets: ['q', 'v'] });
    const full = run({ kind: 'full' });
    expect(full.infeasible_clients).toBe(0);
    expect(full.uplink_bytes_per_round).toBeGreaterThan(0);
    expect(lora.uplink_bytes_per_round! / full.uplink_bytes_per_round!).toBeLessThan(0.002);
  });

  it('full fine-tuning that does not fit a phone is reported infeasible; LoRA and sl fit', () => {
    const run = (scheme: string, peft: unknown) =>
      runTraining(cellsWithOneUser(2), { scheme, job: { ...lora1b, peft, local_steps: 1 }, ...oneRound }).metrics;
    const full = run('fl', { kind: 'full' });
    expect(full.infeasible_clients).toBe(2);
    expect(full.rounds_completed).toBe(0);
    const lora = run('fl', { kind: 'lora', rank: 8, targets: ['q', 'v'] });
    expect(lora.infeasible_clients).toBe(0);
    expect(lora.rounds_completed).toBe(1);
    const sl = run('sl', { kind: 'full' });
    expect(sl.infeasible_clients).toBe(0);
    expect(sl.peak_device_memory_bytes).toBeLessThan(16e9);
  });

  it('parallel split admits server parts until the edge memory is full and reports the rest; sl takes turns and fits', () => {
    const topo = { area: '1 km', servers: { count: 1, device: 'l4' }, users: { count: 6 } };
    const run = (scheme: string) =>
      runTraining(topo, { scheme, job: { model: 'llama-2-7b', weight_bits: 16, batch: 4, seq: 512, local_steps: 1 }, ...oneRound });
    const psl = run('psl');
    // 7B fp16 server part (~12.5 GB) + one client's activations (~8 GiB) fill the 24 GB L4
    expect(psl.metrics.infeasible_clients).toBe(5);
    expect(psl.job.reason[1]).toMatch(/no memory left/);
    expect(psl.metrics.rounds_completed).toBe(1);
    expect(run('sl').metrics.infeasible_clients).toBe(0);
  });

  it('ushape moves twice the per-batch bytes of sl', () => {
    const per = (scheme: string) =>
      runTraining(cellsWithOneUser(1), { scheme, job: { ...lora1b, local_steps: 3 }, ...oneRound }).metrics.split_bytes_per_batch!;
    expect(per('ushape') / per('sl')).toBeCloseTo(2, 2);
  });

  it('hfl cuts backhaul traffic relative to flat cloud FL', () => {
    const topo = { area: '2 km', servers: { count: 4, device: 'l4' }, users: { count: 16, device: 'snapdragon-8-gen-3' } };
    const run = (scheme: string) =>
      runTraining(topo, { scheme, aggregator: 'cloud', tau2: 2, job: { ...lora1b, local_steps: 1 }, max_rounds: 4, stop_at_target: false }).metrics;
    const fl = run('fl');
    const hfl = run('hfl');
    expect(fl.rounds_completed).toBe(4);
    expect(hfl.rounds_completed).toBe(4);
    expect(hfl.backhaul_bytes_per_round).toBeLessThan(fl.backhaul_bytes_per_round! / 2);
  });

  it('hfl: rounds to target grow with tau2 (site models progress with their own clients until the cloud merges them)', () => {
    // 3 cells x 2 clients: K = 6, K_s = 2
    const servers = [0, 2000, 4000].map((x) => [x, 0]);
    const users = [0, 0, 1, 1, 2, 2].map((s, i) => [s * 2000 + 100 + 50 * (i % 2), 0]);
    const topo = { area: '6 km', servers: { layout: 'list', positions: servers, device: 'l4' }, users: { count: 6, placement: 'list', positions: users, device: 'snapdragon-8-gen-3' }, channel: { shadowing_sigma: 0 } };
    const run = (scheme: string, tau2 = 1) =>
      runTraining(topo, { scheme, tau2, job: { ...lora1b, local_steps: 2 }, progress: { curve: { model: 'steps', steps_to_target: 40 } } }).metrics.rounds_to_target!;
    // fl: 2 x 6^0.5 = 4.90 per round -> 9 rounds; hfl edge-only rounds: 2 x 2^0.5 = 2.83
    expect(run('fl')).toBe(9);
    expect(run('hfl', 1)).toBe(9);
    // tau2 = 2: (2.83 + 4.90) per two rounds -> 11 rounds; tau2 = 50: never merged -> 15 rounds
    expect(run('hfl', 2)).toBe(11);
    expect(run('hfl', 50)).toBe(15);
  });

  it('centralized uploads raw data once and trains on the edge server', () => {
    const r = runTraining(cellsWithOneUser(2), { scheme: 'centralized', job: { ...lora1b, dataset: { samples_per_client: 10 } }, max_rounds: 2, stop_at_target: false });
    expect(r.metrics.rounds_completed).toBe(2);
    // 2 clients x 10 samples x 256 tokens x 4 B, in round 1 only
    expect(r.metrics.uplink_bytes_per_round).toBe((2 * 10 * 256 * 4) / 2);
    expect(r.metrics.peak_device_memory_bytes).toBe(0);
  });
});

describe('federated rounds', () => {
  it('drops stragglers at the deadline and waits for them otherwise', () => {
    // Client 1 has a long dataset (epochs) so it is the straggler.
    const topo = cellsWithOneUser(2);
    const base = { scheme: 'fl', job: { ...lora1b, local_epochs: 1, dataset: { samples_per_client: 20, skew: { kind: 'zipf', exponent: 3 } } }, ...oneRound };
    const wait = runTraining(topo, { ...base, deadline: '5 s', stragglers: 'wait' });
    const drop = runTraining(topo, { ...base, deadline: '5 s', stragglers: 'drop' });
    expect(wait.metrics.rounds_completed).toBe(1);
    expect(drop.metrics.rounds_completed).toBe(1);
    expect(drop.metrics.round_time_s).toBeLessThan(wait.metrics.round_time_s!);
    expect(drop.metrics.round_time_s).toBeGreaterThanOrEqual(5);
    // the client with more data is dropped, the other one finishes
    const big = drop.job.samples[0]! > drop.job.samples[1]! ? 0 : 1;
    expect(drop.job.roundsDropped[big]).toBe(1);
    expect(drop.job.roundsDropped[1 - big]).toBe(0);
    expect(wait.job.roundsDropped[big]).toBe(0);
  });

  it('a straggler dropped during its upload is charged the bytes it sent and their radio energy', () => {
    // one client far from its cell, alone on the uplink: the update takes seconds on the air
    const topo = { area: '3 km', servers: { layout: 'list', positions: [[0, 0]], device: 'l4' }, users: { count: 1, placement: 'list', positions: [[1500, 0]], device: 'snapdragon-8-gen-3' }, channel: { shadowing_sigma: 0 } };
    const base = { scheme: 'fl', job: { ...lora1b, local_steps: 1 }, ...oneRound };
    const wait = runTraining(topo, base);
    const net = wait.world.need<NetworkService>('network', 'test');
    const B = updateBytes(getModel('llama-3.2-1b'), jobSchema.parse(base.job));
    const rate = net.peakRateUp(0, 0);
    const lat = net.radioLatency_s();
    const up_s = lat + (B * 8) / rate;
    expect(up_s).toBeGreaterThan(1);
    const agg_s = aggregationWork_s(wait.job, 0, 1, (B * 8) / 16);
    // the deadline falls halfway through the upload
    const deadline = wait.metrics.round_time_s! - agg_s - up_s / 2;
    const drop = runTraining(topo, { ...base, deadline, stragglers: 'drop' });
    expect(drop.job.roundsDropped[0]).toBe(1);
    const sent = ((up_s / 2 - lat) * rate) / 8;
    expect(drop.job.upBytes[0]! / sent).toBeCloseTo(1, 6);
    expect(drop.metrics.uplink_bytes_per_round! / sent).toBeCloseTo(1, 6);
    // download and local steps as in wait mode; the upload's energy for the half it lasted
    const expected = wait.job.energy_j[0]! - net.uplinkEnergy_j(0, B, up_s) + net.uplinkEnergy_j(0, sent, up_s / 2);
    expect(drop.job.energy_j[0]! / expected).toBeCloseTo(1, 6);
    expect(drop.job.energy_j[0]!).toBeGreaterThan(wait.job.energy_j[0]! - net.uplinkEnergy_j(0, B, up_s) + 0.1);
  });

  it('samples a fraction of clients per round and stops at the target', () => {
    const topo = { area: '1 km', servers: { count: 1, device: 'l4' }, users: { count: 10 } };
    const r = runTraining(topo, {
      scheme: 'fl',
      sampling_fraction: 0.3,
      job: { ...lora1b, local_steps: 2 },
      progress: { curve: { model: 'steps', steps_to_target: 20 } },
    });
    // 3 participants x 2 steps: 2 x 3^0.5 = 3.46 effective steps per round -> 6 rounds
    expect(r.metrics.rounds_to_target).toBe(6);
    expect(r.metrics.rounds_completed).toBe(6);
    expect(r.metrics.time_to_target_s).toBeGreaterThan(0);
    let joined = 0;
    for (let c = 0; c < 10; c++) joined += r.job.roundsIn[c]!;
    expect(joined).toBe(18);
  });

  it('writes rounds.csv and clients.csv', () => {
    const d = tempDir();
    runTraining(cellsWithOneUser(2), { scheme: 'psl', job: { ...lora1b, local_steps: 1 }, max_rounds: 2, stop_at_target: false }, { outDir: d });
    for (const f of ['rounds.csv', 'clients.csv']) expect(existsSync(join(d, f))).toBe(true);
    const rounds = readFileSync(join(d, 'rounds.csv'), 'utf8').trim().split('\n');
    expect(rounds).toHaveLength(3);
    expect(rounds[0]).toContain('round_time_s');
    const clients = readFileSync(join(d, 'clients.csv'), 'utf8').trim().split('\n');
    expect(clients).toHaveLength(3);
    expect(clients[1]).toContain('snapdragon-8-gen-3');
  });
});
