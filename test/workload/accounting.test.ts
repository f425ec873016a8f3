import { describe, expect, it } from 'vitest';
import { getModel } from '../../sim/workload/catalog.ts';
import {
  checkFits,
  cutActivationBytes,
  decodeOps,
  FitError,
  kvBytesPerToken,
  memoryFootprint,
  opsTotals,
  paramBreakdown,
  paramCount,
  prefillOps,
  weightBytes,
} from '../../sim/workload/accounting.ts';
import type { Op, Precision } from '../../sim/workload/types.ts';

const FP16: Precision = { weight_bits: 16, group_size: 0, kv_bytes: 2, act_bytes: 2 };
const Q4: Precision = { weight_bits: 4, group_size: 32, kv_bytes: 2, act_bytes: 2 };
const llama7 = getModel('llama-2-7b');

const sumOf = (ops: Op[], name: string, k: 'flops' | 'kv_read_bytes') =>
  ops.filter((o) => o.name === name).reduce((s, o) => s + o[k] * o.repeat, 0);

describe('bytes', () => {
  it('Llama-2-7B fp16 KV cache is 512 KiB per token', () => {
    // 2 (K,V) x 32 layers x 32 heads x 128 x 2 bytes
    expect(kvBytesPerToken(llama7, 2)).toBe(512 * 1024);
  });

  it('weights at 4 bit carry one fp16 scale per group of 32 (0.5625 B/weight)', () => {
    const b = paramBreakdown(llama7);
    const normsAndFinal = 32 * 2 * 4096 + 4096; // stay at fp16
    const matrices = b.total - normsAndFinal;
    expect(weightBytes(llama7, Q4)).toBeCloseTo(matrices * (0.5 + 2 / 32) + normsAndFinal * 2, 0);
    expect(weightBytes(llama7, FP16)).toBe(2 * paramCount(llama7));
  });

  it('cut-layer activations are tokens x hidden x bytes', () => {
    expect(cutActivationBytes(llama7, 100, 2)).toBe(100 * 4096 * 2);
    expect(cutActivationBytes(getModel('gpt-3-medium'), 1024, 0.5)).toBe(512 * 1024);
  });
});

describe('decode', () => {
  it('a decode step costs about 2 x parameters FLOPs', () => {
    const t = opsTotals(decodeOps(llama7, 0, FP16));
    expect(t.flops / (2 * paramCount(llama7))).toBeGreaterThan(0.97);
    expect(t.flops / (2 * paramCount(llama7))).toBeLessThan(1.01);
    // and reads about the whole model once (embedding table gathered, not streamed)
    expect(t.weight_bytes / weightBytes(llama7, FP16)).toBeGreaterThan(0.97);
  });

  it('KV reads grow linearly with context', () => {
    const kv = (c: number) => opsTotals(decodeOps(llama7, c, FP16)).kv_read_bytes;
    expect(kv(1000)).toBe(1001 * 512 * 1024);
    expect(kv(2000) - kv(1000)).toBe(kv(3000) - kv(2000));
    expect(kv(4000) / kv(1000)).toBeCloseTo(4001 / 1001, 10);
    // attention FLOPs likewise, matmul FLOPs do not change
    const at = (c: number) => sumOf(decodeOps(llama7, c, FP16), 'attn.scores', 'flops');
    expect(at(2000) - at(1000)).toBeCloseTo(at(3000) - at(2000), 0);
    expect(sumOf(decodeOps(llama7, 3000, FP16), 'mlp.up', 'flops')).toBe(sumOf(decodeOps(llama7, 0, FP16), 'mlp.up', 'flops'));
  });

  it('batched decode reads the weights once and the KV cache per sequence', () => {
    const one = opsTotals(decodeOps(llama7, 500, FP16, 1));
    const eight = opsTotals(decodeOps(llama7, 500, FP16, 8));
    expect(eight.weight_bytes).toBeCloseTo(one.weight_bytes + 7 * 4096 * 2, 0); // + 7 more embedding rows
    expect(eight.kv_read_bytes).toBe(8 * one.kv_read_bytes);
    expect(eight.flops / one.flops).toBeCloseTo(8, 6);
    // mixed contexts: the attention work is that of the summed contexts
    const mixed = opsTotals(decodeOps(llama7, [100, 900], FP16));
    expect(mixed.kv_read_bytes).toBe(opsTotals(decodeOps(llama7, 500, FP16, 2)).kv_read_bytes);
  });
});

