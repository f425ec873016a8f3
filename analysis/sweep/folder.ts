/**
 * What `mei-sim plot` and `mei-sim report` see in an output folder: a run
 * (summary.json), a sweep or a comparison (manifest.json + runs.csv). Each
 * kind gives its default charts and tables.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTable, comparePaired, relativeDiffRows } from '../compare.ts';
import { readCsv, readRunFolder } from '../load.ts';
import { ecdf, forest, groupedBars, timeline, titleFromField } from '../plot/kinds.ts';
import type { Row, TableData } from '../table.ts';
import { defaultPlots, varyingMetrics, summarizeRuns, sweepCharts, SUMMARY_STATS, byColumns, type NamedChart, type SweepInfo } from './outputs.ts';

export type FolderKind = 'run' | 'sweep' | 'compare';

export interface FolderView {
  kind: FolderKind;
  title: string;
  manifest: Record<string, unknown>;
  scenarioYaml?: string;
  charts: NamedChart[];
  tables: TableData[];
}

export function folderKind(dir: string): FolderKind {
  const m = join(dir, 'manifest.json');
  if (existsSync(m) && existsSync(join(dir, 'runs.csv'))) {
    const kind = (JSON.parse(readFileSync(m, 'utf8')) as { kind?: string }).kind;
    return kind === 'compare' ? 'compare' : 'sweep';
  }
  if (existsSync(join(dir, 'summary.json'))) return 'run';
  throw Object.assign(new Error(`${dir}: not a mei-sim output folder (expected summary.json of a run, or manifest.json + runs.csv of a sweep or comparison)`), { exitCode: 2 });
}

export interface SweepFolder {
  manifest: Record<string, unknown>;
  info: SweepInfo;
  runs: Row[];
}

export function readSweepFolder(dir: string): SweepFolder {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const info: SweepInfo = {
    parameters: (manifest.parameters as string[]) ?? [],
    policy_column: (manifest.policy_column as string | null) ?? null,
    plots: (manifest.plots as SweepInfo['plots']) ?? [],
  };
  return { manifest, info, runs: readCsv(join(dir, 'runs.csv')) };
}

function scenarioText(dir: string, manifest: Record<string, unknown>): string | undefined {
  for (const f of [join(dir, 'sweep.yaml'), join(dir, 'scenario.yaml')]) if (existsSync(f)) return readFileSync(f, 'utf8');
  const s = manifest.scenario;
  return typeof s === 'string' && existsSync(s) ? readFileSync(s, 'utf8') : undefined;
}

function failuresTable(runs: Row[], lead: string[]): TableData | null {
  const failed = runs.filter((r) => r.error !== null && r.error !== undefined);
  if (failed.length === 0) return null;
  const columns = [...lead, 'seed', 'error'];
  return { title: `failed runs (${failed.length})`, columns, rows: failed.map((r) => columns.map((c) => r[c] ?? null)) };
}

function sweepView(dir: string): FolderView {
  const { manifest, info, runs } = readSweepFolder(dir);
  const summary = summarizeRuns(runs, info);
  const plots = info.plots && info.plots.length > 0 ? info.plots : defaultPlots(summary, info);
  const by = byColumns(info);
  const columns = [...by, 'metric', ...SUMMARY_STATS.filter((s) => s !== 'n_nonfinite' && s !== 'half_width')];
  const tables: TableData[] = [{ title: 'per point and metric: mean, sd, 95% t-interval, quantiles', columns, rows: summary as Row[] }];
  const f = failuresTable(runs, by);
  if (f) tables.push(f);
  const view: FolderView = { kind: 'sweep', title: `Sweep ${String(manifest.name ?? dir)}`, manifest, charts: sweepCharts(summary, info, plots, { skipEmpty: true }), tables };
  const text = scenarioText(dir, manifest);
  if (text !== undefined) view.scenarioYaml = text;
  return view;
}

function compareView(dir: string): FolderView {
  const { manifest, info, runs } = readSweepFolder(dir);
  const c = (manifest.compare ?? {}) as { policies?: string[]; baseline?: string; metrics?: string[] | null };
  const policies = c.policies ?? [...new Set(runs.map((r) => String(r.policy)))];
  const baseline = c.baseline ?? policies[0]!;
  const ok = runs.filter((r) => r.error === null || r.error === undefined);
  const rows = comparePaired(ok, { policyColumn: 'policy', seedColumn: 'seed', baseline, policies, ...(c.metrics ? { metrics: c.metrics } : {}) });
  const tables: TableData[] = [compareTable(rows, [], `paired differences (policy - ${baseline}), common random numbers`)];
  const summary = summarizeRuns(runs, info);
  tables.push({ title: 'per policy and metric', columns: ['policy', 'metric', 'n', 'mean', 'sd', 'ci95_lo', 'ci95_hi'], rows: summary as Row[] });
  const f = failuresTable(runs, ['policy']);
  if (f) tables.push(f);
  const charts: NamedChart[] = [];
  const rel = relativeDiffRows(rows.filter((r) => r.n >= 2 && Number.isFinite(r.ci95_lo)));
  if (rel.length > 0) {
    charts.push({
      name: 'compare',
      title: `Paired differences vs ${baseline} (% of the baseline mean, 95% CI)`,
      spec: forest(rel, { label: 'metric', value: 'rel_diff_pct', lo: 'rel_lo_pct', hi: 'rel_hi_pct', series: policies.length > 2 ? 'policy' : undefined, valueTitle: `difference from ${baseline} (%)` }),
    });
  }
  for (const m of varyingMetrics(summary).slice(0, 6)) {
    const mr = summary.filter((r) => r.metric === m && r.n > 0) as Row[];
    if (mr.length === 0) continue;
    charts.push({ name: `bars-${m}`, title: `${titleFromField(m)} per policy`, spec: groupedBars(mr, { category: 'policy', value: 'mean', lo: 'ci95_lo', hi: 'ci95_hi', valueTitle: `${titleFromField(m)}, mean ± 95% CI` }) });
  }
  const view: FolderView = { kind: 'compare', title: `Comparison ${policies.join(' vs ')}`, manifest, charts, tables };
  const text = scenarioText(dir, manifest);
  if (text !== undefined) view.scenarioYaml = text;
  return view;
}

const TIME_COLUMNS = ['t', 't_s', 'time_s'];
const SERIES_COLUMNS = ['server', 'cell', 'node', 'client', 'device', 'mode', 'policy'];

/** Charts of a run: latency ECDF of its request table, timelines of tables with a time column. */
export function runCharts(dir: string, maxRows = 200_000): NamedChart[] {
  const run = readRunFolder(dir);
  const charts: NamedChart[] = [];
  for (const name of run.tableNames) {
    const rows = run.table(name);
    if (rows.length === 0 || rows.length > maxRows) continue;
    const cols = Object.keys(rows[0]!);
    const series = SERIES_COLUMNS.find((c) => cols.includes(c));
    const latency = ['e2e_s', 'latency_s', 'download_latency_s'].find((c) => cols.includes(c));
    const t = TIME_COLUMNS.find((c) => cols.includes(c));
    if (latency !== undefined) {
      charts.push({ name: `ecdf-${name}`, title: `${titleFromField(latency)}: empirical CDF (${name})`, spec: ecdf(rows, { value: latency, series, logX: true, title: `${name}: ${titleFromField(latency)}` }) });
    } else if (t !== undefined) {
      const value = cols.find((c) => c !== t && c !== series && typeof rows[0]![c] === 'number');
      if (value !== undefined) charts.push({ name: `timeline-${name}`, title: `${name} over time`, spec: timeline(rows, { t, value, series, title: `${name}: ${titleFromField(value)}` }) });
    }
  }
  return charts;
}

function runView(dir: string): FolderView {
  const run = readRunFolder(dir);
  const metrics = (run.summary.metrics ?? {}) as Record<string, number | null>;
  const tables: TableData[] = [{ title: 'metrics', columns: ['metric', 'value'], rows: Object.entries(metrics).map(([k, v]) => [k, v ?? NaN]) }];
  const view: FolderView = {
    kind: 'run',
    title: `Run ${String(run.manifest?.scenario ?? dir)} (seed ${String(run.manifest?.seed ?? '?')})`,
    manifest: run.manifest ?? {},
    charts: runCharts(dir),
    tables,
  };
  if (run.scenarioYaml !== undefined) view.scenarioYaml = run.scenarioYaml;
  return view;
}

export function folderView(dir: string): FolderView {
  const kind = folderKind(dir);
  return kind === 'run' ? runView(dir) : kind === 'compare' ? compareView(dir) : sweepView(dir);
}
