/**
 * What a finished sweep leaves next to runs.csv: summary.csv (per point and
 * metric: n, mean, sd, 95% t-interval, quantiles) and the plots named in the
 * sweep file. The same builders serve `mei-sim plot` and `mei-sim report`
 * on a sweep folder (they need only runs.csv and manifest.json).
 */
import { join } from 'node:path';
import { aggregate, compareCells, DEFAULT_EXCLUDE, type AggregateRow } from '../aggregate.ts';
import { groupedBars, heatmap, lineWithCI, titleFromField, type VlSpec } from '../plot/kinds.ts';
import { renderSpec } from '../plot/render.ts';
import type { Row } from '../table.ts';
import { cellText, toCsv, writeAtomic, type RawRow } from './runs-file.ts';
import type { PlotSpec } from './spec.ts';
import { closest, InputError } from '../../sim/common/errors.ts';

export interface SweepInfo {
  parameters: string[];
  policy_column: string | null;
  plots?: PlotSpec[];
}

export const SUMMARY_STATS = ['n', 'n_nonfinite', 'mean', 'sd', 'ci95_lo', 'ci95_hi', 'half_width', 'p05', 'p50', 'p95'] as const;

export function byColumns(info: SweepInfo): string[] {
  return info.policy_column ? [...info.parameters, info.policy_column] : [...info.parameters];
}

/**
 * Rows in the canonical order of runs.csv (the `by` columns, then the seed).
 * Sums of floating-point numbers depend on their order, so every aggregate is
 * computed from rows in this order: its bytes then do not depend on the order
 * in which runs completed (workers, backend, interruptions).
 */
export function canonicalRows(rows: readonly Row[], by: readonly string[]): Row[] {
  const cols = [...by, 'seed'];
  return rows.slice().sort((a, b) => {
    for (const c of cols) {
      const d = compareCells(a[c] ?? null, b[c] ?? null);
      if (d !== 0) return d;
    }
    return 0;
  });
}

/** Aggregate of the successful runs, per point (parameters and policy) and metric, over rows in canonical order. */
export function summarizeRuns(rows: readonly Row[], info: SweepInfo): AggregateRow[] {
  const by = byColumns(info);
  const ok = canonicalRows(rows.filter((r) => r.error === null || r.error === undefined), by);
  return aggregate(ok, { by, exclude: [...DEFAULT_EXCLUDE, ...by] });
}

export function summaryCsv(summary: readonly AggregateRow[], info: SweepInfo): string {
  const header = [...byColumns(info), 'metric', ...SUMMARY_STATS];
  const raw: RawRow[] = summary.map((r) => Object.fromEntries(header.map((c) => [c, cellText(r[c])])));
  return toCsv(header, raw, true);
}

/** `WHERE: no WHAT "name" (did you mean ...?); available WHATs: a, b` */
export function unknownNameMessage(where: string, what: string, name: string, available: readonly string[]): string {
  // a close spelling, else the shortest name containing it (hit_ratio -> cache_hit_ratio)
  const containing = name.length >= 3 ? available.filter((a) => a.includes(name)).sort((a, b) => a.length - b.length)[0] : undefined;
  const hint = closest(name, available) ?? containing;
  const list = available.length > 0 ? available.join(', ') : '(none)';
  return `${where}: no ${what} "${name}"${hint ? ` (did you mean ${hint}?)` : ''}; available ${what}s: ${list}`;
}

export interface NamedChart {
  name: string;
  title: string;
  spec: VlSpec;
}

function distinct(rows: readonly Row[], c: string): number {
  return new Set(rows.map((r) => JSON.stringify(r[c] ?? null))).size;
}

/** Whether column `c` is a function of the axes (a zip partner, e.g. the positions behind a distance label): it splits no line. */
function determinedBy(rows: readonly Row[], axes: readonly string[], c: string): boolean {
  const seen = new Map<string, string>();
  for (const r of rows) {
    const k = JSON.stringify(axes.map((a) => r[a] ?? null));
    const v = JSON.stringify(r[c] ?? null);
    const prev = seen.get(k);
    if (prev !== undefined && prev !== v) return false;
    seen.set(k, v);
  }
  return true;
}

