import { describe, expect, it } from 'vitest';
import { defaultPrecision, unitCtx } from '../../sim/hardware/predict.ts';
import { phaseCost } from '../../sim/hardware/roofline.ts';
import { PassCost, sumMax } from '../../sim/inference/cost.ts';
import { decodeOps, getModel, prefillOps } from '../../sim/workload/index.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('PassCost equals phaseCost of the workload ops', () => {
  const cases: [string, string, 'gpu' | 'cpu', number][] = [
    ['llama-2-7b', 'a100-80gb', 'gpu', 16],
    ['llama-3.2-1b', 'snapdragon-8-gen-3', 'cpu', 4],
    ['qwen2.5-0.5b', 'snapdragon-8-gen-2', 'gpu', 4],
    ['phi-2', 'l4', 'gpu', 8],
    ['gpt-3-medium', 'l4', 'gpu', 16],
  ];
  for (const [model, device, unit, bits] of cases) {
    it(`${model} on ${device} ${unit} w${bits}`, () => {
      const arch = getModel(model);
      const p = defaultPrecision(bits);
      const ctx = unitCtx(device, unit, undefined, bits);
      const pc = new PassCost(arch, p, ctx);
      for (const [N, past] of [[1, 0], [17, 0], [300, 40], [2048, 0]] as const) {
        const ref = phaseCost(prefillOps(arch, N, p, { past }), ctx);
        expect(rel(pc.prefill(N, past), ref.time_s)).toBeLessThan(1e-9);
        expect(rel(pc.energy_j, ref.energy_j)).toBeLessThan(1e-9);
      }
      const k = Math.floor(arch.layers / 3);
      const refR = phaseCost(prefillOps(arch, 64, p, { range: { from: k, to: arch.layers } }), ctx);
      expect(rel(pc.prefill(64, 0, k), refR.time_s)).toBeLessThan(1e-9);
      const refD = phaseCost(decodeOps(arch, [10, 500, 77], p, 1, { range: { from: 0, to: k } }), ctx);
      expect(rel(pc.time(0, k, 3, 590, 590, 0), refD.time_s)).toBeLessThan(1e-9);
      // a decode run equals the sum of its steps
      let sum = 0;
      let esum = 0;
      for (let i = 0; i < 40; i++) {
        const c = phaseCost(decodeOps(arch, [100 + i, 3000 + i], p), ctx);
        sum += c.time_s;
        esum += c.energy_j;
      }
      expect(rel(pc.decodeRun(2, 3100, 40), sum)).toBeLessThan(1e-9);
      expect(rel(pc.energy_j, esum)).toBeLessThan(1e-9);
      expect(pc.decodeStepsWithin(2, 3100, 40, sum)).toBe(40);
      expect(pc.decodeStepsWithin(2, 3100, 40, sum * 0.5)).toBeLessThan(21);
    });
  }

  it('sumMax matches a loop, crossing included', () => {
    for (const [c0, c1, m0, m1] of [[1, 2, 5, 0.5], [5, -1, 0, 1], [1, 1, 1, 1], [0, 0, 2, 0], [3, 0, 1, 0]]) {
      let s = 0;
      for (let i = 0; i < 17; i++) s += Math.max(c0! + c1! * i, m0! + m1! * i);
      expect(sumMax(c0!, c1!, m0!, m1!, 17)).toBeCloseTo(s, 9);
    }
  });
});
