import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { comparePaired, compareTable, relativeDiffRows, type CompareRow } from '../../../analysis/compare.ts';
import { readCsv } from '../../../analysis/load.ts';
import { forest, type VlSpec } from '../../../analysis/plot/kinds.ts';
import { renderSpec } from '../../../analysis/plot/render.ts';
import { expandGrid } from '../../../analysis/sweep/grid.ts';
import { cellText, toCsv, type RawRow } from '../../../analysis/sweep/runs-file.ts';
import { parseAssignment, yamlValue, type SweepDef } from '../../../analysis/sweep/spec.ts';
import { rowCells, toMarkdown, toText, type TableData } from '../../../analysis/table.ts';
import { InputError } from '../../common/errors.ts';
import { loadScenario } from '../../scenario/load.ts';
import { execOptions, executeGrid, reportSweep, type ExecArgs } from './sweep.ts';

interface CompareArgs extends ExecArgs {
  scenario?: string;
  policy: string[];
  replications: number;
  seed?: number;
  set?: string[];
  baseline?: string;
  metrics?: string[];
}

/** Split a policy list on commas outside brackets and quotes: `a,b`, `[1,2],[3]`, `"x,y",z`. */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

/**
 * The policies of `--policy key=a,b` (repeatable: several keys vary together,
 * lists of equal length; labels joined with '+').
 */
export function policiesFrom(exprs: string[]): { keys: string[]; policies: { label: string; set: Record<string, unknown> }[] } {
  const parsed = exprs.map((e) => {
    const eq = e.indexOf('=');
    if (eq <= 0) throw new InputError(`--policy ${e}: expected a.b.c=value1,value2`);
    return { key: e.slice(0, eq).trim(), values: splitValues(e.slice(eq + 1)) };
  });
  const n = parsed[0]?.values.length ?? 0;
  if (parsed.some((p) => p.values.length !== n)) throw new InputError(`--policy: every --policy needs the same number of values (${parsed.map((p) => `${p.key}: ${p.values.length}`).join(', ')})`);
  if (n < 2) throw new InputError('--policy: give at least two values to compare, e.g. --policy caching.placement=trimcaching-gen,independent');
  const policies = Array.from({ length: n }, (_, i) => ({
    label: parsed.map((p) => p.values[i]!).join('+'),
    set: Object.fromEntries(parsed.map((p) => [p.key, yamlValue(p.values[i]!)])),
  }));
  const labels = new Set(policies.map((p) => p.label));
  if (labels.size !== policies.length) throw new InputError('--policy: the values must differ');
  return { keys: parsed.map((p) => p.key), policies };
}

export interface CompareOutput {
  rows: CompareRow[];
  table: TableData;
  chart: VlSpec | null;
}

