import { describe, expect, it } from 'vitest';
import type { HardwareProfile, RuntimeProfile } from '../../sim/hardware/profile-schema.ts';
import type { Op } from '../../sim/workload/types.ts';
import { unitCtx } from '../../sim/hardware/predict.ts';
import { loadProfile, loadRuntime } from '../../sim/hardware/profiles.ts';
import {
  checkRuntimeTarget,
  DQ_OPS_CPU,
  opFlopsEff,
  RuntimeTargetError,
  lutExtraOps,
  mergeBatch,
  opTime,
  perCoreBandwidth,
  phaseCost,
  resolveUnitCtx,
  runtimeMultipliers,
  threadBandwidth,
  threadComputeFraction,
} from '../../sim/hardware/roofline.ts';

const S = (value: number) => ({ value, derived: 'synthetic test value' });

/** A synthetic device: 1 TFLOP/s fp16 GPU, 100 GB/s DRAM; a 2-cluster CPU (2 big + 4 little). */
function synthProfile(): HardwareProfile {
  return {
    id: 'synth',
    name: 'Synthetic',
    kind: 'soc',
    vendor: 'test',
    memory: { bandwidth: S(100e9), capacity: S(8e9) },
    power: { idle: S(1), sustained: S(5) },
    defaults: { efficiency: { compute: S(0.5), memory: S(0.8) } },
    units: {
      gpu: {
        name: 'synth gpu',
        kind: 'gpu',
        peak: { fp16: S(1e12), fp32: S(0.5e12) },
        overhead: S(10e-6),
        energy: { pj_per_flop: S(1), pj_per_dram_byte: S(100) },
      },
      cpu: {
        name: 'synth cpu',
        kind: 'cpu',
        clusters: [
          { name: 'big', core: 'cortex-a76', cores: 2, freq: S(2e9), simd_bits: 128, simd_pipes: 2, dotprod: true, i8mm: false },
          { name: 'little', core: 'cortex-a55', cores: 4, freq: S(1e9), simd_bits: 128, simd_pipes: 1, dotprod: true, i8mm: false },
        ],
        // 2 x 16 + 4 x 4 = 48 GFLOP/s fp32 (2 pipes x 4 lanes x 2 x 2 GHz per big core)
        peak: { fp32: S(48e9), fp16: S(96e9), int8: S(192e9) },
        overhead: S(1e-6),
        energy: { pj_per_flop: S(5), pj_per_dram_byte: S(150) },
        efficiency: { compute: S(1), memory: S(1) },
      },
    },
  };
}

function op(p: Partial<Op>): Op {
  return { name: 'x', kind: 'matmul', repeat: 1, flops: 0, weight_bytes: 0, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: 0, compute_dtype: 'fp16', ...p };
}

