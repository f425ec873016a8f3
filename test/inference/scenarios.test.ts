/** The shipped inference scenarios run, and the main outcomes their comments state hold (shortened runs). */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/world/run.ts';

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
