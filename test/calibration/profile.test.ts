import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stringify } from 'yaml';
import { fitModel, validate } from '../../sim/calibration/fit.ts';
import { HOST_ID_MAX, hostInfo, defaultHostId, hostIdFrom, slug } from '../../sim/calibration/host.ts';
import { runCalibrate } from '../../sim/cli/commands/calibrate.ts';
import { InputError } from '../../sim/common/errors.ts';
import { buildProfile, singleThreadBandwidth } from '../../sim/calibration/profile.ts';
import { resolveUnitCtx, threadBandwidth } from '../../sim/hardware/roofline.ts';
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

  it('the load average at start is noted but does not change the written peak or bandwidth', () => {
    const busy = { ...r, host: { ...r.host, cores: 2, loadavg: [7, 7, 7] } };
    const quiet = { ...r, host: { ...r.host, cores: 2, loadavg: [0, 0, 0] } };
    const q = buildProfile(busy, 'busy-host');
    const p2 = buildProfile(quiet, 'quiet-host');
    // before: 2 cores x the single-thread peak when busy, the 2-thread run when quiet
    expect(q.units.cpu!.peak.fp32!.value).toBe(p2.units.cpu!.peak.fp32!.value);
    expect(q.memory.bandwidth.value).toBe(p2.memory.bandwidth.value);
    expect(q.units.cpu!.peak.fp32!.derived).toMatch(/machine busy/);
  });

  it('calibrated with --threads 1 on a 2-core host: one simulated thread gets the measured single-thread rate', () => {
    const one = [
      { ...r.parallel[0]!, threads: 1, bytes: 1.1 * BW.DRAM, size: 2e8 },
      { ...r.parallel[1]!, threads: 1, flops: 1.01 * PEAK.fp32 },
    ];
    // the measured single-thread rate: the best of the single-thread suite and the 1-thread run
    const measured1 = Math.max(r.model.roofline.peak.fp32!, 1.01 * PEAK.fp32);
    for (const loadavg of [[0, 0, 0], [1.6, 1.6, 1.6]]) {
      const q = buildProfile({ ...r, host: { ...r.host, cores: 2, loadavg }, parallel: one }, 'one-thread');
      const cl = q.units.cpu!.clusters![0]!;
      expect(cl.cores).toBe(1);
      expect(cl.source).toMatch(/cores = 1, the worker threads measured \(this host has 2 logical CPUs/);
      // before: cores 2 and peak = the 1-thread figure, so one simulated thread got half of it
      expect(resolveUnitCtx(q, 'cpu', undefined, 16, 1).peak.fp32 / measured1).toBeCloseTo(1, 9);
      expect(resolveUnitCtx(q, 'cpu', undefined, 16, 2).peak.fp32 / measured1).toBeCloseTo(1, 9);
    }
    // 2 threads measured on 2 cores: 2 simulated threads get the 2-thread measurement
    const c2 = resolveUnitCtx(buildProfile({ ...r, host: { ...r.host, cores: 2 } }, 'two'), 'cpu', undefined, 16, 2);
    expect(c2.peak.fp32 / (1.8 * PEAK.fp32)).toBeCloseTo(1, 9);
  });

  it('the written memory efficiency reproduces the fitted GEMV time with the written bandwidth', () => {
    // memory.bandwidth is the 2-thread triad (1.2 x DRAM) here, not the plateau the fit used
    const ctx = resolveUnitCtx(p, 'cpu', undefined, 32, 1);
    const gemv = r.measurements.filter((m) => m.kernel === 'gemv_fp32' && m.impl === 'wasm' && m.split !== 'tiny');
    expect(gemv.length).toBeGreaterThan(2);
    for (const m of gemv) {
      const t = m.bytes / (ctx.bw * ctx.eta_m) + ctx.overhead_s;
      expect(Math.abs(t / m.time_s - 1), `n=${m.size}`).toBeLessThan(0.03);
    }
    expect(p.defaults.efficiency.memory.derived).toMatch(/DRAM plateau/);
  });

  it('without a GEMV on the DRAM plateau, the memory efficiency reproduces the largest GEMV', () => {
    // the reviewer's case: one GEMV at 64 MiB (below the 96 MiB plateau) at 0.5 x the DRAM rate
    const ws = 64 * 2 ** 20;
    const big = { ...r.measurements.find((m) => m.kernel === 'gemv_fp32' && m.impl === 'wasm')!, size: 4096, bytes: ws, ws_bytes: ws, time_s: ws / (0.5 * BW.DRAM), split: 'train' as const };
    const rest = r.measurements.filter((m) => !(m.kernel === 'gemv_fp32' && m.impl === 'wasm' && m.split !== 'tiny'));
    const q = buildProfile({ ...r, measurements: [...rest, big] }, 'gemv64');
    const ctx = resolveUnitCtx(q, 'cpu', undefined, 32, 1);
    expect((big.bytes / (ctx.bw * ctx.eta_m) + ctx.overhead_s) / big.time_s).toBeCloseTo(1, 3);
    expect(q.defaults.efficiency.memory.derived).toMatch(/largest size only/);
  });

  it('with an LLC too large for a DRAM plateau, memory bandwidth is the largest STREAM size, never the LLC level', () => {
    const caches = [48 * 1024, 2 * 2 ** 20, 105 * 2 ** 20]; // 3 x LLC = 315 MiB > the 256 MiB largest size
    const model = fitModel(r.measurements, caches);
    const q = buildProfile({ ...r, host: { ...r.host, caches_bytes: caches }, parallel: [], model }, 'big-llc');
    // before: the LLC plateau (90 GB/s) was written as memory bandwidth
    expect(q.memory.bandwidth.value / BW.DRAM).toBeCloseTo(1, 1);
    expect(q.memory.bandwidth.derived).toMatch(/largest working set measured/);
    expect(reportMarkdown({ ...r, model })).toMatch(/No STREAM size reached the DRAM plateau/);
  });

  it('the overhead note counts the tiny calls its minimum is taken over', () => {
    const tinyWasm = r.measurements.filter((m) => m.split === 'tiny' && m.impl === 'wasm');
    expect(p.units.cpu!.overhead.derived).toContain(`minimum over the ${tinyWasm.length} tiny wasm calls: ${tinyWasm.map((m) => m.kernel).join(', ')}`);
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

  it('--host-id: slugged with a note, accents kept as letters, empty or over-long ids refused', () => {
    const notes: string[] = [];
    expect(hostIdFrom('My Laptop (15W)', (m) => notes.push(m))).toBe('my-laptop-15w');
    expect(notes[0]).toMatch(/written as the profile id "my-laptop-15w"/);
    expect(hostIdFrom('Ünïcode-Pi')).toBe('unicode-pi');
    expect(hostIdFrom('jetson-orin-nano-15w', (m) => notes.push(m))).toBe('jetson-orin-nano-15w');
    expect(notes).toHaveLength(1);
    for (const bad of ['___', '...', '', '树莓派', 'a'.repeat(HOST_ID_MAX + 1)]) expect(() => hostIdFrom(bad), bad).toThrow(InputError);
    expect(profileSchema.shape.id.safeParse(hostIdFrom('a'.repeat(HOST_ID_MAX))).success).toBe(true);
  });

  it('calibrate refuses a bad --host-id or --threads before measuring anything', async () => {
    // a measurement would take > 20 s; the 3 s limit of these tests proves nothing ran
    await expect(runCalibrate({ hostId: '___', quick: true, out: '/tmp/fix-cal/never' }, () => {})).rejects.toThrow(/--host-id "___" has no letter or digit/);
    await expect(runCalibrate({ threads: 1.5, quick: true, out: '/tmp/fix-cal/never' }, () => {})).rejects.toThrow(InputError);
  }, 3000);

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