describe('roofline op time', () => {
  const prof = synthProfile();
  const gpu = resolveUnitCtx(prof, 'gpu', undefined, 16);

  it('memory-bound op: bytes / (bw x eta_m) + overhead', () => {
    // 1 GB of weights, 2 GFLOP: memory 1e9 / (100e9 x 0.8) = 12.5 ms; compute 2e9 / (1e12 x 0.5) = 4 ms
    const t = opTime(op({ flops: 2e9, weight_bytes: 1e9 }), gpu);
    expect(t).toBeCloseTo(0.0125 + 10e-6, 9);
    expect(phaseCost([op({ flops: 2e9, weight_bytes: 1e9 })], gpu).bound).toBe('memory');
  });

  it('compute-bound op: flops / (peak x eta_c) + overhead, repeat multiplies', () => {
    // 100 GFLOP, 10 MB: compute 100e9 / 0.5e12 = 0.2 s; memory 1e7 / 8e10 = 0.125 ms
    const o = op({ flops: 100e9, weight_bytes: 5e6, act_bytes: 5e6, repeat: 3 });
    expect(opTime(o, gpu)).toBeCloseTo(3 * (0.2 + 10e-6), 9);
    const pc = phaseCost([o], gpu);
    expect(pc.bound).toBe('compute');
    expect(pc.flops).toBe(300e9);
    expect(pc.bytes).toBe(3e7);
  });

  it('tiny ops are overhead-bound and the overhead is added once per instance', () => {
    const o = op({ kind: 'norm', flops: 1e3, act_bytes: 1e3, repeat: 100 });
    const pc = phaseCost([o], gpu);
    expect(pc.overhead_s).toBeCloseTo(100 * 10e-6, 12);
    expect(pc.bound).toBe('overhead');
  });

  it('energy = pJ/FLOP x FLOPs + pJ/byte x bytes + idle power x time', () => {
    const o = op({ flops: 2e9, weight_bytes: 1e9 });
    const pc = phaseCost([o], gpu);
    expect(pc.energy_j).toBeCloseTo(2e9 * 1e-12 + 1e9 * 100e-12 + 1 * pc.time_s, 9);
  });

  it('batch merge reads weights once and adds the rest', () => {
    const a = [op({ flops: 10, weight_bytes: 100, kv_read_bytes: 5 })];
    const m = mergeBatch([a, a, a]);
    expect(m[0]).toMatchObject({ flops: 30, weight_bytes: 100, kv_read_bytes: 15 });
  });
});

describe('CPU threads', () => {
  const prof = synthProfile();
  const cpu = prof.units.cpu!;

  it('compute scales with threads, big cores first', () => {
    expect(threadComputeFraction(cpu, 1, 'fp32')).toBeCloseTo(16 / 48, 9);
    expect(threadComputeFraction(cpu, 2, 'fp32')).toBeCloseTo(32 / 48, 9);
    expect(threadComputeFraction(cpu, 3, 'fp32')).toBeCloseTo(36 / 48, 9);
    expect(threadComputeFraction(cpu, 6, 'fp32')).toBeCloseTo(1, 9);
  });

  it('equal split: the slowest core used paces every thread', () => {
    expect(threadComputeFraction(cpu, 2, 'fp32', true)).toBeCloseTo(32 / 48, 9);
    expect(threadComputeFraction(cpu, 3, 'fp32', true)).toBeCloseTo((3 * 4) / 48, 9);
    expect(threadBandwidth(cpu, 3, 1000e9, true)).toBeCloseTo(3 * perCoreBandwidth('cortex-a55'), 0);
  });

  it('bandwidth saturates: min(total, sum of per-core bandwidths)', () => {
    const big = perCoreBandwidth('cortex-a76');
    const little = perCoreBandwidth('cortex-a55');
    expect(threadBandwidth(cpu, 1, 100e9)).toBeCloseTo(big, 0);
    expect(threadBandwidth(cpu, 2, 100e9)).toBeCloseTo(2 * big, 0);
    expect(threadBandwidth(cpu, 6, 20e9)).toBe(20e9);
    const bws = [1, 2, 3, 4, 5, 6].map((t) => threadBandwidth(cpu, t, 30e9));
    for (let i = 1; i < bws.length; i++) expect(bws[i]!).toBeGreaterThanOrEqual(bws[i - 1]!);
    expect(bws[5]).toBe(30e9);
    expect(threadBandwidth(cpu, 3, 1000e9)).toBeCloseTo(2 * big + little, 0);
  });

  it('default threads skip the little cluster; threads are clamped to the core count', () => {
    expect(resolveUnitCtx(prof, 'cpu', undefined, 4).threads).toBe(2);
    expect(resolveUnitCtx(prof, 'cpu', undefined, 4, 64).threads).toBe(6);
  });

  it('quantized CPU matmuls run int8 and pay dequantization in decode', () => {
    const ctx = resolveUnitCtx(prof, 'cpu', undefined, 4, 2);
    expect(ctx.matmul_dtype).toBe('int8');
    expect(ctx.dq_ops_per_weight).toBeGreaterThan(0);
    // GEMV over 1e9 4-bit weights (0.5 GB): 2e9 MAC ops + dq x 1e9 ops at 2/6 x 192 GOP/s
    const t = opTime(op({ flops: 2e9, weight_bytes: 0.5e9 }), ctx);
    const peak = (192e9 * 32) / 48;
    const expectC = (2e9 + ctx.dq_ops_per_weight * 1e9) / peak;
    const expectM = 0.5e9 / ctx.bw;
    expect(t).toBeCloseTo(Math.max(expectC, expectM) + 1e-6, 9);
  });

  it('8-bit CPU weights feed the int8 dot product as stored: no unpacking ops, unlike 4-bit', () => {
    const at = (bits: number) => resolveUnitCtx(prof, 'cpu', undefined, bits, 1);
    expect(at(8).matmul_dtype).toBe('int8');
    expect(at(8).dq_ops_per_weight).toBe(0);
    expect(at(4).dq_ops_per_weight).toBe(DQ_OPS_CPU);
    // A GEMV over 1e9 weights: 2e9 ops at 8 bits, (2 + DQ_OPS_CPU) e9 at 4 bits.
    const gemv = (bits: number) => op({ flops: 2e9, weight_bytes: (1e9 * bits) / 8, weight_elems: 1e9 });
    expect(opFlopsEff(gemv(8), at(8))).toBe(2e9);
    expect(opFlopsEff(gemv(4), at(4))).toBe((2 + DQ_OPS_CPU) * 1e9);
    const ctx = at(8);
    const peak = ctx.peak.int8 * ctx.eta_c;
    expect(opTime(gemv(8), ctx)).toBeCloseTo(Math.max(2e9 / peak, 1e9 / (ctx.bw * ctx.eta_m)) + 1e-6, 9);
  });
});

