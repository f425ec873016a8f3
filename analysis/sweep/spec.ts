/**
 * Sweep files: a base scenario, parameters (dotted paths with `values`, a
 * `range` or a `zip` of keys varied together), an optional `policies` axis,
 * replications or explicit seeds, an optional `--precision` rule and plots.
 * Validated with zod; errors name file:line:col like scenario errors.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../../sim/common/errors.ts';
import { issuesToError } from '../../sim/scenario/load.ts';
import { YamlSource } from '../../sim/scenario/yaml-source.ts';

const valueList = z.array(z.unknown()).min(1, 'give at least one value');
const bound = z.union([z.number(), z.string()]);

const rangeSchema = z
  .strictObject({
    from: bound.describe('first value: a number or "<number> <unit>"'),
    to: bound.describe('last value (included when the steps land on it)'),
    steps: z.number().int().min(2).optional().describe('number of values, from and to included'),
    step: z.number().gt(0).optional().describe('linear increment (instead of steps)'),
    scale: z.enum(['linear', 'log']).default('linear'),
    integer: z.boolean().default(false).describe('round every value to an integer'),
  })
  .refine((r) => (r.steps === undefined) !== (r.step === undefined), { message: 'give exactly one of steps or step' })
  .refine((r) => r.scale === 'linear' || r.step === undefined, { message: 'a log range takes steps, not step' });

const axisSchema = z.union([
  valueList,
  z.strictObject({ values: valueList }),
  z.strictObject({ range: rangeSchema }),
  z.strictObject({ zip: z.record(z.string(), valueList).describe('dotted keys varied together, lists of equal length; a key starting with _ is a label column only') }),
]);

export const plotSpecSchema = z.strictObject({
  kind: z.enum(['line', 'bars', 'heatmap']),
  name: z.string().optional().describe('file name (default: <kind>-<y>)'),
  title: z.string().optional(),
  x: z.string().describe('parameter column (line, heatmap) or category (bars)'),
  y: z.string().describe('metric (line, bars) or second parameter (heatmap)'),
  value: z.string().optional().describe('metric shown by a heatmap'),
  series: z.string().optional().describe('one line / bar colour per value of this column (e.g. policy)'),
  log_x: z.boolean().default(false),
  log_y: z.boolean().default(false),
});
export type PlotSpec = z.output<typeof plotSpecSchema>;

export const sweepSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  scenario: z.string().optional().describe('base scenario file, relative to the sweep file (default: the quickstart)'),
  set: z.record(z.string(), z.unknown()).default({}).describe('fixed overrides, dotted key -> value'),
  parameters: z.record(z.string(), axisSchema).default({}).describe('dotted key -> values | {values} | {range} ; label -> {zip}'),
  policies: z
    .union([
      z.strictObject({ key: z.string(), values: valueList }),
      z.record(z.string(), z.record(z.string(), z.unknown())).describe('policy label -> dotted overrides'),
    ])
    .optional(),
  replications: z.number().int().min(1).optional(),
  seeds: z.array(z.number().int().min(0)).min(1).optional(),
  seed: z.number().int().min(0).optional().describe('first replication seed (default: the scenario seed)'),
  precision: z
    .strictObject({
      target: z.number().gt(0).lt(1).describe('relative 95% CI half-width, e.g. 0.05'),
      max_replications: z.number().int().min(2).default(100),
      metrics: z.array(z.string()).min(1).optional(),
    })
    .optional(),
  metrics: z.array(z.string()).min(1).optional().describe('metric columns kept in runs.csv (default: all)'),
  plots: z.array(plotSpecSchema).default([]),
});
export type SweepFile = z.output<typeof sweepSchema>;

/** One axis of the grid: one or more keys (zip) and their values, row by row. */
export interface Axis {
  label: string;
  keys: string[];
  /** values[i][k] is the value of keys[k] at position i. */
  values: unknown[][];
}

export interface Policy {
  label: string;
  set: Record<string, unknown>;
}

/** A sweep ready to expand: paths resolved, axes materialised. */
export interface SweepDef {
  name: string;
  /** The sweep file (for the manifest and the copy in the output folder), if any. */
  file?: string;
  text?: string;
  /** Base scenario file; undefined = the embedded quickstart. */
  scenario: string | undefined;
  /** Fixed overrides, dotted key -> value, applied before the axes. */
  set: Record<string, unknown>;
  axes: Axis[];
  policies: Policy[] | null;
  /** Initial replication seeds; undefined = `replications` seeds from the scenario's seed. */
  seeds?: number[];
  replications: number;
  seedBase?: number;
  precision?: { target: number; max_replications: number; metrics?: string[] };
  metrics?: string[];
  plots: PlotSpec[];
}

function parseBound(v: number | string, where: string): { n: number; unit: string } {
  if (typeof v === 'number') return { n: v, unit: '' };
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$/.exec(v);
  if (!m) throw new InputError(`${where}: expected a number or "<number> <unit>", got ${JSON.stringify(v)}`);
  return { n: Number(m[1]), unit: m[2]! };
}

