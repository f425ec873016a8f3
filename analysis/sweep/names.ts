/**
 * The metric names a sweep's runs will produce, known before anything runs,
 * and the check of every name a sweep or comparison asks for (`metrics:`,
 * `precision.metrics`, the plots' axes, `compare --metrics`) against them.
 *
 * A run's metrics are the scalars its domains register on the recorder when
 * the world is built; `runScenario` with a zero horizon builds the world,
 * processes nothing past time 0 and returns exactly those names (each with a
 * meaningless value). That is the run code path itself, so the names cannot
 * drift from what the runs write. It costs one world build (milliseconds),
 * and only for points whose names are needed.
 */
import { InputError } from '../../sim/common/errors.ts';
import { displayPath } from '../../sim/scenario/yaml-source.ts';
import { prepareScenario, runScenario } from '../../sim/run/run.ts';
import type { Grid } from './grid.ts';
import { unknownNameMessage } from './outputs.ts';

/** Metric names of a scenario's runs, or null when its world cannot be built (the runs will say why). */
export async function scenarioMetricNames(scenario: Grid['points'][number]['scenario']): Promise<string[] | null> {
  try {
    await prepareScenario(scenario);
    return Object.keys(runScenario({ ...scenario, duration: 0, warmup: 0 }, { outDir: null }).metrics);
  } catch {
    return null;
  }
}

/** Metric names per point of a grid, computed on demand and cached. */
export class GridMetrics {
  private readonly byPoint = new Map<number, string[] | null>();

  constructor(readonly grid: Grid) {}

  async ofPoint(index: number): Promise<string[] | null> {
    if (!this.byPoint.has(index)) this.byPoint.set(index, await scenarioMetricNames(this.grid.points[index]!.scenario));
    return this.byPoint.get(index)!;
  }

  /**
   * The names of `wanted` that no point of the grid produces, and every name
   * seen. Points are probed in order until all wanted names are found, so a
   * valid request costs one probe. When no point could be built, nothing is
   * reported missing (the runs record the build error).
   */
  async missing(wanted: readonly string[]): Promise<{ missing: string[]; known: string[] }> {
    const known = new Set<string>();
    let built = false;
    for (const p of this.grid.points) {
      if (wanted.every((w) => known.has(w))) break;
      const names = await this.ofPoint(p.index);
      if (names === null) continue;
      built = true;
      for (const n of names) known.add(n);
    }
    return { missing: built ? [...new Set(wanted.filter((w) => !known.has(w)))] : [], known: [...known] };
  }

  /** Every metric name of the grid (all points probed). */
  async all(): Promise<string[]> {
    const known = new Set<string>();
    for (const p of this.grid.points) for (const n of (await this.ofPoint(p.index)) ?? []) known.add(n);
    return [...known];
  }
}

interface NameRef {
  where: string;
  name: string;
}

/**
 * Check, before running anything, that the names a sweep asks for exist:
 * `metrics:` (the runs.csv columns; `--metrics` of compare), `precision.metrics`
 * (or the --precision rule's), and the plots' metrics (`y` of line and bars,
 * `value` of a heatmap) against the metrics the scenario produces; the plots'
 * `x`, `series` (and a heatmap's `y`) against the parameter and policy
 * columns. A plotted or precision metric left out of `metrics:` would never
 * reach runs.csv, so it is refused too. Throws InputError.
 */
export async function checkSweepNames(grid: Grid, metrics: GridMetrics, precisionMetrics?: readonly string[]): Promise<void> {
  const def = grid.def;
  const file = def.file ? `${displayPath(def.file)}: ` : '';
  const metricsKey = def.file ? 'metrics' : '--metrics';
  const columns = [...grid.paramColumns, ...(grid.policyColumn ? [grid.policyColumn] : [])];

  const metricRefs: NameRef[] = [];
  const columnRefs: NameRef[] = [];
  (def.metrics ?? []).forEach((m) => metricRefs.push({ where: `${file}${metricsKey}`, name: m }));
  (precisionMetrics ?? []).forEach((m) => metricRefs.push({ where: `${file}precision.metrics`, name: m }));
  const plotted: NameRef[] = [];
  def.plots.forEach((p, i) => {
    const at = `${file}plots[${i}]`;
    if (p.kind === 'heatmap') {
      if (p.value === undefined) throw new InputError(`${at}: a heatmap needs value: METRIC (x and y are parameters)`);
      plotted.push({ where: `${at}.value`, name: p.value });
      columnRefs.push({ where: `${at}.y`, name: p.y });
    } else plotted.push({ where: `${at}.y`, name: p.y });
    columnRefs.push({ where: `${at}.x`, name: p.x });
    if (p.series !== undefined) columnRefs.push({ where: `${at}.series`, name: p.series });
  });

  for (const c of columnRefs) {
    if (!columns.includes(c.name)) {
      throw new InputError(unknownNameMessage(c.where, 'column', c.name, columns).replace('available columns', 'available columns (parameters and policy)'));
    }
  }
  const refs = [...metricRefs, ...plotted];
  if (refs.length === 0) return;
  const { missing, known } = await metrics.missing(refs.map((r) => r.name));
  for (const r of refs) {
    if (missing.includes(r.name)) {
      const all = await metrics.all();
      throw new InputError(unknownNameMessage(r.where, 'metric', r.name, all.length > 0 ? all : known));
    }
  }
  if (def.metrics) {
    const kept = new Set(def.metrics);
    for (const r of [...plotted, ...(precisionMetrics ?? []).map((m) => ({ where: `${file}precision.metrics`, name: m }))]) {
      if (!kept.has(r.name)) throw new InputError(`${r.where}: metric "${r.name}" is not in ${metricsKey} (${def.metrics.join(', ')}), so runs.csv would not hold it; add it there`);
    }
  }
}