describe('LUT GEMV (t-mac) and the RKNPU fp16 datapath', () => {
  const prof = synthProfile();
  it('t-mac pays bits - 2 ops per weight: linear in the bits, cheaper than dequantization at 4 bits', () => {
    expect([1, 2, 3, 4, 8].map(lutExtraOps)).toEqual([0, 0, 1, 2, 6]);
    const tmac = { id: 't-mac', name: 'T-MAC', source: 'x', units: { cpu: {} } } as RuntimeProfile;
    const at = (bits: number, rt?: RuntimeProfile) => resolveUnitCtx(prof, 'cpu', rt, bits, 2);
    expect(at(4, tmac).dq_ops_per_weight).toBe(2);
    expect(at(2, tmac).dq_ops_per_weight).toBe(0);
    expect(at(4).dq_ops_per_weight).toBeGreaterThan(at(4, tmac).dq_ops_per_weight);
    // GEMV over 1e9 weights on the 2 big cores (128 GOP/s int8, ~28 GB/s): compute-bound at
    // both widths; the 4-bit LUT costs 4e9 ops, the 2-bit one 2e9
    const gemv = (bits: number) => opTime(op({ flops: 2e9, weight_bytes: (1e9 * bits) / 8 }), at(bits, tmac));
    expect((gemv(4) - 1e-6) / (gemv(2) - 1e-6)).toBeCloseTo(2, 6);
  });

  it('w4a16 on the RK3576 / RK3588 NPU runs fp16 at half the int8 MAC rate (RK3588 TRM)', () => {
    // RKLLM runs w4a16 on the RK3576 only; the RK3588's datapath is the same, without a runtime
    expect(() => unitCtx('rk3588', 'npu', 'rkllm', 4)).toThrow(/runs 8 bit weights on the npu of rk3588/);
    for (const dev of ['rk3588', 'rk3576']) {
      const w4 = unitCtx(dev, 'npu', dev === 'rk3576' ? 'rkllm' : undefined, 4);
      const w8 = unitCtx(dev, 'npu', 'rkllm', 8);
      expect(w4.matmul_dtype).toBe('fp16');
      expect(w8.matmul_dtype).toBe('int8');
      expect(w4.peak.fp16 / w8.peak.int8).toBeCloseTo(0.5, 1);
    }
  });
});