/** Values of a range: linear by steps or step, or log-spaced; with the unit of its bounds. */
export function rangeValues(r: z.output<typeof rangeSchema>, where = 'range'): (number | string)[] {
  const a = parseBound(r.from, where);
  const b = parseBound(r.to, where);
  if (a.unit !== b.unit) throw new InputError(`${where}: from and to must use the same unit ("${a.unit}" vs "${b.unit}")`);
  let xs: number[] = [];
  if (r.scale === 'log') {
    if (!(a.n > 0 && b.n > 0)) throw new InputError(`${where}: a log range needs positive bounds`);
    const n = r.steps!;
    for (let i = 0; i < n; i++) xs.push(i === n - 1 ? b.n : a.n * (b.n / a.n) ** (i / (n - 1)));
  } else if (r.steps !== undefined) {
    const n = r.steps;
    for (let i = 0; i < n; i++) xs.push(i === n - 1 ? b.n : a.n + ((b.n - a.n) * i) / (n - 1));
  } else {
    const step = b.n >= a.n ? r.step! : -r.step!;
    const count = Math.floor(Math.abs(b.n - a.n) / r.step! + 1e-9) + 1;
    if (count > 100000) throw new InputError(`${where}: ${count} values; use a larger step`);
    for (let i = 0; i < count; i++) xs.push(a.n + step * i);
  }
  // float noise off (0.30000000000000004 -> 0.3), then rounding
  xs = xs.map((x) => Number(x.toPrecision(12)));
  if (r.integer) xs = [...new Set(xs.map(Math.round))];
  return a.unit === '' ? xs : xs.map((x) => `${x} ${a.unit}`);
}

/** Turn a validated sweep file into a SweepDef (paths relative to `baseDir`). */
export function sweepDefFrom(f: SweepFile, baseDir: string, fallbackName: string): SweepDef {
  const axes: Axis[] = [];
  for (const [label, spec] of Object.entries(f.parameters)) {
    if (Array.isArray(spec)) axes.push({ label, keys: [label], values: spec.map((v) => [v]) });
    else if ('values' in spec) axes.push({ label, keys: [label], values: spec.values.map((v) => [v]) });
    else if ('range' in spec) axes.push({ label, keys: [label], values: rangeValues(spec.range, `parameters.${label}.range`).map((v) => [v]) });
    else {
      const keys = Object.keys(spec.zip);
      const lists = keys.map((k) => spec.zip[k]!);
      const n = lists[0]?.length ?? 0;
      if (keys.length === 0) throw new InputError(`parameters.${label}.zip: give at least one key`);
      if (lists.some((l) => l.length !== n)) {
        throw new InputError(`parameters.${label}.zip: the lists must have equal lengths (${keys.map((k, i) => `${k}: ${lists[i]!.length}`).join(', ')})`);
      }
      axes.push({ label, keys, values: Array.from({ length: n }, (_, i) => lists.map((l) => l[i])) });
    }
  }
  let policies: Policy[] | null = null;
  if (f.policies !== undefined) {
    const p = f.policies;
    if ('key' in p && 'values' in p && typeof p.key === 'string' && Array.isArray(p.values)) {
      const key = p.key;
      policies = p.values.map((v) => ({ label: typeof v === 'string' ? v : JSON.stringify(v), set: { [key]: v } }));
    } else {
      policies = Object.entries(p as Record<string, Record<string, unknown>>).map(([label, set]) => ({ label, set }));
    }
    if (policies.length === 0) throw new InputError('policies: give at least one policy');
  }
  const def: SweepDef = {
    name: f.name ?? fallbackName,
    scenario: f.scenario === undefined ? undefined : resolve(baseDir, f.scenario),
    set: f.set,
    axes,
    policies,
    replications: f.seeds?.length ?? f.replications ?? 1,
    plots: f.plots,
  };
  if (f.seeds !== undefined) def.seeds = f.seeds;
  if (f.seed !== undefined) def.seedBase = f.seed;
  if (f.precision !== undefined) def.precision = f.precision;
  if (f.metrics !== undefined) def.metrics = f.metrics;
  return def;
}

/** Read and validate a sweep file. */
export function loadSweep(file: string): SweepDef {
  const src = YamlSource.read(resolve(file));
  const res = sweepSchema.safeParse(src.value ?? {});
  if (!res.success) throw issuesToError(res.error.issues, sweepSchema, (p) => src.locate(p), src.value);
  if (res.data.seeds !== undefined && res.data.replications !== undefined && res.data.replications !== res.data.seeds.length) {
    throw new InputError(`${src.locate(['replications'])}: replications (${res.data.replications}) disagrees with the ${res.data.seeds.length} seeds given; give one of them`);
  }
  const base = (src.file.split('/').pop() ?? 'sweep').replace(/\.ya?ml$/, '');
  try {
    const def = sweepDefFrom(res.data, dirname(src.file), base);
    def.file = src.file;
    def.text = src.text;
    return def;
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${src.locate(['parameters'])}: ${e.message}`);
    throw e;
  }
}

/** Short stable hash of JSON-able data (sorted keys). */
export function stableHash(v: unknown): string {
  const canon = (x: unknown): string => {
    if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
    if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canon(o[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(x) ?? 'null';
  };
  return createHash('sha256').update(canon(v)).digest('hex').slice(0, 16);
}

/** `a.b.c=value` -> [key, value]; the value is YAML (text if it does not parse), as in --set. */
export function parseAssignment(expr: string, flag = '--set'): [string, unknown] {
  const eq = expr.indexOf('=');
  if (eq <= 0 || expr.slice(0, eq).trim() === '') throw new InputError(`${flag} ${expr}: expected a.b.c=value`);
  return [expr.slice(0, eq).trim(), yamlValue(expr.slice(eq + 1))];
}

/** A YAML scalar or flow value from command-line text; the text itself when it does not parse. */
export function yamlValue(text: string): unknown {
  try {
    const v = parseYaml(text) as unknown;
    return v === null && !/^\s*(null|~)\s*$/.test(text) ? text : v;
  } catch {
    return text;
  }
}
