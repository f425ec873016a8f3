import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgeSites } from '../../sim/edge/site.ts';
import { parseQuantity } from '../../sim/common/units.ts';
import type { World } from '../../sim/world/world.ts';
import { tempDir } from '../helpers.ts';
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