describe('runtime multipliers', () => {
  it('unit kind x weight format x device override, efficiencies capped at 1', () => {
    const rt: RuntimeProfile = {
      id: 'rt',
      name: 'rt',
      source: 'test',
      units: { gpu: { compute: S(0.5), memory: S(0.9), overhead: S(2), weight_formats: { '4': { compute: S(0.8) } } } },
      devices: { synth: { gpu: { memory: S(2) } } },
    };
    const m = runtimeMultipliers(rt, 'synth', 'gpu', 4);
    expect(m.compute).toBeCloseTo(0.4, 12);
    expect(m.memory).toBeCloseTo(1.8, 12);
    expect(m.overhead).toBe(2);
    const ctx = resolveUnitCtx(synthProfile(), 'gpu', rt, 4);
    expect(ctx.eta_m).toBe(1);
    expect(ctx.eta_c).toBeCloseTo(0.2, 12);
    expect(ctx.overhead_s).toBeCloseTo(20e-6, 12);
    expect(runtimeMultipliers(rt, 'other', 'gpu', 16).memory).toBeCloseTo(0.9, 12);
  });

  it('unknown unit is a readable error', () => {
    expect(() => resolveUnitCtx(synthProfile(), 'npu', undefined, 4)).toThrow(/no unit "npu"/);
  });
});


describe('runtime targets and dequantization work', () => {
  const prof = synthProfile();
  it('a runtime runs only on the unit kinds it lists, and only on the listed vendors there', () => {
    const rt = { id: 'vendor-npu', name: 'x', source: 'x', units: { cpu: {}, gpu: { vendors: { value: ['Acme'], source: 'doc' } } } } as RuntimeProfile;
    expect(() => checkRuntimeTarget(prof, 'cpu', rt)).not.toThrow();
    expect(() => checkRuntimeTarget(prof, 'npu', rt)).toThrow(/runtime vendor-npu does not run on a npu unit \(it runs on: cpu, gpu\)/);
    expect(() => checkRuntimeTarget(prof, 'gpu', rt)).toThrow(/runs on the gpu of Acme devices only; synth is a test device \(doc\)/);
    expect(() => checkRuntimeTarget({ ...prof, vendor: 'Acme Corp' }, 'gpu', rt)).not.toThrow();
    expect(() => resolveUnitCtx(prof, 'gpu', rt, 4)).toThrow(RuntimeTargetError);
  });

  it('a runtime that runs on a unit kind the simulator cannot price is refused with its reason, after the vendor check', () => {
    const rt = { id: 'vec', name: 'x', source: 'x', units: { cpu: {}, gpu: { vendors: { value: ['Acme'], source: 'doc' }, unmodelled: 'vector path, no peak (doc)' } } } as RuntimeProfile;
    expect(() => checkRuntimeTarget(prof, 'gpu', rt)).toThrow(/runs on the gpu of Acme devices only/);
    expect(() => checkRuntimeTarget({ ...prof, vendor: 'Acme' }, 'gpu', rt)).toThrow(/runtime vec on the gpu of synth is not modelled: vector path, no peak \(doc\)/);
    expect(() => checkRuntimeTarget({ ...prof, vendor: 'Acme' }, 'cpu', rt)).not.toThrow();
    // the shipped llama.cpp profile: its Hexagon backend is refused, its CPU and GPU backends are not
    const sd = loadProfile('snapdragon-8-elite');
    const llama = loadRuntime('llama.cpp');
    expect(() => resolveUnitCtx(sd, 'npu', llama, 4)).toThrow(/llama\.cpp on the npu of snapdragon-8-elite is not modelled: .*HVX/);
    expect(() => resolveUnitCtx(sd, 'gpu', llama, 4)).not.toThrow();
    expect(() => resolveUnitCtx(sd, 'npu', loadRuntime('qnn'), 4)).not.toThrow();
  });

  it('counts dequantization per weight element, not per byte: group scales and a wider LM head add no weights', () => {
    const ctx = resolveUnitCtx(prof, 'cpu', undefined, 2, 2);
    const op: Op = { name: 'mlp', kind: 'matmul', repeat: 1, flops: 2e9, weight_bytes: 0.3125e9, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: 0, compute_dtype: 'int8' };
    // 1e9 2-bit weights with one fp16 scale per 32 (2.5 bits each): 1e9 elements, not 1.25e9
    expect(opFlopsEff({ ...op, weight_elems: 1e9 }, ctx)).toBe(2e9 + ctx.dq_ops_per_weight * 1e9);
    expect(opFlopsEff(op, ctx)).toBe(2e9 + ctx.dq_ops_per_weight * 1.25e9); // without elements: the byte estimate
  });
});

