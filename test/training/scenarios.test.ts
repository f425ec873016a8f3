import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgeSites } from '../../sim/edge/site.ts';
import { parseQuantity } from '../../sim/common/units.ts';
import type { World } from '../../sim/world/world.ts';
import { tempDir } from '../helpers.ts';
import { LOSS_SCALAR_BYTES } from '../../sim/training/schemes.ts';
import { cellsWithOneUser, runTraining, scenarioSections } from './world.ts';

const run = (file: string, sets: Record<string, unknown> = {}) => {
  const s = scenarioSections(file, sets);
  return runTraining(s.topology, s.training, { horizon_s: parseQuantity(s.duration, 'time') }).metrics;
};

describe('scenarios/training-schemes.yaml', () => {
  it('runs the same 7B LoRA job under every scheme with the expected orderings', () => {
    const m: Record<string, Record<string, number>> = {};
    for (const scheme of ['centralized', 'fl', 'hfl', 'sl', 'sfl', 'psl', 'ushape']) {
      m[scheme] = run('scenarios/training-schemes.yaml', { 'training.scheme': scheme });
      expect(m[scheme]!.infeasible_clients, scheme).toBe(0);
      expect(m[scheme]!.time_to_target_s, scheme).toBeGreaterThan(0);
    }
    // on-device whole-model training: most memory and energy, least traffic
    expect(m.fl!.peak_device_memory_bytes).toBeGreaterThan(5 * m.sl!.peak_device_memory_bytes!);
    expect(m.fl!.uplink_bytes_per_round).toBeLessThan(m.sl!.uplink_bytes_per_round! / 5);
    // parallel split beats vanilla split per round; ushape doubles sl's split traffic
    expect(m.sfl!.round_time_s).toBeLessThan(m.sl!.round_time_s!);
    expect(m.psl!.round_time_s).toBeLessThan(m.sl!.round_time_s!);
    expect(m.ushape!.split_bytes_per_batch! / m.sl!.split_bytes_per_batch!).toBeCloseTo(2, 2);
    expect(m.centralized!.round_time_s).toBeLessThan(m.fl!.round_time_s!);
  });
});

describe('scenarios/split-learning-gpt3.yaml', () => {
  it('uploads 400 MiB of smashed data per round at fp32, 100 MiB at int8, half with 50% token pruning', () => {
    const MiB = 2 ** 20;
    expect(run('scenarios/split-learning-gpt3.yaml').smashed_uplink_bytes_per_round).toBe(400 * MiB);
    expect(run('scenarios/split-learning-gpt3.yaml', { 'training.split.compression': 'int8' }).smashed_uplink_bytes_per_round).toBe(100 * MiB);
    expect(run('scenarios/split-learning-gpt3.yaml', { 'training.split.prune_ratio': 0.5 }).smashed_uplink_bytes_per_round).toBe(200 * MiB);
  });
});

describe('split traffic of prompt tuning, U-shaped learning and MeZO (scenarios/split-learning-gpt3.yaml)', () => {
  const gpt3 = (sets: Record<string, unknown> = {}) => run('scenarios/split-learning-gpt3.yaml', sets);

  it('prompt tuning sends the soft-prompt positions with the smashed data and their gradients back', () => {
    // 100 samples x (1024 + 100) positions x 1024 x 4 B
    const m = gpt3({ 'training.job.peft': { kind: 'prompt', tokens: 100 } });
    expect(m.smashed_uplink_bytes_per_round).toBe(460_390_400);
    expect(m.downlink_bytes_per_round).toBe(460_390_400);
    // labels only for the 1024 text tokens: 100 x 1024 x 4 B
    expect(m.uplink_bytes_per_round).toBe(460_390_400 + 409_600);
  });

  it('ushape counts only the activations as smashed data, its gradient uploads only as uplink traffic', () => {
    const sl = gpt3();
    const u = gpt3({ 'training.scheme': 'ushape' });
    expect(u.smashed_uplink_bytes_per_round).toBe(419_430_400);
    expect(u.smashed_uplink_bytes_per_round).toBe(sl.smashed_uplink_bytes_per_round);
    expect(u.uplink_bytes_per_round).toBe(2 * 419_430_400);
  });

  it('MeZO uploads the smashed data of both perturbed forward passes and gets only the projected gradient back', () => {
    const m = gpt3({ 'training.job.optimizer': 'mezo' });
    expect(m.smashed_uplink_bytes_per_round).toBe(838_860_800);
    // 10 batches x one fp32 scalar (LOSS_SCALAR_BYTES)
    expect(m.downlink_bytes_per_round).toBe(10 * LOSS_SCALAR_BYTES);
    expect(m.uplink_bytes_per_round).toBe(838_860_800 + 409_600);
    const u = gpt3({ 'training.job.optimizer': 'mezo', 'training.scheme': 'ushape' });
    // per pass: smashed data up, the server's output down to the tail; the server gets the scalar
    expect(u.smashed_uplink_bytes_per_round).toBe(838_860_800);
    expect(u.uplink_bytes_per_round).toBe(838_860_800 + 10 * LOSS_SCALAR_BYTES);
    expect(u.downlink_bytes_per_round).toBe(838_860_800);
  });

  it('MeZO with a frozen head sends the smashed data once per batch: both perturbed passes see the same', () => {
    // cut after block 2, embedding and blocks 0-1 frozen: the head is never perturbed
    const frozen = { 'training.job.optimizer': 'mezo', 'training.job.peft': { kind: 'frozen', bottom: 2 } };
    const m = gpt3(frozen);
    expect(m.smashed_uplink_bytes_per_round).toBe(419_430_400);
    expect(m.uplink_bytes_per_round).toBe(419_430_400 + 409_600);
    expect(m.downlink_bytes_per_round).toBe(0); // the head has nothing to update: no projected gradient comes down
    const trained = gpt3({ 'training.job.optimizer': 'mezo', 'training.job.peft': { kind: 'frozen', bottom: 1 } });
    expect(trained.smashed_uplink_bytes_per_round).toBe(838_860_800);
    const u = gpt3({ ...frozen, 'training.scheme': 'ushape' });
    // once up; the server's two outputs (one per perturbation) still come down to the tail
    expect(u.smashed_uplink_bytes_per_round).toBe(419_430_400);
    expect(u.downlink_bytes_per_round).toBe(838_860_800);
  });
});

