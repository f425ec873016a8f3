/**
 * Expansion of a sweep into points (cartesian product of the axes, policy
 * innermost), each loaded and validated as a scenario with its hash, and the
 * replication seeds shared by every point (common random numbers).
 */
import { InputError } from '../../sim/common/errors.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import type { Scenario } from '../../sim/scenario/schema.ts';
import type { Cell, Row } from '../table.ts';
import { stableHash, type SweepDef } from './spec.ts';

export interface Point {
  index: number;
  /** Parameter columns: the validated (SI) value at each swept key when it is a scalar. */
  params: Row;
  /** Policy label, or null without a policies axis. */
  policy: string | null;
  /** The overrides applied to the base scenario, as --set expressions. */
  set: string[];
  /** Validated scenario (its seed is replaced per run). */
  scenario: Scenario;
  /** Scenario hash (seed excluded): with the seed, the key of a run. */
  hash: string;
}

export interface Grid {
  def: SweepDef;
  points: Point[];
  /** Parameter column names in axis order (zip keys in their order). */
  paramColumns: string[];
  /** 'policy' when there is a policies axis. */
  policyColumn: string | null;
  /** Initial replication seeds, the same for every point. */
  seeds: number[];
  /** Hash of the expanded grid (point hashes, seeds, columns): shards of one sweep share it. */
  gridHash: string;
}

/** One run of the grid. */
export interface RunRef {
  point: number;
  seed: number;
}

export const runKey = (hash: string, seed: number | string): string => `${hash}:${seed}`;

/**
 * A key starting with '_' (e.g. `_distance_m` in a zip) is a label column
 * only: recorded in runs.csv without the '_', not applied to the scenario.
 */
const isLabel = (key: string) => key.startsWith('_');
const columnOf = (key: string) => (isLabel(key) ? key.slice(1) : key);

/** `k=v` with v as JSON, which --set parses back (JSON is YAML) to the same value. */
export function setExpr(key: string, value: unknown): string {
  return `${key}=${JSON.stringify(value)}`;
}

function valueAt(obj: unknown, key: string): unknown {
  let cur = obj;
  for (const p of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function cellOf(validated: unknown, raw: unknown): Cell {
  for (const v of [validated, raw]) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  }
  return raw === undefined ? null : JSON.stringify(raw);
}

/** Load every point of the sweep; bad input at any point stops before anything runs. */
export function expandGrid(def: SweepDef): Grid {
  const paramColumns: string[] = [];
  const labels = new Set<string>();
  for (const a of def.axes) {
    for (const key of a.keys) {
      const k = columnOf(key);
      if (isLabel(key)) labels.add(k);
      if (paramColumns.includes(k)) throw new InputError(`parameters: key "${k}" is swept twice`);
      if (k === 'policy' || k === 'seed') throw new InputError(`parameters: "${k}" is reserved; use the policies axis or seeds`);
      paramColumns.push(k);
    }
  }
  const base = Object.entries(def.set).map(([k, v]) => setExpr(k, v));
  const policies = def.policies ?? [null];
  const points: Point[] = [];
  const idx = def.axes.map(() => 0);
  const total = def.axes.reduce((n, a) => n * a.values.length, 1);
  for (let c = 0; c < total; c++) {
    let rem = c;
    for (let a = def.axes.length - 1; a >= 0; a--) {
      idx[a] = rem % def.axes[a]!.values.length;
      rem = Math.floor(rem / def.axes[a]!.values.length);
    }
    const axisSets: string[] = [];
    const rawParams: Record<string, unknown> = {};
    def.axes.forEach((a, ai) => {
      const vals = a.values[idx[ai]!]!;
      a.keys.forEach((k, ki) => {
        if (!isLabel(k)) axisSets.push(setExpr(k, vals[ki]));
        rawParams[columnOf(k)] = vals[ki];
      });
    });
    for (const pol of policies) {
      const set = [...base, ...axisSets, ...(pol ? Object.entries(pol.set).map(([k, v]) => setExpr(k, v)) : [])];
      let loaded;
      try {
        loaded = loadScenario(def.scenario, { set });
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        const where = [...Object.entries(rawParams).map(([k, v]) => `${k}=${JSON.stringify(v)}`), ...(pol ? [`policy ${pol.label}`] : [])];
        throw new InputError(`sweep ${def.name}, point ${where.join(', ') || '(base)'}:\n${e.message}`);
      }
      const params: Row = {};
      for (const k of paramColumns) params[k] = cellOf(labels.has(k) ? undefined : valueAt(loaded.scenario, k), rawParams[k]);
      points.push({ index: points.length, params, policy: pol?.label ?? null, set, scenario: loaded.scenario, hash: loaded.hash });
    }
  }
  const seen = new Map<string, number>();
  for (const p of points) {
    const other = seen.get(p.hash);
    if (other !== undefined) {
      throw new InputError(`sweep ${def.name}: points ${other} and ${p.index} give the same scenario (${p.set.join(' ')}); remove the duplicate value`);
    }
    seen.set(p.hash, p.index);
  }
  const seeds = seedList(def, def.replications, points[0]?.scenario.seed ?? 1);
  const grid: Grid = {
    def,
    points,
    paramColumns,
    policyColumn: def.policies ? 'policy' : null,
    seeds,
    gridHash: stableHash({ points: points.map((p) => [p.hash, p.params, p.policy]), seeds, paramColumns }),
  };
  return grid;
}

/** The first n replication seeds: the explicit seeds, continued past their maximum; or base, base+1, ... */
export function seedList(def: SweepDef, n: number, scenarioSeed: number): number[] {
  const out: number[] = [];
  if (def.seeds !== undefined) {
    out.push(...def.seeds.slice(0, n));
    let next = Math.max(...def.seeds) + 1;
    while (out.length < n) out.push(next++);
    return out;
  }
  const b = def.seedBase ?? scenarioSeed;
  for (let i = 0; i < n; i++) out.push(b + i);
  return out;
}

/** Seeds of a grid extended to n replications (the precision loop). */
export function gridSeeds(grid: Grid, n: number): number[] {
  return seedList(grid.def, n, grid.points[0]?.scenario.seed ?? 1);
}

/** Every (point, seed) of the grid with its initial seeds, point-major. */
export function gridRuns(grid: Grid): RunRef[] {
  const out: RunRef[] = [];
  for (const p of grid.points) for (const s of grid.seeds) out.push({ point: p.index, seed: s });
  return out;
}
