/**
 * What a finished sweep leaves next to runs.csv: summary.csv (per point and
 * metric: n, mean, sd, 95% t-interval, quantiles) and the plots named in the
 * sweep file. The same builders serve `mei-sim plot` and `mei-sim report`
 * on a sweep folder (they need only runs.csv and manifest.json).
 */
import { join } from 'node:path';
import { aggregate, DEFAULT_EXCLUDE, type AggregateRow } from '../aggregate.ts';
import { groupedBars, heatmap, lineWithCI, titleFromField, type VlSpec } from '../plot/kinds.ts';
import { renderSpec } from '../plot/render.ts';
import type { Row } from '../table.ts';
import { cellText, toCsv, writeAtomic, type RawRow } from './runs-file.ts';
import type { PlotSpec } from './spec.ts';

export interface SweepInfo {
  parameters: string[];
  policy_column: string | null;
  plots?: PlotSpec[];
}

export const SUMMARY_STATS = ['n', 'n_nonfinite', 'mean', 'sd', 'ci95_lo', 'ci95_hi', 'half_width', 'p05', 'p50', 'p95'] as const;

export function byColumns(info: SweepInfo): string[] {
  return info.policy_column ? [...info.parameters, info.policy_column] : [...info.parameters];
}

/** Aggregate of the successful runs, per point (parameters and policy) and metric. */
export function summarizeRuns(rows: readonly Row[], info: SweepInfo): AggregateRow[] {
  const ok = rows.filter((r) => r.error === null || r.error === undefined);
  const by = byColumns(info);
  return aggregate(ok, { by, exclude: [...DEFAULT_EXCLUDE, ...by] });
}

export function summaryCsv(summary: readonly AggregateRow[], info: SweepInfo): string {
  const header = [...byColumns(info), 'metric', ...SUMMARY_STATS];
  const raw: RawRow[] = summary.map((r) => Object.fromEntries(header.map((c) => [c, cellText(r[c])])));
  return toCsv(header, raw, true);
}

export interface NamedChart {
  name: string;
  title: string;
  spec: VlSpec;
}

function distinct(rows: readonly Row[], c: string): number {
  return new Set(rows.map((r) => JSON.stringify(r[c] ?? null))).size;
}

/** Rows with a series column combining `series` and every other varying parameter than those on the axes. */
function withSeries(rows: Row[], info: SweepInfo, axes: string[], series: string | undefined): { rows: Row[]; series?: string } {
  const cols = [...(series ? [series] : []), ...byColumns(info).filter((c) => c !== series && !axes.includes(c) && distinct(rows, c) > 1)];
  if (cols.length === 0) return { rows };
  if (cols.length === 1) return { rows, series: cols[0]! };
  const label = cols.map((c) => (c === info.policy_column ? c : c.split('.').pop())).join(', ');
  return {
    rows: rows.map((r) => ({ ...r, [label]: cols.map((c) => (c === info.policy_column ? String(r[c]) : `${c.split('.').pop()}=${cellText(r[c])}`)).join(', ') })),
    series: label,
  };
}

/** Vega-lite specs for the plots a sweep asks for, from its summary rows. */
export function sweepCharts(summary: readonly AggregateRow[], info: SweepInfo, plots: PlotSpec[]): NamedChart[] {
  const out: NamedChart[] = [];
  for (const p of plots) {
    const metric = p.kind === 'heatmap' ? (p.value ?? '') : p.y;
    const rows = summary.filter((r) => r.metric === metric) as Row[];
    if (rows.length === 0) throw Object.assign(new Error(`plot ${p.name ?? p.kind}: no metric "${metric}" in the runs (have: ${[...new Set(summary.map((r) => r.metric))].join(', ')})`), { exitCode: 2 });
    const name = p.name ?? `${p.kind}-${metric}`;
    const title = p.title ?? `${titleFromField(metric)} vs ${titleFromField(p.x)}`;
    let spec: VlSpec;
    if (p.kind === 'heatmap') {
      spec = heatmap(rows, { x: p.x, y: p.y, value: 'mean', valueTitle: `mean ${titleFromField(metric)}`, title });
    } else {
      const s = withSeries(rows, info, [p.x], p.series);
      const common = { title, lo: 'ci95_lo', hi: 'ci95_hi', series: s.series };
      spec =
        p.kind === 'line'
          ? lineWithCI(s.rows, { ...common, x: p.x, y: 'mean', yTitle: `${titleFromField(metric)}, mean ± 95% CI`, logX: p.log_x, logY: p.log_y })
          : groupedBars(s.rows, { ...common, category: p.x, value: 'mean', valueTitle: `${titleFromField(metric)}, mean ± 95% CI` });
    }
    out.push({ name, title, spec });
  }
  return out;
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

/** Write summary.csv and render the sweep file's plots into plots/. */
export async function writeSweepSummary(dir: string, rows: Row[], manifest: Record<string, unknown>): Promise<void> {
  const info = manifest as unknown as SweepInfo;
  const summary = summarizeRuns(rows, info);
  writeAtomic(join(dir, 'summary.csv'), summaryCsv(summary, info));
  for (const c of sweepCharts(summary, info, info.plots ?? [])) await renderSpec(c.spec, join(dir, 'plots', c.name));
}
