/**
 * Training metric naming (summary vs rounds.csv) and token pruning in split
 * learning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { cellsWithOneUser, runTraining } from './world.ts';

const lora1b = { model: 'llama-3.2-1b', peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] }, batch: 2, seq: 256, local_steps: 2 };

function rounds(dir: string): Record<string, number>[] {
  const [head, ...rows] = readFileSync(join(dir, 'rounds.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  return rows.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, Number(v)])));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('per-round metrics', () => {
  it('*_per_round in the summary are means of the rounds.csv round totals; the per-client energy divides by participants', () => {
    const dir = tempDir();
    const { metrics: m } = runTraining(cellsWithOneUser(3), { scheme: 'fl', job: lora1b, max_rounds: 3, stop_at_target: false }, { outDir: dir });
    const rs = rounds(dir);
    expect(rs.length).toBe(3);
    for (const r of rs) {
      expect(r['participants']).toBe(3);
      expect(r['device_energy_j_per_client']).toBeCloseTo(r['device_energy_j']! / 3, 9);
    }
    expect(m.rounds_completed).toBe(3);
    expect(m.device_energy_j_per_round).toBeCloseTo(mean(rs.map((r) => r['device_energy_j']!)), 6);
    expect(m.device_energy_j_per_client_round).toBeCloseTo(m.device_energy_j_per_round! / 3, 6);
    expect(m.uplink_bytes_per_round).toBeCloseTo(mean(rs.map((r) => r['uplink_bytes']!)), 6);
    expect(m.downlink_bytes_per_round).toBeCloseTo(mean(rs.map((r) => r['downlink_bytes']!)), 6);
    expect(m.round_time_s).toBeCloseTo(mean(rs.map((r) => r['round_time_s']!)), 9);
  });

  it('per client-round energy weighs rounds by their participants', () => {
    const dir = tempDir();
    const { metrics: m } = runTraining(cellsWithOneUser(4), { scheme: 'fl', job: lora1b, sampling_fraction: 0.5, max_rounds: 4, stop_at_target: false }, { outDir: dir });
    const rs = rounds(dir);
    const energy = rs.reduce((a, r) => a + r['device_energy_j']!, 0);
    const clientRounds = rs.reduce((a, r) => a + r['participants']!, 0);
    expect(clientRounds).toBe(8);
    expect(m.device_energy_j_per_client_round).toBeCloseTo(energy / clientRounds, 6);
  });
});

describe('token pruning', () => {
  const gpt3 = { model: 'gpt-3-medium', peft: { kind: 'full' }, batch: 2, seq: 1024, act_bytes: 4, train_bits: 32, local_steps: 4 };
  const split = (scheme: string, prune_ratio: number, compression = 'fp32') =>
    runTraining(cellsWithOneUser(1), { scheme, job: gpt3, split: { cut: { mode: 'fixed', layer: 2 }, compression, prune_ratio }, max_rounds: 1, stop_at_target: false }, { outDir: tempDir() });

  it('shrinks the server compute with the kept tokens: pruning half the tokens beats halving the bytes by compression', () => {
    const fp16 = split('sl', 0, 'fp16').metrics;
    const pruned = split('sl', 0.5).metrics;
    // same smashed bytes on the air
    expect(pruned.smashed_uplink_bytes_per_round).toBe(fp16.smashed_uplink_bytes_per_round);
    // but the server trains on half the tokens
    expect(pruned.round_time_s).toBeLessThan(fp16.round_time_s! * 0.97);
  });

  it('uploads labels only for the kept tokens', () => {
    const full = split('sl', 0).metrics;
    const pruned = split('sl', 0.5).metrics;
    expect(pruned.uplink_bytes_per_round).toBeCloseTo(full.uplink_bytes_per_round! / 2, 0);
  });

  it('leaves the device head at the full sequence and shrinks a U-shaped tail', () => {
    const a = split('ushape', 0);
    const b = split('ushape', 0.5);
    // head + tail memory: the head is unchanged, the tail holds half the activations
    expect(b.job.need_bytes[0]).toBeLessThan(a.job.need_bytes[0]!);
    const sl0 = split('sl', 0).job.need_bytes[0]!;
    const sl5 = split('sl', 0.5).job.need_bytes[0]!;
    expect(sl5).toBe(sl0);
  });
});
