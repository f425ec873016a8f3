/** The shipped inference scenarios run, and the main outcomes their comments state hold (shortened runs). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/run/run.ts';
import { tempDir } from '../helpers.ts';

const run = (file: string, set: string[]) => runScenario(loadScenario(file, { set: ['duration=6 min', 'warmup=1 min', ...set] }).scenario, { outDir: null }).metrics;

describe('scenarios/inference-modes.yaml', () => {
  it('edge: lowest TTFT, rejects private requests; adaptive serves everything near edge latency', () => {
    const f = 'scenarios/inference-modes.yaml';
    const edge = run(f, ['inference.mode=edge']);
    const dev = run(f, ['inference.mode=on-device']);
    const ad = run(f, []);
    expect(edge.ttft_p50_s).toBeLessThan(dev.ttft_p50_s);
    expect(edge.tpot_p50_s).toBeLessThan(dev.tpot_p50_s);
    expect(edge.rejected_privacy).toBeGreaterThan(0);
    expect(dev.device_energy_j_per_request).toBeGreaterThan(edge.device_energy_j_per_request);
    expect(ad.rejected_ratio).toBe(0);
    expect(ad.mode_share_edge).toBeGreaterThan(0.5);
    expect(ad.mode_share_on_device + ad.mode_share_split).toBeGreaterThan(0.15);
    expect(ad.ttft_p50_s).toBeLessThan(2 * edge.ttft_p50_s);
  });
});

describe('scenarios/split-inference.yaml', () => {
  it('TPOT above the round trip; min-latency cut wins TTFT, loses TPOT to the half split; edge rejects private requests', () => {
    const f = 'scenarios/split-inference.yaml';
    const ml = run(f, []);
    const half = run(f, ['inference.split.cut_selection=fixed']);
    const edge = run(f, ['inference.mode=edge']);
    expect(ml.tpot_p50_s).toBeGreaterThan(0.01);
    expect(ml.ttft_p50_s).toBeLessThan(half.ttft_p50_s);
    expect(ml.tpot_p50_s).toBeGreaterThan(half.tpot_p50_s);
    expect(edge.ttft_p50_s).toBeLessThan(ml.ttft_p50_s);
    expect(edge.rejected_privacy).toBeGreaterThan(0);
    expect(ml.rejected_ratio).toBe(0);
  });
});

describe('scenarios/inference-modes.yaml, adaptive min-energy', () => {
  it('sends most private requests to split with a shallow cut', () => {
    const d = tempDir();
    const { scenario } = loadScenario('scenarios/inference-modes.yaml', { set: ['duration=6 min', 'warmup=1 min', 'inference.adaptive.rule=min-energy'] });
    runScenario(scenario, { outDir: d });
    const [head, ...rows] = readFileSync(join(d, 'requests.csv'), 'utf8').trim().split('\n');
    const col = head!.split(',');
    const cell = (l: string, name: string) => l.split(',')[col.indexOf(name)]!;
    const priv = rows.filter((l) => cell(l, 'private') === 'true' && cell(l, 'status') === 'ok');
    const split = priv.filter((l) => cell(l, 'mode') === 'split');
    expect(priv.length).toBeGreaterThan(20);
    expect(split.length / priv.length).toBeGreaterThan(0.5);
    // Llama-3.2-3B has 28 blocks; the fixed half cut would be 14
    for (const l of split) expect(Number(cell(l, 'cut'))).toBeLessThanOrEqual(4);
  });
});