describe('time to target of sequential schemes', () => {
  const rounds = (dir: string) => {
    const [head, ...rows] = readFileSync(join(dir, 'rounds.csv'), 'utf8').trim().split('\n');
    const cols = head!.split(',');
    return rows.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, Number(v)])));
  };

  it('centralized: the step that reaches the target, not the end of its round', () => {
    const dir = tempDir();
    const s = scenarioSections('scenarios/training-schemes.yaml', { 'training.scheme': 'centralized' });
    const { metrics: m } = runTraining(s.topology, s.training, { outDir: dir });
    const rs = rounds(dir);
    // 6 clients x 8 steps = 48 steps per round; the 200-step target is 8 steps into round 5 (pure server compute)
    expect(rs[3]!['cumulative_steps']).toBe(192);
    expect(m.rounds_to_target).toBe(5);
    const r5 = rs[4]!;
    expect(m.time_to_target_s).toBeCloseTo(r5['start_s']! + (8 / 48) * r5['round_time_s']!, 9);
    expect(m.time_to_target_s).toBeLessThan(r5['end_s']! - 30);
    expect(m.time_to_target_s).toBeCloseTo(181.87, 1);
  });

  it('sl: the batch that reaches the target', () => {
    const dir = tempDir();
    const spec = { scheme: 'sl', job: { model: 'llama-3.2-1b', peft: { kind: 'lora' }, batch: 2, seq: 256, local_steps: 10 }, progress: { curve: { model: 'steps', steps_to_target: 15 } } };
    const { metrics: m } = runTraining(cellsWithOneUser(1), spec, { outDir: dir });
    const rs = rounds(dir);
    expect(m.rounds_to_target).toBe(2);
    // one client alone: identical batches, the 15th step is the 5th of 10 in round 2
    expect(m.time_to_target_s).toBeCloseTo(rs[1]!['start_s']! + 0.5 * rs[1]!['round_time_s']!, 6);
  });
});

describe('edge contention', () => {
  it('server-side training slows down when another job shares the edge accelerator', () => {
    const spec = { scheme: 'centralized', job: { model: 'llama-3.2-1b', batch: 2, seq: 256, dataset: { samples_per_client: 20 } }, max_rounds: 2, stop_at_target: false };
    const round2 = (before?: (w: World) => void) => {
      const d = tempDir();
      runTraining(cellsWithOneUser(1), spec, { outDir: d, before });
      const [head, , second] = readFileSync(join(d, 'rounds.csv'), 'utf8').trim().split('\n');
      return Number(second!.split(',')[head!.split(',').indexOf('round_time_s')]);
    };
    const alone = round2();
    const shared = round2((w) => edgeSites(w).site(0).start({ work_s: 1e6, memory_bytes: 0 }, { onTransferDone: () => undefined }, 0));
    // round 2 is pure server compute: twice as long with half of the accelerator
    expect(alone).toBeGreaterThan(0);
    expect(shared / alone).toBeCloseTo(2, 9);
  });

  it('min-latency cut selection picks a cut that fits and differs from a deep fixed cut', () => {
    const r = runTraining(cellsWithOneUser(2), {
      scheme: 'sl',
      job: { model: 'llama-3.2-1b', peft: { kind: 'full' }, batch: 2, seq: 256, local_steps: 1 },
      split: { cut: { mode: 'min-latency' } },
      ...{ max_rounds: 1, stop_at_target: false },
    });
    expect(r.metrics.infeasible_clients).toBe(0);
    for (let c = 0; c < 2; c++) {
      expect(r.job.cut[c]).toBeGreaterThanOrEqual(1);
      expect(r.job.cut[c]).toBeLessThan(16);
      expect(r.job.need_bytes[c]).toBeLessThanOrEqual(r.job.memory_bytes[c]!);
    }
  });
});

describe('coverage', () => {
  it('a client its cell cannot reach is infeasible (out of coverage) and the others train; before, the job stalled at round 1', () => {
    const m = run('scenarios/training-schemes.yaml', { 'training.scheme': 'fl', 'topology.area': '6 km', 'topology.channel.mcs': 'cqi-table-1' });
    expect(m.infeasible_clients).toBe(1);
    expect(m.rounds_completed).toBeGreaterThan(5);
  });
});

describe('sequential relay across sites', () => {
  it('sl: the device part relayed to a client in another cell crosses the backhaul (clients in cells 0, 2, 1, 2, 0, 0: 4 cross-site handoffs of 524,288 B per round)', () => {
    const m = run('scenarios/training-schemes.yaml', { 'training.scheme': 'sl' });
    expect(m.backhaul_bytes_per_round).toBe(4 * 524_288);
  });
});
