import { predict } from '../../sim/hardware/predict.ts';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_RUNTIME_DIRS,
  PROFILE_DIR,
  ProfileError,
  listProfiles,
  listRuntimes,
  loadProfile,
  loadRuntime,
} from '../../sim/hardware/profiles.ts';
import { DTYPES, type UnitName } from '../../sim/hardware/profile-schema.ts';
import { coreRate } from '../../sim/hardware/roofline.ts';

/** Required ids (issue 3) and the units each must have. */
const EXPECTED_UNITS: Record<string, UnitName[]> = {
  'snapdragon-865': ['cpu', 'gpu', 'dsp'],
  'snapdragon-8-gen-2': ['cpu', 'gpu', 'npu'],
  'snapdragon-8-gen-3': ['cpu', 'gpu', 'npu'],
  'snapdragon-8-elite': ['cpu', 'gpu', 'npu'],
  'snapdragon-8-elite-gen-5': ['cpu', 'gpu', 'npu'],
  'snapdragon-x-elite': ['cpu', 'gpu', 'npu'],
  sa8295p: ['cpu', 'gpu', 'npu'],
  sc8280xp: ['cpu', 'gpu', 'npu'],
  qcs6490: ['cpu', 'gpu', 'npu'],
  'dimensity-9300': ['cpu', 'gpu'],
  'tensor-g3': ['cpu', 'gpu'],
  'apple-a15': ['cpu', 'gpu', 'npu'],
  'apple-m1': ['cpu', 'gpu', 'npu'],
  'apple-m2': ['cpu', 'gpu', 'npu'],
  'apple-m2-ultra': ['cpu', 'gpu', 'npu'],
  'apple-m3': ['cpu', 'gpu', 'npu'],
  rk3588: ['cpu', 'gpu', 'npu'],
  rk3576: ['cpu', 'gpu', 'npu'],
  'raspberry-pi-5': ['cpu'],
  'coral-edge-tpu': ['cpu', 'gpu', 'npu'],
  'jetson-orin-nano': ['cpu', 'gpu'],
  'jetson-orin-nano-super': ['cpu', 'gpu'],
  'jetson-orin-nx-16gb': ['cpu', 'gpu', 'npu'],
  'jetson-agx-orin': ['cpu', 'gpu', 'npu'],
  l4: ['gpu'],
  'a100-80gb': ['gpu'],
  'h100-pcie': ['gpu'],
  'h100-sxm': ['gpu'],
};
const REQUIRED_IDS = Object.keys(EXPECTED_UNITS);
const RUNTIME_IDS = ['llama.cpp', 'executorch', 'qnn', 'mlc-llm', 'rkllm', 't-mac', 'mnn', 'litert', 'ncnn'];

/**
 * Every number (and every quantity string under `value:`) must sit in a mapping
 * that says where it comes from: a `source:` or a `derived:`. Returns the
 * YAML paths that break the rule.
 */
function unsourcedNumbers(node: unknown, path: string[] = []): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => unsourcedNumbers(item, [...path, String(i)]));
  if (node === null || typeof node !== 'object') return [];
  const map = node as Record<string, unknown>;
  const hasOrigin = typeof map.source === 'string' || typeof map.derived === 'string';
  const bad: string[] = [];
  for (const [k, v] of Object.entries(map)) {
    const isNumber = typeof v === 'number';
    const isQuantity = k === 'value' && typeof v === 'string' && /^\s*[-+]?\d/.test(v);
    if ((isNumber || isQuantity) && !hasOrigin) bad.push([...path, k].join('.'));
    if (typeof v === 'object') bad.push(...unsourcedNumbers(v, [...path, k]));
  }
  return bad;
}