/**
 * Rows with a series column combining `series` and every other varying parameter than those on the
 * axes, leaving out parameters the axes determine (zip partners of an axis).
 */
function withSeries(rows: Row[], info: SweepInfo, axes: string[], series: string | undefined): { rows: Row[]; series?: string } {
  const cols = [
    ...(series ? [series] : []),
    ...byColumns(info).filter((c) => c !== series && !axes.includes(c) && distinct(rows, c) > 1 && !determinedBy(rows, axes, c)),
  ];
  if (cols.length === 0) return { rows };
  if (cols.length === 1) return { rows, series: cols[0]! };
  const label = cols.map((c) => (c === info.policy_column ? c : c.split('.').pop())).join(', ');
  return {
    rows: rows.map((r) => ({ ...r, [label]: cols.map((c) => (c === info.policy_column ? String(r[c]) : `${c.split('.').pop()}=${cellText(r[c])}`)).join(', ') })),
    series: label,
  };
}

/**
 * Check a plot's names against a summary: x, series (and a heatmap's y) must
 * be parameter or policy columns, y (a heatmap's value) a metric of the runs.
 * Throws InputError listing what there is, with a did-you-mean.
 */
export function checkPlotNames(summary: readonly AggregateRow[], info: SweepInfo, p: PlotSpec, flags = { x: 'x', y: 'y', value: 'value', series: 'series' }): void {
  const columns = byColumns(info);
  const label = `plot ${p.name ?? p.kind}`;
  const col = (name: string, key: keyof typeof flags) => {
    if (!columns.includes(name)) {
      throw new InputError(`${label}: ${unknownNameMessage(flags[key], 'column', name, columns).replace('available columns', 'available columns (parameters and policy)')}`);
    }
  };
  col(p.x, 'x');
  if (p.series !== undefined) col(p.series, 'series');
  if (p.kind === 'heatmap') {
    col(p.y, 'y');
    if (p.value === undefined) throw new InputError(`${label}: a heatmap needs ${flags.value} METRIC`);
  }
  const metric = p.kind === 'heatmap' ? p.value! : p.y;
  const metrics = [...new Set(summary.map((r) => r.metric))];
  if (!metrics.includes(metric)) {
    const key = p.kind === 'heatmap' ? 'value' : 'y';
    throw new InputError(`${label}: ${unknownNameMessage(flags[key], 'metric', metric, metrics)}`);
  }
}

/**
 * Vega-lite specs for the plots a sweep asks for, from its summary rows. A
 * name that is not in the summary is bad input (InputError); with `skipEmpty`
 * (the plots a finished sweep renders) a plot whose metric has no values at
 * all (every run failed, an empty shard) is skipped and reported in `skipped`.
 */
export function sweepCharts(summary: readonly AggregateRow[], info: SweepInfo, plots: PlotSpec[], opts: { skipEmpty?: boolean; skipped?: string[] } = {}): NamedChart[] {
  const out: NamedChart[] = [];
  for (const p of plots) {
    const metric = p.kind === 'heatmap' ? (p.value ?? '') : p.y;
    let rows = summary.filter((r) => r.metric === metric) as Row[];
    // A quantity that does not go negative (every point's 5th percentile >= 0: times, bytes, energies)
    // gets its CI band drawn from 0 at the lowest; summary.csv keeps the t-interval as computed.
    if (rows.length > 0 && rows.every((r) => !(Number(r.p05) < 0))) {
      rows = rows.map((r) => (Number(r.ci95_lo) < 0 ? { ...r, ci95_lo: 0 } : r));
    }
    if (opts.skipEmpty && !rows.some((r) => Number(r.n) > 0)) {
      opts.skipped?.push(p.name ?? `${p.kind}-${metric}`);
      continue;
    }
    checkPlotNames(summary, info, p);
    const name = p.name ?? `${p.kind}-${metric}`;
    const title = p.title ?? `${titleFromField(metric)} vs ${titleFromField(p.x)}`;
    let spec: VlSpec;
    if (p.kind === 'heatmap') {
      spec = heatmap(rows, { x: p.x, y: p.y, value: 'mean', valueTitle: `mean ${titleFromField(metric)}`, title });
    } else {
      const s = withSeries(rows, info, [p.x], p.series);
      const common = { title, subtitle: partialNote(s.rows, p.x, s.series), lo: 'ci95_lo', hi: 'ci95_hi', series: s.series };
      spec =
        p.kind === 'line'
          ? lineWithCI(s.rows, { ...common, x: p.x, y: 'mean', yTitle: `${titleFromField(metric)}, mean ± 95% CI`, logX: p.log_x, logY: p.log_y })
          : groupedBars(s.rows, { ...common, category: p.x, value: 'mean', valueTitle: `${titleFromField(metric)}, mean ± 95% CI` });
    }
    out.push({ name, title, spec });
  }
  return out;
}

