/** report.json, report.md and the vega-lite roofline plot of a calibration. */
import { AGREE_TOLERANCE, bandwidthAt } from './fit.ts';
import type { CalibrationResult } from './run.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const si = (x: number, unit: string) => {
  const p = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n']] as const;
  const [f, s] = p.find(([f]) => Math.abs(x) >= f) ?? [1e-9, 'n'];
  return `${(x / f).toPrecision(3)} ${s}${unit}`;
};
const bytes = (x: number) => (x >= 2 ** 20 ? `${(x / 2 ** 20).toFixed(x >= 2 ** 24 ? 0 : 1)} MiB` : `${(x / 1024).toFixed(0)} KiB`);

/** Measured points (achieved FLOP/s vs arithmetic intensity) over the fitted roofline, log-log. */
export function rooflineSpec(r: CalibrationResult): object {
  const roof = r.model.roofline;
  const ai = [1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16, 32, 64, 128, 256];
  const lines: Record<string, unknown>[] = [];
  for (const l of roof.levels) {
    for (const [dt, peak] of Object.entries(roof.peak)) {
      if (dt === 'fp64') continue;
      for (const x of ai) lines.push({ intensity: x, flops: Math.min(peak!, x * l.bandwidth), ceiling: `${dt} / ${l.name}` });
    }
  }
  const points = r.measurements
    .filter((m) => m.flops > 0)
    .map((m) => ({ intensity: m.flops / m.bytes, flops: m.flops / m.time_s, kernel: `${m.kernel} (${m.impl})`, split: m.split, ws: m.ws_bytes }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Empirical roofline: ${r.host.cpu_model}, 1 thread (${r.mode})`,
    width: 640,
    height: 420,
    layer: [
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.6 },
        encoding: {
          x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' }, title: 'arithmetic intensity (FLOP/byte)', axis: { format: '~g' } },
          y: { field: 'flops', type: 'quantitative', scale: { type: 'log' }, title: 'achieved FLOP/s', axis: { format: '~s' } },
          detail: { field: 'ceiling', type: 'nominal' },
          color: { value: '#888' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' } },
          y: { field: 'flops', type: 'quantitative', scale: { type: 'log' } },
          color: { field: 'kernel', type: 'nominal', scale: { scheme: 'category20' } },
          shape: { field: 'split', type: 'nominal' },
          tooltip: [{ field: 'kernel' }, { field: 'ws' }, { field: 'flops' }],
        },
      },
    ],
  };
}

export function reportJson(r: CalibrationResult): object {
  return {
    host: r.host,
    mode: r.mode,
    elapsed_s: r.elapsed_s,
    options: r.options,
    guard_checksum: r.guard,
    self_checks: r.self_checks,
    roofline: r.model.roofline,
    efficiency_fits: r.model.eta,
    holdout: { mape: r.holdout.mape, per_kernel: r.holdout.per_kernel, rows: r.holdout.rows },
    train: { mape: r.train.mape, per_kernel: r.train.per_kernel },
    parallel: r.parallel,
    measurements: r.measurements,
  };
}

export function reportMarkdown(r: CalibrationResult, files: { profile?: string; plot?: string[] } = {}): string {
  const roof = r.model.roofline;
  const h = r.host;
  const L: string[] = [];
  L.push(`# Calibration report: ${h.cpu_model} (${h.hostname})`, '');
  L.push(`- date ${h.date}, mode ${r.mode}, elapsed ${r.elapsed_s.toFixed(1)} s`);
  L.push(`- ${h.cores} cores, ${h.arch}/${h.platform}, Node ${h.node}, memory ${bytes(h.total_memory_bytes)}; load average at start ${h.loadavg.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min)${h.loadavg[0]! > 0.5 * h.cores ? ' - the machine was busy: multi-thread figures are lower bounds' : ''}`);
  L.push(`- caches ${h.caches_bytes ? h.caches_bytes.map(bytes).join(' / ') + ` (${h.cache_source})` : 'unknown (levels found by clustering the STREAM curve)'}`);
  L.push(`- timing: ${r.options.warmup} warm-up + ${r.options.reps} timed samples of >= ${r.options.min_sample_s * 1e3} ms each (process.hrtime.bigint); the fit uses the best sample (STREAM convention), the tables give the median and IQR`);
  L.push(`- dead-code guard checksum: ${r.guard.toExponential(6)}; every kernel passed its self-check (${r.self_checks.length} checks) and its post-timing reference check`);
  if (files.profile) L.push(`- profile: \`${files.profile}\``);
  if (files.plot) L.push(`- plot: ${files.plot.map((f) => `\`${f}\``).join(', ')}`);
  L.push('', '## Fitted roofline (1 thread)', '', '| level | working set | bandwidth | ts | wasm-simd |', '|---|---|---|---|---|');
  for (const l of roof.levels) {
    const mark = l.basis === 'largest working set' ? ' (largest size measured)' : '';
    L.push(`| ${l.name}${mark} | ${bytes(l.lo_bytes)} .. ${Number.isFinite(l.hi_bytes) ? bytes(l.hi_bytes) : '∞'} | ${si(l.bandwidth, 'B/s')} | ${si(l.bandwidth_by_impl.ts ?? NaN, 'B/s')} | ${si(l.bandwidth_by_impl.wasm ?? NaN, 'B/s')} |`);
  }
  const dramLevel = roof.levels.find((l) => l.name === 'DRAM');
  if (dramLevel?.basis === 'largest working set') {
    L.push('', `No STREAM size reached the DRAM plateau (3 x LLC): the DRAM bandwidth is the rate at the largest working set measured, ${bytes(dramLevel.lo_bytes)}, an upper bound (part of it may still hit the LLC).`);
  }
  L.push('', '| dtype | peak | ts | wasm-simd | ridge at DRAM (FLOP/byte) |', '|---|---|---|---|---|');
  const dram = roof.levels[roof.levels.length - 1]!;
  for (const [dt, p] of Object.entries(roof.peak)) {
    const bi = roof.peak_by_impl[dt as 'fp32'] ?? {};
    L.push(`| ${dt} | ${si(p!, 'FLOP/s')} | ${bi.ts ? si(bi.ts, 'FLOP/s') : '-'} | ${bi.wasm ? si(bi.wasm, 'FLOP/s') : '-'}${dt === 'fp64' && bi.wasm ? ' (derived: fp32/2)' : ''} | ${(p! / dram.bandwidth).toFixed(2)} |`);
  }
  L.push('', `Per-operator overhead: ${Object.entries(roof.overhead_s).map(([k, v]) => `${k} ${si(v!, 's')}`).join(', ')}.`);
  if (r.parallel.length) {
    L.push('', '## Threads', '', '| kernel | threads | size | aggregate FLOP/s | aggregate bytes/s | IQR/median |', '|---|---|---|---|---|---|');
    for (const p of r.parallel) L.push(`| ${p.kernel} (${p.impl}) | ${p.threads} | ${p.size} | ${si((p.threads * p.flops) / p.min_s, 'FLOP/s')} | ${si((p.threads * p.bytes) / p.min_s, 'B/s')} | ${pct(p.iqr_rel)} |`);
  }
  L.push('', '## Validation on held-out sizes', '', `Held-out MAPE **${pct(r.holdout.mape)}** over ${r.holdout.rows.length} points (target <= 15%, goal 8%); training MAPE ${pct(r.train.mape)}.`, '');
  L.push('| kernel | impl | points | MAPE | max abs error |', '|---|---|---|---|---|');
  for (const k of r.holdout.per_kernel) L.push(`| ${k.kernel} | ${k.impl} | ${k.points} | ${pct(k.mape)} | ${pct(k.max_abs_error)} |`);
  L.push('', `| kernel | impl | size | working set | level | intensity | ridge | bound | within ${pct(AGREE_TOLERANCE)} | eta | measured (median, IQR) | predicted | error |`, '|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of r.holdout.rows) {
    const m = r.measurements.find((x) => x.kernel === row.kernel && x.impl === row.impl && x.size === row.size && x.split === 'holdout')!;
    L.push(
      `| ${row.kernel} | ${row.impl} | ${row.size} | ${bytes(row.ws_bytes)} | ${row.level} | ${row.intensity.toFixed(3)} | ${row.ridge.toFixed(3)} | ${row.bound} | ${row.agrees ? 'yes' : 'NO'} | ${row.eta.toFixed(3)} | ${si(row.time_s, 's')} (${si(m.timing.median_s, 's')}, ${pct(m.timing.iqr_rel)}) | ${si(row.t_pred_s, 's')} | ${(100 * row.error).toFixed(1)}% |`,
    );
  }
  L.push('', `Bound: compute when the arithmetic intensity exceeds the ridge point (peak / bandwidth of the level the working set falls in), else memory. Within ${pct(AGREE_TOLERANCE)}: the prediction is within ${pct(AGREE_TOLERANCE)} of the measured time (the MAPE target). Prediction: t = max(FLOP / peak, bytes / bw(level)) / eta + overhead, eta fitted per kernel, implementation and regime on the training sizes only.`);
  L.push('', `Bandwidth used for a working set between two plateaus is interpolated log-log (e.g. ${bytes(2 ** 21)}: ${si(bandwidthAt(roof.levels, 2 ** 21), 'B/s')}).`);
  return L.join('\n') + '\n';
}