describe('hardware profiles', () => {
  it('loads every required id', () => {
    for (const id of REQUIRED_IDS) {
      const p = loadProfile(id);
      expect(p.id).toBe(id);
      expect(p.memory.bandwidth.value).toBeGreaterThan(1e9);
      expect(p.memory.capacity.value).toBeGreaterThan(1e8);
      expect(p.power.sustained.value).toBeGreaterThan(p.power.idle.value);
      expect(p.defaults.efficiency.memory.value).toBeGreaterThan(0);
    }
    const listed = listProfiles().map((s) => s.id);
    expect(listed).toEqual(expect.arrayContaining(REQUIRED_IDS));
  });

  it('has the expected unit names per device', () => {
    for (const summary of listProfiles().filter((s) => s.id in EXPECTED_UNITS)) {
      expect([...summary.units].sort(), summary.id).toEqual([...EXPECTED_UNITS[summary.id]!].sort());
    }
    // A phone SoC has a CPU, a GPU, and an NPU or DSP where it has one.
    for (const id of ['snapdragon-865', 'snapdragon-8-gen-3', 'snapdragon-8-elite', 'apple-a15']) {
      const units = loadProfile(id).units;
      expect(units.cpu && units.gpu && (units.npu ?? units.dsp), id).toBeTruthy();
    }
  });

  it('every number in every profile and runtime carries a source or derived', () => {
    const files = [
      ...readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.yaml')).map((f) => join(PROFILE_DIR, f)),
      ...readdirSync(DEFAULT_RUNTIME_DIRS[0]!).filter((f) => f.endsWith('.yaml')).map((f) => join(DEFAULT_RUNTIME_DIRS[0]!, f)),
    ];
    expect(files.length).toBeGreaterThanOrEqual(REQUIRED_IDS.length + RUNTIME_IDS.length);
    for (const f of files) {
      expect(unsourcedNumbers(parse(readFileSync(f, 'utf8'))), f).toEqual([]);
    }
  });

  it('the walker catches a bare number', () => {
    expect(unsourcedNumbers({ memory: { bandwidth: { value: '10 GB/s' } }, cores: 4 })).toEqual(['memory.bandwidth.value', 'cores']);
    expect(unsourcedNumbers({ a: { value: 3, derived: '1 + 2' } })).toEqual([]);
  });

  it('peaks are ordered int8 >= fp16 >= fp32 where given, and positive', () => {
    for (const id of REQUIRED_IDS) {
      for (const [name, unit] of Object.entries(loadProfile(id).units)) {
        const pk = unit!.peak;
        expect(DTYPES.some((d) => pk[d] !== undefined), `${id}.${name}`).toBe(true);
        for (const d of DTYPES) if (pk[d]) expect(pk[d]!.value, `${id}.${name}.${d}`).toBeGreaterThan(0);
        if (pk.int8 && pk.fp16) expect(pk.int8.value, `${id}.${name}`).toBeGreaterThanOrEqual(pk.fp16.value);
        if (pk.fp16 && pk.fp32) expect(pk.fp16.value, `${id}.${name}`).toBeGreaterThanOrEqual(pk.fp32.value);
        if (pk.int4 && pk.int8) expect(pk.int4.value, `${id}.${name}`).toBeGreaterThanOrEqual(pk.int8.value);
        expect(unit!.energy.pj_per_flop.value, `${id}.${name}`).toBeGreaterThan(0);
      }
    }
  });

  it('CPU units list their clusters and the fp32 peak matches them', () => {
    for (const id of REQUIRED_IDS) {
      const cpu = loadProfile(id).units.cpu;
      if (cpu === undefined) continue;
      expect(cpu.clusters?.length, id).toBeGreaterThan(0);
      const fromClusters = cpu.clusters!.reduce((s, c) => s + c.cores * c.freq.value * c.simd_pipes * (c.simd_bits / 32) * 2, 0);
      expect(cpu.peak.fp32!.value / fromClusters, id).toBeCloseTo(1, 2);
    }
  });

  it('CPU int8 peaks are the per-core rates the roofline uses (SDOT x max(1, SMMLA/SDOT ratio))', () => {
    for (const id of REQUIRED_IDS) {
      const cpu = loadProfile(id).units.cpu;
      if (cpu?.peak.int8 === undefined) continue;
      const fromClusters = cpu.clusters!.reduce((s, c) => s + c.cores * coreRate(c, 'int8'), 0);
      expect(cpu.peak.int8.value / fromClusters, id).toBeCloseTo(1, 2);
    }
    // Apple and Oryon cores run SMMLA no faster than SDOT (cpufp): int8 = 4 x fp32 there, 8 x on Arm's i8mm cores.
    for (const id of ['snapdragon-x-elite', 'snapdragon-8-elite', 'apple-m2-ultra']) {
      const pk = loadProfile(id).units.cpu!.peak;
      expect(pk.int8!.value / pk.fp32!.value, id).toBeCloseTo(4, 1);
    }
    const g3 = loadProfile('snapdragon-8-gen-3').units.cpu!;
    expect(g3.clusters!.every((c) => c.i8mm && c.mmla_ratio === undefined)).toBe(true);
    expect(g3.peak.int8!.value / g3.peak.fp32!.value).toBeCloseTo(8, 1);
  });

  it('matches device-specs.csv figures', () => {
    expect(loadProfile('l4').memory.bandwidth.value).toBe(300e9);
    expect(loadProfile('a100-80gb').memory.bandwidth.value).toBe(2039e9);
    expect(loadProfile('h100-sxm').memory.bandwidth.value).toBe(3350e9);
    expect(loadProfile('snapdragon-8-gen-3').units.gpu!.peak.fp16!.value).toBeCloseTo(6.14e12, -9);
    // Jetson: NVIDIA quotes sparse INT8; the profile keeps dense = half.
    expect(loadProfile('jetson-agx-orin').units.gpu!.peak.int8!.value).toBe(85e12);
    expect(loadProfile('jetson-orin-nano-super').units.gpu!.peak.int8!.value).toBe(33.5e12);
  });

  it('Adreno 6xx GPUs without a published peak are derived from SP count x 256 FP32 lanes x clock', () => {
    // SP counts from Mesa (num_ccu), clocks from the upstream DT / Qualcomm's QCS6490 guide.
    const sc = loadProfile('sc8280xp').units.gpu!;
    expect(sc.peak.fp32!.value).toBeCloseTo(8 * 256 * 2 * 0.69e9, -9);
    expect(sc.peak.fp16!.value).toBeCloseTo(2 * sc.peak.fp32!.value, -9);
    // The sibling SA8295P is rated 3000 GFLOPS by Qualcomm: the derivation lands within 10%.
    expect(Math.abs(sc.peak.fp32!.value / loadProfile('sa8295p').units.gpu!.peak.fp32!.value - 1)).toBeLessThan(0.1);
    const q = loadProfile('qcs6490').units.gpu!;
    expect(q.peak.fp32!.value).toBeCloseTo(2 * 256 * 2 * 0.812e9, -9);
    // The per-SP rate is the one the Adreno 650 (3 SPs) profile implies.
    expect(loadProfile('snapdragon-865').units.gpu!.peak.fp32!.value / (3 * 2 * 0.587e9)).toBeCloseTo(256, -1);
  });

  it("the Coral Dev Board's GC7000Lite has the published peak, which 4 shader cores x 4 FMA lanes x 0.8 GHz reproduce", () => {
    const g = loadProfile('coral-edge-tpu').units.gpu!;
    expect(g.peak.fp32!.value).toBeCloseTo(4 * 4 * 2 * 0.8e9, -6);
    expect(g.peak.fp16!.value).toBeCloseTo(2 * g.peak.fp32!.value, -6);
    expect(g.energy.pj_per_flop.value).toBeCloseTo(1 / 51.2e9 * 1e12, 2);
  });

  it('a unit the device has but no source lets us model is named with the reason', () => {
    const expected: Record<string, string[]> = { 'dimensity-9300': ['npu'], 'tensor-g3': ['npu'], 'raspberry-pi-5': ['gpu'] };
    for (const { id } of listProfiles()) {
      const p = loadProfile(id);
      const unmodelled = Object.keys(p.unmodelled_units ?? {});
      expect(unmodelled.sort(), id).toEqual((expected[id] ?? []).sort());
      for (const u of unmodelled) expect(p.units[u as UnitName], `${id} ${u}`).toBeUndefined();
    }
    expect(() => predict({ device: 'tensor-g3', unit: 'npu', model: 'llama-3.2-1b', weight_bits: 4 })).toThrow(/no unit "npu".*not modelled, Google publishes no peak/);
    expect(() => predict({ device: 'sc8280xp', unit: 'dsp', model: 'llama-3.2-1b', weight_bits: 4 })).toThrow(/no unit "dsp" \(units: cpu, gpu, npu\)$/);
  });

  it('unknown id lists the known ids', () => {
    expect(() => loadProfile('no-such-chip')).toThrow(ProfileError);
    expect(() => loadProfile('no-such-chip')).toThrow(/unknown device "no-such-chip".*known: .*snapdragon-8-gen-3/);
    expect(() => loadRuntime('nope')).toThrow(/unknown runtime "nope".*llama\.cpp/);
  });

  it('a broken profile gives file:line:col and the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mei-prof-'));
    const src = readFileSync(join(PROFILE_DIR, 'l4.yaml'), 'utf8');
    const bandwidthLine = src.split('\n').findIndex((l) => l.includes('bandwidth:')) + 1;
    writeFileSync(join(dir, 'l4.yaml'), src.replace('value: "300 GB/s"', 'value: "fast"'));
    expect(() => loadProfile('l4', [dir])).toThrow(new RegExp(`l4\\.yaml:${bandwidthLine}:\\d+: memory\\.bandwidth\\.value: expected a byterate`));

    // Missing provenance: the error points at the offending mapping.
    writeFileSync(join(dir, 'l4.yaml'), src.replace('capacity: { value: "24 GB", source: ', 'capacity: { value: "24 GB", note: '));
    const capLine = src.split('\n').findIndex((l) => l.includes('capacity:')) + 1;
    expect(() => loadProfile('l4', [dir])).toThrow(new RegExp(`l4\\.yaml:${capLine}:\\d+: memory\\.capacity: give exactly one of`));

    // YAML syntax errors also carry a position.
    writeFileSync(join(dir, 'l4.yaml'), 'id: l4\nname: [unclosed\n');
    expect(() => loadProfile('l4', [dir])).toThrow(/l4\.yaml:\d+:\d+: /);

    // Unknown keys are rejected with their location.
    writeFileSync(join(dir, 'l4.yaml'), src.replace('kind: "server"', 'kind: "server"\nflavour: "mint"'));
    expect(() => loadProfile('l4', [dir])).toThrow(/l4\.yaml:\d+:\d+: \(root\): unknown key\(s\) flavour/);
  });
});