describe('prefill', () => {
  it('costs 2 x non-embedding params x N + one LM-head row + causal attention', () => {
    const N = 1024;
    const b = paramBreakdown(llama7);
    const ops = prefillOps(llama7, N, FP16);
    const attn = sumOf(ops, 'attn.scores', 'flops') + sumOf(ops, 'attn.context', 'flops');
    // causal: N(N+1)/2 pairs x 32 heads x (2x128 + 5 + 2x128) x 32 layers
    expect(attn).toBe(((N * (N + 1)) / 2) * 32 * (2 * 128 + 5 + 2 * 128) * 32);
    const matmul = 2 * (b.layers_total - 32 * 2 * 4096) * N + 2 * 4096 * 32000;
    const t = opsTotals(ops);
    expect(t.flops).toBeGreaterThan(matmul + attn);
    expect(t.flops / (matmul + attn)).toBeLessThan(1.01); // norms and activations are small
    expect(t.kv_write_bytes).toBe(N * 512 * 1024);
  });

  it('attention grows ~N^2/2 and chunked prefill adds the cross term', () => {
    const a = (N: number, past = 0) => sumOf(prefillOps(llama7, N, FP16, { past }), 'attn.scores', 'flops');
    expect(a(2048) / a(1024)).toBeCloseTo((2048 * 2049) / (1024 * 1025), 10);
    // two chunks of 512 equal one prefill of 1024
    expect(a(512) + a(512, 512)).toBeCloseTo(a(1024), 0);
  });

  it('layer ranges split the model without loss or overlap', () => {
    const k = 10;
    const whole = opsTotals(prefillOps(llama7, 128, FP16));
    const dev = prefillOps(llama7, 128, FP16, { range: { to: k } });
    const srv = prefillOps(llama7, 128, FP16, { range: { from: k } });
    expect(dev.some((o) => o.kind === 'embedding')).toBe(true);
    expect(dev.some((o) => o.kind === 'lm_head')).toBe(false);
    expect(srv.some((o) => o.kind === 'embedding')).toBe(false);
    expect(srv.some((o) => o.kind === 'lm_head')).toBe(true);
    const parts = opsTotals([...dev, ...srv]);
    for (const key of ['flops', 'weight_bytes', 'kv_read_bytes', 'kv_write_bytes', 'act_bytes'] as const) {
      expect(parts[key]).toBeCloseTo(whole[key], 0);
    }
    expect(dev.find((o) => o.name === 'mlp.up')?.repeat).toBe(k);
    expect(weightBytes(llama7, FP16, { to: k }) + weightBytes(llama7, FP16, { from: k })).toBe(weightBytes(llama7, FP16));
    expect(() => prefillOps(llama7, 8, FP16, { range: { from: 5, to: 40 } })).toThrow(/outside/);
  });
});

describe('memory footprint', () => {
  it('a model that does not fit throws with the numbers', () => {
    const f = memoryFootprint(getModel('llama-2-13b'), FP16, { context: 2048 });
    expect(f.weights_bytes / 1e9).toBeCloseTo(26.03, 1);
    expect(f.kv_bytes).toBe(2048 * 2 * 40 * 40 * 128 * 2);
    let err: unknown;
    try {
      checkFits(f, 8e9);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^llama-2-13b at 16 bit needs 26\.0 GB weights \+ 1\.7 GB KV cache \+ \d+ MB activations = 27\.\d GB; the device has 8\.0 GB$/);
  });

  it('a 4-bit 7B model fits a 12 GB phone at 4k context', () => {
    const f = memoryFootprint(llama7, Q4, { context: 4096 });
    expect(f.total_bytes).toBe(f.weights_bytes + f.kv_bytes + f.activations_bytes);
    expect(() => checkFits(f, 12e9)).not.toThrow();
    expect(f.kv_bytes).toBe(4096 * 512 * 1024);
  });
});

describe('weight elements', () => {
  it('matmul and LM-head ops carry their weight count, whatever the format', () => {
    for (const id of ['llama-3.2-1b', 'qwen2.5-0.5b', 'phi-2']) {
      const a = getModel(id);
      const b = paramBreakdown(a);
      for (const p of [FP16, Q4, { ...Q4, weight_bits: 2 }]) {
        const ops = decodeOps(a, 64, p);
        const matmul = ops.filter((o) => o.kind === 'matmul').reduce((s, o) => s + o.repeat * o.weight_elems!, 0);
        const head = ops.find((o) => o.kind === 'lm_head')!;
        // block matrices = per-layer params minus the norms' (biases are counted in the elements too)
        expect(matmul, `${id} ${p.weight_bits}`).toBeGreaterThan(0.97 * b.layers_total);
        expect(matmul).toBeLessThanOrEqual(b.layers_total);
        expect(head.weight_elems).toBe(a.vocab * a.hidden);
        // while the bytes hold group scales: more bytes than elements x bits / 8 when quantized
        if (p.weight_bits < 16) expect(ops.filter((o) => o.kind === 'matmul').reduce((s, o) => s + o.repeat * o.weight_bytes, 0)).toBeGreaterThan((matmul * p.weight_bits) / 8);
      }
    }
  });
});