/**
 * Points whose mean leaves runs out (the metric had no finite value in them: e.g. no training round
 * finished in the horizon), said under the title, since such a point and its neighbours average different runs.
 */
export function partialNote(rows: readonly Row[], x: string, series: string | undefined): string[] | undefined {
  // Points with no value at all are not drawn (a policy that does not report the metric); those with some are.
  const partial = rows.filter((r) => Number(r.n) > 0 && Number(r.n_nonfinite) > 0);
  if (partial.length === 0) return undefined;
  const shown = partial.slice(0, 3).map((r) => `${series !== undefined ? `${cellText(r[series])} ` : ''}at ${x} = ${cellText(r[x])}: ${Number(r.n)} of ${Number(r.n) + Number(r.n_nonfinite)} runs`);
  const more = partial.length > shown.length ? [`and ${partial.length - shown.length} more (see n_nonfinite in summary.csv)`] : ['see n_nonfinite in summary.csv'];
  return [`${partial.length === 1 ? 'A point averages' : `${partial.length} points average`} fewer runs (the others gave no value):`, ...shown, ...more];
}

/** Metrics with finite means that are not the same constant at every point (those make empty plots). */
export function varyingMetrics(summary: readonly AggregateRow[]): string[] {
  const out: string[] = [];
  for (const m of new Set(summary.map((r) => r.metric))) {
    const rows = summary.filter((r) => r.metric === m && r.n > 0 && Number.isFinite(r.mean));
    if (rows.length > 0 && rows.some((r) => r.mean !== rows[0]!.mean || r.sd > 0)) out.push(m);
  }
  return out;
}

/**
 * Plots when the sweep names none: per metric (at most `max`), a line over the
 * first numeric parameter with several values, one line per policy; or bars
 * per policy when nothing numeric varies.
 */
export function defaultPlots(summary: readonly AggregateRow[], info: SweepInfo, max = 8): PlotSpec[] {
  const metrics = varyingMetrics(summary).slice(0, max);
  const x = info.parameters.find((c) => summary.every((r) => typeof r[c] === 'number') && distinct(summary as unknown as Row[], c) > 1);
  const base = { log_x: false, log_y: false };
  if (x !== undefined) return metrics.map((m) => ({ ...base, kind: 'line' as const, x, y: m, ...(info.policy_column ? { series: info.policy_column } : {}) }));
  const cat = info.policy_column ?? info.parameters[0];
  if (cat === undefined) return [];
  return metrics.map((m) => ({ ...base, kind: 'bars' as const, x: cat, y: m }));
}

/**
 * Write summary.csv and render the sweep file's plots into plots/ (the plot
 * names were checked before the runs; a plot with no values, e.g. of an empty
 * shard, is skipped). Returns the names of the skipped plots.
 */
export async function writeSweepSummary(dir: string, rows: Row[], manifest: Record<string, unknown>): Promise<string[]> {
  const info = manifest as unknown as SweepInfo;
  const summary = summarizeRuns(rows, info);
  writeAtomic(join(dir, 'summary.csv'), summaryCsv(summary, info));
  const skipped: string[] = [];
  for (const c of sweepCharts(summary, info, info.plots ?? [], { skipEmpty: true, skipped })) await renderSpec(c.spec, join(dir, 'plots', c.name));
  return skipped;
}
