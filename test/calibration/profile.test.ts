import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stringify } from 'yaml';
import { fitModel, validate } from '../../sim/calibration/fit.ts';
import { hostInfo, defaultHostId, slug } from '../../sim/calibration/host.ts';
import { buildProfile, singleThreadBandwidth } from '../../sim/calibration/profile.ts';
import { threadBandwidth } from '../../sim/hardware/roofline.ts';
import { reportMarkdown, rooflineSpec } from '../../sim/calibration/report.ts';
import type { CalibrationResult } from '../../sim/calibration/run.ts';
import { profileSchema } from '../../sim/hardware/profile-schema.ts';
import { BW, CACHES, PEAK, synth } from './synth.ts';

function fakeResult(): CalibrationResult {
  const pts = synth('profile');
  const model = fitModel(pts, CACHES);
  const timing = { median_s: 1, q1_s: 1, q3_s: 1, min_s: 1, max_s: 1, iqr_rel: 0, reps: 5, iters: 1, guard: 1 };
  return {
    host: { ...hostInfo(), caches_bytes: CACHES, loadavg: [0, 0, 0] },
    mode: 'quick',
    options: { warmup: 1, reps: 5, min_sample_s: 0.002 },
    self_checks: [],
    measurements: pts.map((p) => ({ ...p, timing: { ...timing, min_s: p.time_s, median_s: p.time_s }, check_ok: true, max_rel_err: 0, checksum: 0 })),
    parallel: [
      { ...timing, min_s: 1, threads: 2, flops: 0, bytes: 0.6 * BW.DRAM, ws_bytes: 1e8, checks_ok: true, checksum: 0, kernel: 'stream_triad', impl: 'wasm', size: 1e8 },
      { ...timing, min_s: 1, threads: 2, flops: 0.9 * PEAK.fp32, bytes: 1, ws_bytes: 1, checks_ok: true, checksum: 0, kernel: 'gemm_fp32', impl: 'wasm', size: 256 },
    ],
    model,
    holdout: validate(model, pts, 'holdout'),
    train: validate(model, pts, 'train'),
    guard: 42,
    elapsed_s: 1,
  };
}

describe('calibrated profile', () => {
  const r = fakeResult();
  const p = buildProfile(r, 'test-host');

  it('validates against the hardware profile schema, also after a YAML round trip', () => {
    expect(p.kind).toBe('host');
    const again = profileSchema.parse(parse(stringify(p)));
    expect(again.units.cpu!.peak.fp32!.value).toBeCloseTo(p.units.cpu!.peak.fp32!.value, 0);
  });

  it('takes the multi-thread peak and bandwidth when they beat one thread', () => {
    expect(p.units.cpu!.peak.fp32!.value).toBeCloseTo(1.8 * PEAK.fp32, -3);
    expect(p.memory.bandwidth.value).toBeCloseTo(1.2 * BW.DRAM, -3);
    expect(p.memory.capacity.value).toBe(r.host.total_memory_bytes);
  });

  it('on a busy machine derives the all-core peak from cores x the single-thread peak', () => {
    const busy = { ...r, host: { ...r.host, cores: 4, loadavg: [7, 7, 7] } };
    const q = buildProfile(busy, 'busy-host');
    expect(q.units.cpu!.peak.fp32!.value).toBeCloseTo(4 * r.model.roofline.peak.fp32!, -3);
    expect(q.units.cpu!.peak.fp32!.derived).toMatch(/machine busy/);
  });

  it('marks every energy and power value as derived, never measured', () => {
    const c = p.units.cpu!;
    expect(c.energy.pj_per_flop.derived).toMatch(/not measured.*Horowitz/);
    expect(c.energy.pj_per_dram_byte.derived).toMatch(/not measured.*Horowitz/);
    expect(p.power.sustained.derived).toMatch(/not measured/);
    expect(p.defaults.efficiency.compute.value).toBeLessThanOrEqual(1);
  });

  it('carries provenance with per-level bandwidths and fit residuals', () => {
    const prov = p.provenance as { bandwidth_per_level: { level: string }[]; fit_residuals: { holdout_mape: number } };
    expect(prov.bandwidth_per_level.map((l) => l.level)).toEqual(['L1', 'L2', 'LLC', 'DRAM']);
    expect(prov.fit_residuals.holdout_mape).toBeLessThan(0.05);
  });

  it('report and plot spec mention every held-out kernel', () => {
    const md = reportMarkdown(r);
    for (const k of r.holdout.per_kernel) expect(md).toContain(`| ${k.kernel} | ${k.impl} |`);
    const spec = rooflineSpec(r) as { layer: { data: { values: unknown[] } }[] };
    expect(spec.layer[1]!.data.values.length).toBeGreaterThan(10);
  });

  it('host ids are slugs that the profile schema accepts', () => {
    expect(slug('Intel(R) Core(TM) i7-1185G7 @ 3.00GHz')).toBe('intel-core-i7-1185g7-3.00ghz');
    expect(profileSchema.shape.id.safeParse(defaultHostId(hostInfo())).success).toBe(true);
  });

  it('measures the DRAM bandwidth of one thread: the 1-thread STREAM triad when it beats the single-thread plateau', () => {
    expect(singleThreadBandwidth(r).value).toBeCloseTo(r.model.roofline.levels.find((l) => l.name === 'DRAM')!.bandwidth, -3);
    const one = { ...r.parallel[0]!, threads: 1, bytes: 1.1 * BW.DRAM, size: 2e8 };
    const r1 = { ...r, parallel: [...r.parallel, one] };
    const st = singleThreadBandwidth(r1);
    expect(st.value).toBeCloseTo(1.1 * BW.DRAM, -3);
    expect(st.derived).toMatch(/1-thread STREAM triad/);
  });

  // The calibrated profile can state its measured per-core bandwidth only once the profile schema
  // has a cluster field for it (bandwidth_per_core) that the roofline's per-thread cap reads.
  it('one thread of a calibrated host gets the measured bandwidth, not the Little\'s-law per-core cap', () => {
    const one = { ...r.parallel[0]!, threads: 1, bytes: 1.1 * BW.DRAM, size: 2e8 };
    const q = buildProfile({ ...r, parallel: [...r.parallel, one] }, 'bw-host');
    const cpu = q.units.cpu!;
    expect(threadBandwidth(cpu, 1, q.memory.bandwidth.value)).toBeCloseTo(1.1 * BW.DRAM, -3);
    expect(threadBandwidth(cpu, 2, q.memory.bandwidth.value)).toBeCloseTo(Math.min(q.memory.bandwidth.value, 2 * 1.1 * BW.DRAM), -3);
  });
});
