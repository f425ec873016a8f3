import { describe, expect, it } from 'vitest';
import { defaultPrecision, predict, storedWeightBits } from '../../sim/hardware/predict.ts';
import { bytesPerWeight, memoryFootprint } from '../../sim/workload/accounting.ts';
import { getModel } from '../../sim/workload/catalog.ts';

const GIB = 2 ** 30;
/** Weight bytes of LLaMA-7B (same shapes as llama-2-7b) under a runtime's default precision. */
const weights = (bits: number, runtime?: string) => memoryFootprint(getModel('llama-2-7b'), defaultPrecision(bits, runtime), { context: 1, prefill_chunk: 1 }).weights_bytes;

describe('default precision: bytes per weight of real formats', () => {
  // llama.cpp examples/quantize/quantize.cpp QUANT_OPTIONS (file sizes for LLaMA-v1-7B)
  it.each([
    [2, 2.63, 'Q2_K'],
    [3, 3.07, 'Q3_K_M'],
    [4, 3.56, 'Q4_0'],
  ])('llama.cpp %i bit reproduces the %s GiB file of %s', (bits, gib) => {
    // within 3%: the model stores token_embd at the LM head's bits (llama.cpp keeps it at the body type; a gather in decode)
    expect(weights(bits, 'llama.cpp') / GIB).toBeGreaterThan(gib * 0.97);
    expect(weights(bits, 'llama.cpp') / GIB).toBeLessThan(gib * 1.03);
  });

  it('llama.cpp 2 bit is not 2 bits per weight: Q2_K reads ~0.74x the bytes of Q4_0, not 0.55x', () => {
    const r = weights(2, 'llama.cpp') / weights(4, 'llama.cpp');
    expect(r).toBeGreaterThan(0.7);
    expect(r).toBeLessThan(0.78);
  });

  it('RKLLM w8a8 is per-channel (no group scales), other 8-bit formats carry one fp16 scale per 32', () => {
    expect(defaultPrecision(8, 'rkllm').group_size).toBe(0);
    expect(defaultPrecision(8, 'mlc-llm').group_size).toBe(32);
    expect(weights(8, 'mlc-llm') / weights(8, 'rkllm')).toBeCloseTo(8.5 / 8, 2);
  });
});

describe('units without 4-bit weights (Hexagon before v73)', () => {
  it('store 4-bit models at 8 bits, so the same model decodes slower per byte of bandwidth than on v73+', () => {
    expect(storedWeightBits('sa8295p', 'npu', 4)).toBe(8);
    expect(storedWeightBits('sa8295p', 'npu', 8)).toBe(8);
    expect(storedWeightBits('snapdragon-8-elite', 'npu', 4)).toBe(4);
    expect(storedWeightBits('sa8295p', 'cpu', 4)).toBe(4);
    const q = { unit: 'npu' as const, model: 'llama-3.2-1b', runtime: 'qnn', decode_start: 0 };
    const w4 = predict({ ...q, device: 'sa8295p', weight_bits: 4 });
    const w8 = predict({ ...q, device: 'sa8295p', weight_bits: 8 });
    expect(w4.memory.weights_bytes).toBe(w8.memory.weights_bytes);
    expect(w4.weight_bits).toBe(4);
  });
});

describe("llama.cpp's Q6_K output matrix", () => {
  it('is 6.5 bit/weight whatever the body mix, so fewer body bits never make decode slower', () => {
    for (const bits of [2, 3, 4]) {
      const p = defaultPrecision(bits, 'llama.cpp');
      expect(bytesPerWeight(p.embed_bits!, p.embed_group_size ?? p.group_size) * 8).toBeCloseTo(6.5, 9);
    }
    const q = { device: 'snapdragon-8-gen-3', unit: 'cpu' as const, model: 'llama-3.2-1b', runtime: 'llama.cpp' };
    const rate = (b: number) => predict({ ...q, weight_bits: b }).decode_tok_s;
    expect(rate(2)).toBeGreaterThanOrEqual(rate(3) - 1e-9);
    expect(rate(3)).toBeGreaterThanOrEqual(rate(4) - 1e-9);
  });
});