describe('runtime profiles', () => {
  it('loads every required runtime', () => {
    for (const id of RUNTIME_IDS) {
      const r = loadRuntime(id);
      expect(r.id).toBe(id);
      expect(Object.keys(r.units).length).toBeGreaterThan(0);
    }
    expect(listRuntimes().map((r) => r.id)).toEqual(expect.arrayContaining(RUNTIME_IDS));
  });

  it('T-MAC decodes 4-bit faster than llama.cpp on a Pi 5 CPU (measured 3.35 / 1.63 = 2.06x)', () => {
    // The roofline charges llama.cpp's dequantization (extra int ops per weight) and not T-MAC's
    // lookup-table kernels, so the edge comes from the model, not from a runtime fudge factor.
    const q = { device: 'raspberry-pi-5', unit: 'cpu' as const, model: 'llama-2-7b', weight_bits: 4, threads: 2 };
    const ratio = predict({ ...q, runtime: 't-mac' }).decode_tok_s / predict({ ...q, runtime: 'llama.cpp' }).decode_tok_s;
    expect(ratio).toBeGreaterThan(1.5);
    expect(loadRuntime('t-mac').units.cpu!.weight_formats?.['4']?.compute?.value ?? 1).toBe(1);
  });

  // The NPU compute factors of rkllm and qnn come from the time to first token published beside the
  // calibration CSV's decode rates (same tables, a column the CSV leaves out). If the roofline, a
  // profile or the model catalog changes, these fail and the factor must be derived again.
  type TtftRow = { device: string; model: string; bits: number; prompt: number; ttft_ms: number };
  const measuredOverPredicted = (runtime: string, rows: TtftRow[]) =>
    rows.map((r) => {
      const p = predict({ device: r.device, unit: 'npu', model: r.model, weight_bits: r.bits, runtime, prompt: r.prompt, gen: 1 });
      return r.prompt / (r.ttft_ms / 1e3) / p.prefill_tok_s;
    });
  const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

  it("RKLLM's NPU compute factor reproduces the published RK3588 time to first token (README v1.1.0, w8a8, 64 tokens)", () => {
    // rknn-llm README "Model Performance Benchmark" (commit 1a502afb), TTFT in ms.
    const rows = ([
      ['tinyllama-1.1b', 140.46], ['qwen2-1.5b', 206.0], ['phi-3-mini', 516.0], ['chatglm3-6b', 800.0],
      ['gemma-2-2b', 342.29], ['internlm2-1.8b', 205.97], ['minicpm3-4b', 702.18], ['llama-3-8b', 1128.0],
    ] as const).map(([model, ttft_ms]) => ({ device: 'rk3588', model, bits: 8, prompt: 64, ttft_ms }));
    const r = measuredOverPredicted('rkllm', rows);
    expect(geomean(r)).toBeGreaterThan(0.98);
    expect(geomean(r)).toBeLessThan(1.02);
    // Every row within 25% (0.80-1.09 when derived): one factor fits all eight models.
    for (const x of r) expect(Math.abs(Math.log(x))).toBeLessThan(Math.log(1.25));
    expect(loadRuntime('rkllm').units.npu!.compute?.value).toBeCloseTo(0.539, 3);
  });

  it("QNN's NPU compute factor reproduces AI Hub's published time to first token (perf.yaml, 128-token pass)", () => {
    // quic/ai-hub-models perf.yaml, time_to_first_token_range_milliseconds.min (llama-2-7b: 1024-token prompt).
    const rows: TtftRow[] = ([
      ['snapdragon-8-elite-gen-5', 'llama-3.2-3b', 58.016], ['snapdragon-8-elite', 'llama-3.2-3b', 88.195], // w4a16
      ['snapdragon-8-elite-gen-5', 'llama-3.2-3b', 131.546], ['snapdragon-8-elite', 'llama-3.2-3b', 88.195], ['sa8295p', 'llama-3.2-3b', 373.117], // w4
      ['snapdragon-8-elite-gen-5', 'llama-3.2-1b', 53.757], ['snapdragon-8-elite', 'llama-3.2-1b', 81.244], ['sa8295p', 'llama-3.2-1b', 225.0], // w4
      ['snapdragon-8-elite-gen-5', 'llama-3.2-1b', 30.937], ['snapdragon-8-elite', 'llama-3.2-1b', 37.0651], // w4a16
    ] as const).map(([device, model, ttft_ms]) => ({ device, model, bits: 4, prompt: 128, ttft_ms }));
    rows.push({ device: 'snapdragon-8-elite', model: 'llama-2-7b', bits: 4, prompt: 1024, ttft_ms: 1440 });
    const r = measuredOverPredicted('qnn', rows);
    expect(geomean(r)).toBeGreaterThan(0.98);
    expect(geomean(r)).toBeLessThan(1.02);
    // w4 and w4a16 share one 4-bit format in the model, so rows spread 0.41-1.77 around the mean.
    for (const x of r) expect(Math.abs(Math.log(x))).toBeLessThan(Math.log(2.6));
    expect(loadRuntime('qnn').units.npu!.compute?.value).toBeCloseTo(0.368, 3);
  });
});