/** Paired comparison of a compare folder's runs.csv (also used by report). */
export function comparisonOf(runsCsv: string, policies: string[], baseline: string, metrics?: string[]): CompareOutput {
  const runs = readCsv(runsCsv).filter((r) => r.error === null || r.error === undefined);
  const rows = comparePaired(runs, { policyColumn: 'policy', seedColumn: 'seed', baseline, policies, ...(metrics ? { metrics } : {}) });
  const table = compareTable(rows, [], `paired differences (policy - ${baseline}), common random numbers`);
  const rel = relativeDiffRows(rows.filter((r) => r.n >= 2 && Number.isFinite(r.ci95_lo)));
  const chart = rel.length
    ? forest(rel, { label: 'metric', value: 'rel_diff_pct', lo: 'rel_lo_pct', hi: 'rel_hi_pct', series: policies.length > 2 ? 'policy' : undefined, valueTitle: `difference from ${baseline} (%), 95% CI`, title: `Paired differences vs ${baseline}` })
    : null;
  return { rows, table, chart };
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare [scenario]',
  describe: 'compare policies on common random numbers: paired differences with 95% CI, p-value, win rate',
  builder: (y) =>
    execOptions(
      y
        .positional('scenario', { type: 'string', describe: 'scenario YAML file (default: the embedded quickstart)' })
        .option('policy', { type: 'string', array: true, demandOption: true, describe: 'key=a,b[,c]: the values compared (any dotted key; repeat to vary keys together)' })
        .option('replications', { type: 'number', default: 20, describe: 'seeds per policy (the same seeds for every policy)' })
        .option('seed', { type: 'number', describe: 'first seed (default: the scenario seed)' })
        .option('set', { type: 'string', array: true, describe: 'override a field for every policy: --set a.b.c=value' })
        .option('baseline', { type: 'string', describe: 'policy the others are compared against (default: the first)' })
        .option('metrics', { type: 'string', array: true, describe: 'metrics to compare (default: all)' }),
    )
      .example('$0 compare s.yaml --policy caching.placement=trimcaching-gen,independent --replications 20', 'two placement policies, 20 paired seeds')
      .example('$0 compare --policy inference.server.slots=2,4 --set duration=10min', 'any dotted key is a policy axis') as Argv<CompareArgs>,
  handler: async (a) => {
    const { keys, policies } = policiesFrom(a.policy);
    if (!Number.isInteger(a.replications) || a.replications < 1) throw new InputError(`--replications ${a.replications}: expected an integer >= 1`);
    const baseline = a.baseline ?? policies[0]!.label;
    if (!policies.some((p) => p.label === baseline)) throw new InputError(`--baseline ${baseline}: not one of ${policies.map((p) => p.label).join(', ')}`);
    const metrics = a.metrics ? [...new Set(a.metrics.flatMap((m) => m.split(',')).map((m) => m.trim()).filter((m) => m !== ''))] : undefined;
    if (metrics?.length === 0) throw new InputError('--metrics: give at least one metric name (or leave it out to compare every metric)');
    const base = loadScenario(a.scenario, { set: a.set });
    const set = Object.fromEntries((a.set ?? []).map((e) => parseAssignment(e)));
    const def: SweepDef = {
      name: `compare-${base.scenario.name}`,
      scenario: a.scenario,
      set,
      axes: [],
      policies,
      replications: a.replications,
      seedBase: a.seed ?? base.scenario.seed,
      plots: [],
      ...(metrics ? { metrics } : {}),
    };
    const grid = expandGrid(def);
    const out = a.out ?? join('results', `compare-${base.scenario.name}-${keys.map((k) => k.split('.').pop()).join('-')}`);
    const res = await executeGrid(grid, a, {
      out,
      kind: 'compare',
      manifestExtra: { compare: { keys, policies: policies.map((p) => p.label), baseline, metrics: def.metrics ?? null }, command: ['compare', ...process.argv.slice(3)] },
    });
    if (res.status !== 'complete') return reportSweep(res);
    const cmp = comparisonOf(join(res.dir, 'runs.csv'), policies.map((p) => p.label), baseline, def.metrics);
    await writeCompareFiles(res.dir, cmp);
    process.stdout.write(toText(cmp.table));
    process.stdout.write(`\n${COMPARE_LEGEND}\n`);
    reportSweep(res);
    process.stdout.write(`comparison: ${join(res.dir, 'compare.csv')}, compare.md${cmp.chart ? ', compare.svg/.png' : ''}\n`);
  },
};

/** What the comparison columns mean (printed under the table and written under compare.md). */
export const COMPARE_LEGEND =
  'mean_a: the policy\'s mean, mean_b: the baseline\'s; mean_diff = policy - baseline, paired by seed (common random numbers), ' +
  'with its 95% CI (Student t) and two-sided p-value; rel_diff = mean_diff / mean_b. win_rate: share of seeds where the policy\'s ' +
  'value is higher than the baseline\'s (ties count half), whether higher is better or not (for a latency, 0 means the policy was lower on every seed).';

/** compare.csv, compare.md and the forest plot (compare.vl.json/.svg/.png) in dir. */
export async function writeCompareFiles(dir: string, cmp: CompareOutput): Promise<void> {
  const { columns } = cmp.table;
  const raw: RawRow[] = cmp.table.rows.map((r) => {
    const cells = rowCells(columns, r);
    return Object.fromEntries(columns.map((c, j) => [c, cellText(cells[j])]));
  });
  writeFileSync(join(dir, 'compare.csv'), toCsv(columns, raw, true));
  writeFileSync(join(dir, 'compare.md'), toMarkdown(cmp.table) + '\n' + COMPARE_LEGEND + '\n');
  if (cmp.chart) await renderSpec(cmp.chart, join(dir, 'compare'));
}
