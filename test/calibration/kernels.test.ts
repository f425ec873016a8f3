import { describe, expect, it } from 'vitest';
import { KERNELS, CHECK_SAMPLES, checkAgainst, fill, kernelByName, sampleIndices, sampleStride } from '../../sim/calibration/kernels/suite.ts';
import * as K from '../../sim/calibration/kernels/ts.ts';
import { WasmArena } from '../../sim/calibration/wasm.ts';

describe('kernel suite: every kernel matches its naive reference on a small size', () => {
  for (const k of KERNELS) {
    for (const impl of k.impls) {
      it(`${k.name} (${impl})`, async () => {
        const inst = await k.make(impl, k.check_size);
        inst.run(2);
        const c = inst.check(true);
        expect(c.ok, `max rel err ${c.max_rel_err}`).toBe(true);
        expect(c.checked).toBeGreaterThan(0);
        expect(Number.isFinite(inst.checksum())).toBe(true);
        expect(inst.flops).toBeGreaterThanOrEqual(0);
        expect(inst.bytes).toBeGreaterThan(0);
      });
    }
  }
});

describe('kernel suite: second sizes and edge cases', () => {
  const cases: [string, number][] = [
    ['gemm_fp32', 40],
    ['gemm_int8', 48],
    ['gemv_fp32', 68],
    ['gemv_int8', 80],
    ['gemv_q4', 96],
    ['attn_prefill', 33],
  ];
  for (const [name, size] of cases) {
    for (const impl of kernelByName(name).impls) {
      it(`${name} (${impl}) n=${size}`, async () => {
        const inst = await kernelByName(name).make(impl, size);
        inst.run(1);
        expect(inst.check(true).ok).toBe(true);
      });
    }
  }

  it('wasm and ts GEMV fp32 agree element by element', async () => {
    const ts = await kernelByName('gemv_fp32').make('ts', 128);
    const wa = await kernelByName('gemv_fp32').make('wasm', 128);
    ts.run(1);
    wa.run(1);
    expect(Math.abs(ts.checksum() - wa.checksum())).toBeLessThan(1e-3 * 128);
  });

  it('the checker rejects a wrong result', () => {
    const out = new Float32Array([1, 2, 3, 4]);
    expect(checkAgainst(out, (i) => [i + 1, 0], true, 1e-6).ok).toBe(true);
    out[2] = 3.01;
    expect(checkAgainst(out, (i) => [i + 1, 0], true, 1e-6).ok).toBe(false);
    expect(checkAgainst(new Int32Array([5]), () => [6, 0], true, 0).ok).toBe(false);
  });

  it('the post-timing check samples rows and columns spread over a GEMM output', () => {
    for (const n of [64, 96, 128, 192, 256, 512]) {
      const idx = sampleIndices(n * n);
      expect(new Set(idx).size).toBe(CHECK_SAMPLES);
      // before: n = 128, 256, 512 sampled column 0 only
      expect(new Set(idx.map((i) => i % n)).size, `columns, n=${n}`).toBeGreaterThanOrEqual(CHECK_SAMPLES / 2);
      expect(new Set(idx.map((i) => Math.floor(i / n))).size, `rows, n=${n}`).toBeGreaterThanOrEqual(CHECK_SAMPLES / 2);
    }
    expect(sampleStride(1)).toBe(1);
    expect(sampleIndices(5).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('the post-timing check catches a GEMM that is right in column 0 only', () => {
    for (const n of [128, 256]) {
      const nn = n * n;
      const a = new Float32Array(nn);
      const b = new Float32Array(nn);
      const c = new Float32Array(nn);
      fill(a, 21);
      fill(b, 22);
      K.gemmF32(a, b, c, n, n, n);
      const ref = (idx: number) => K.gemmRefAt(a, b, n, n, Math.floor(idx / n), idx % n);
      expect(checkAgainst(c, ref, false, 2e-4).ok).toBe(true);
      for (let i = 0; i < nn; i++) if (i % n !== 0) c[i] = 0;
      expect(checkAgainst(c, ref, false, 2e-4).ok, `n=${n}`).toBe(false);
    }
  });

  it('the TS GEMM has one monomorphic function per element type', async () => {
    expect(K.gemmF32).not.toBe(K.gemmF64);
    expect('gemm' in K).toBe(false);
    const c = new Float64Array(4);
    K.gemmF64(new Float64Array([1, 2, 3, 4]), new Float64Array([1, 0, 0, 1]), c, 2, 2, 2);
    expect([...c]).toEqual([1, 2, 3, 4]);
  });

  it('Q4 packing: byte j holds weight j (low nibble) and weight j+16 (high nibble)', () => {
    const q = new Uint8Array(16);
    q[0] = 0x9f; // weight 0 = 15 - 8 = 7, weight 16 = 9 - 8 = 1
    const s = new Float32Array([0.5]);
    expect(K.q4Weight(q, s, 32, 0, 0)).toBe(3.5);
    expect(K.q4Weight(q, s, 32, 0, 16)).toBe(0.5);
    expect(K.q4Weight(q, s, 32, 0, 1)).toBe(-4);
  });

  it('decode attention with one cached token returns that token value', () => {
    const d = 4;
    const q = new Float32Array(d).fill(1);
    const kc = new Float32Array(d).fill(2);
    const vc = new Float32Array([1, 2, 3, 4]);
    const out = new Float32Array(d);
    K.attention(q, kc, vc, out, new Float32Array(1), 1, 1, 1, d);
    expect([...out]).toEqual([1, 2, 3, 4]);
  });

  it('softmax sums to one; RMSNorm output has unit RMS with unit gain', () => {
    const x = new Float32Array(1000);
    fill(x, 5, -3, 3);
    const o = new Float32Array(1000);
    K.softmax(x, o, 1000);
    expect(o.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    K.rmsnorm(x, new Float32Array(1000).fill(1), o, 1000, 0);
    expect(Math.sqrt(o.reduce((a, b) => a + b * b, 0) / 1000)).toBeCloseTo(1, 4);
  });

  it('wasm STREAM triad writes x + s*y', async () => {
    const ar = await WasmArena.create('stream', 3 * 8 * 8);
    const px = ar.alloc(64), py = ar.alloc(64), pd = ar.alloc(64);
    ar.f64(px, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    ar.f64(py, 8).fill(10);
    ar.exports.triad!(pd, px, py, 0.5, 8);
    expect([...ar.f64(pd, 8)]).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
  });
});