describe('energy per op and datapaths', () => {
  it('an op costs the unit power at full rate over its dtype peak: an int8 op on a CPU 1/8 of an fp32 one on the 8 Gen 3', () => {
    const c = unitCtx('snapdragon-8-gen-3', 'cpu', undefined, 4);
    expect(c.pj_per_op.fp32).toBe(c.pj_per_flop);
    expect(c.pj_per_op.int8 * c.peak.int8).toBeCloseTo(c.pj_per_op.fp32 * c.peak.fp32, 6);
    expect(c.pj_per_op.int8).toBeLessThan(c.pj_per_op.fp32 / 4);
    // the compute energy of a quantized GEMV includes its dequantization ops, at the int8 rate
    const gemv: Op = { name: 'w', kind: 'matmul', flops: 2e9, weight_bytes: 5e8, weight_elems: 1e9, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: 0, repeat: 1, compute_dtype: 'int8' };
    const pc = phaseCost([gemv], c);
    const idle = c.idle_w * pc.time_s;
    expect(pc.energy_j - idle).toBeCloseTo(((2e9 + 3e9) * c.pj_per_op.int8 + 5e8 * c.pj_per_byte) * 1e-12, 9);
    // NPUs derive pJ/op from their int8 TOPS: int8 is the reference there
    const n = unitCtx('snapdragon-8-gen-3', 'npu', undefined, 8);
    expect(n.pj_per_op.int8).toBe(n.pj_per_flop);
  });

  it('16-bit weights on an int8-only unit are refused, not computed at the int8 peak; a 4-bit request on the Edge TPU is held at 8 bits', async () => {
    expect(() => unitCtx('snapdragon-865', 'dsp', undefined, 16)).toThrow(/no float datapath \(fp16 or fp32\) for 16-bit weights, only int8/);
    expect(() => unitCtx('coral-edge-tpu', 'npu', undefined, 16)).toThrow(RangeError);
    const { storedWeightBits } = await import('../../sim/hardware/predict.ts');
    expect(storedWeightBits('coral-edge-tpu', 'npu', 4)).toBe(8);
  });
});

describe('llama.cpp file sizes', () => {
  it('Llama-2-7B weights match the quantize tool: Q2_K 2.63, Q3_K_M 3.07, Q4_0 3.56 GiB (only output.weight is Q6_K)', async () => {
    const { weightBytes } = await import('../../sim/workload/accounting.ts');
    const { getModel } = await import('../../sim/workload/catalog.ts');
    const { defaultPrecision } = await import('../../sim/hardware/predict.ts');
    const a = getModel('llama-2-7b');
    const gib = (bits: number) => weightBytes(a, defaultPrecision(bits, 'llama.cpp')) / 2 ** 30;
    expect(gib(2)).toBeCloseTo(2.63, 2);
    expect(gib(3)).toBeCloseTo(3.07, 2);
    expect(gib(4)).toBeCloseTo(3.56, 2);
  });
});
