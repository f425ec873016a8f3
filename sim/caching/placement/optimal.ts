/**
 * `optimal`: the exact placement as an integer linear program, solved by HiGHS
 * (npm `highs`, WebAssembly). A reference for small instances.
 *
 *   max  sum_{k,i} p_{k,i} h_{k,i} / sum p
 *   s.t. sum_g size_g y_{n,g} <= Q_n                 (storage = union of blocks)
 *        x_{n,i} <= y_{n,g}        for each group g of model i
 *        h_{k,i} <= sum_{n reaches k for i} x_{n,i}
 *        x, y binary; 0 <= h <= 1
 *
 * Blocks with identical model sets are merged into groups (same optimum, fewer
 * variables). Loading the WASM module is asynchronous: await `prepare()` once
 * before the event loop; `place()` is then synchronous.
 */
import type { Highs } from 'highs';
import {
  blockGroups,
  finishResult,
  type PlacementInput,
  type PlacementOptions,
  type PlacementPolicy,
  type PlacementResult,
} from './common.ts';

let solver: Highs | undefined;

/** Load the HiGHS WASM solver (once per process). */
export async function loadHighs(): Promise<Highs> {
  if (solver === undefined) {
    const mod = await import('highs');
    // `highs` is CommonJS: at run time the namespace's default is the loader function.
    const load = mod.default as unknown as (typeof mod.default)['default'];
    solver = await load();
  }
  return solver!;
}

/** Terms per LP-format line (the format allows continuation lines). */
const TERMS_PER_LINE = 16;

function linear(terms: string[]): string {
  const lines: string[] = [];
  for (let j = 0; j < terms.length; j += TERMS_PER_LINE) lines.push(' ' + terms.slice(j, j + TERMS_PER_LINE).join(' '));
  return lines.join('\n');
}

function num(x: number): string {
  return x.toPrecision(15);
}

/** The ILP in CPLEX LP format, with the names of its x variables. */
export function placementLp(input: PlacementInput): { lp: string; x: Map<string, [number, number]> } {
  const N = input.capacity_bytes.length;
  const I = input.catalog.modelCount;
  const G = blockGroups(input.catalog);
  let scale = 0;
  for (let n = 0; n < N; n++) scale = Math.max(scale, input.capacity_bytes[n]!);
  if (!(scale > 0)) scale = 1;
  const total = input.demand.total();

  const x = new Map<string, [number, number]>();
  const rows: string[] = [];
  const binaries: string[] = [];
  const storage: string[][] = Array.from({ length: N }, () => []);
  const ys = new Set<string>();
  const serversOf = new Map<number, string[]>(); // k * I + i -> x names

  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      if (G.modelSize[i]! > input.capacity_bytes[n]!) continue;
      const us = input.reach.users(n, i);
      let any = false;
      for (let j = 0; j < us.length; j++) if (input.demand.weight(us[j]!, i) > 0) any = true;
      if (!any) continue;
      const xn = `x_${n}_${i}`;
      x.set(xn, [n, i]);
      binaries.push(xn);
      for (const g of G.modelGroups[i]!) {
        const yn = `y_${n}_${g}`;
        if (!ys.has(yn)) {
          ys.add(yn);
          binaries.push(yn);
          storage[n]!.push(`+ ${num(G.size_bytes[g]! / scale)} ${yn}`);
        }
        rows.push(` l_${n}_${i}_${g}: ${xn} - ${yn} <= 0`);
      }
      for (let j = 0; j < us.length; j++) {
        const key = us[j]! * I + i;
        let l = serversOf.get(key);
        if (l === undefined) serversOf.set(key, (l = []));
        l.push(xn);
      }
    }
  }
  const obj: string[] = [];
  const bounds: string[] = [];
  for (const [key, xs] of serversOf) {
    const k = Math.floor(key / I);
    const i = key - k * I;
    const w = input.demand.weight(k, i);
    if (!(w > 0)) continue;
    const hn = `h_${k}_${i}`;
    obj.push(`+ ${num(w / total)} ${hn}`);
    bounds.push(` 0 <= ${hn} <= 1`);
    rows.push(` r_${k}_${i}: ${hn} ${xs.map((s) => `- ${s}`).join(' ')} <= 0`);
  }
  storage.forEach((terms, n) => {
    if (terms.length > 0) rows.push(` c_${n}:\n${linear(terms)} <= ${num(input.capacity_bytes[n]! / scale)}`);
  });
  const lp = [
    'Maximize',
    ` obj:\n${obj.length > 0 ? linear(obj) : ' 0 dummy'}`,
    'Subject To',
    ...(rows.length > 0 ? rows : [' none: dummy <= 0']),
    'Bounds',
    ...bounds,
    ...(obj.length > 0 ? [] : [' 0 <= dummy <= 0']),
    'Binary',
    linear(binaries),
    'End',
  ].join('\n');
  return { lp, x };
}

export const optimal: PlacementPolicy = {
  async prepare(): Promise<void> {
    await loadHighs();
  },
  place(input: PlacementInput, opts: PlacementOptions = {}): PlacementResult {
    if (solver === undefined) throw new Error('optimal: await prepare() (it loads the HiGHS solver) before place()');
    const { lp, x } = placementLp(input);
    const res = solver.solve(lp, {
      output_flag: false,
      time_limit: opts.time_limit_s ?? 60,
      mip_rel_gap: opts.mip_gap ?? 0,
      mip_feasibility_tolerance: 1e-9,
      primal_feasibility_tolerance: 1e-9,
    });
    if (res.Status !== 'Optimal' && res.Status !== 'Time limit reached') {
      throw new Error(`optimal: HiGHS ended with status "${res.Status}"`);
    }
    const models: number[][] = Array.from({ length: input.capacity_bytes.length }, () => []);
    for (const [name, [n, i]] of x) {
      const col = res.Columns[name];
      if (col !== undefined && 'Primal' in col && col.Primal > 0.5) models[n]!.push(i);
    }
    return finishResult('optimal', input, models, { status: res.Status, solver_objective: res.ObjectiveValue });
  },
};
