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
 *
 * Reproducible by construction: the search is bounded by a number of
 * branch-and-bound nodes (`node_limit`), not by seconds, so the same instance
 * gives the same placement on any machine and under any load (the WASM build is
 * single-threaded). Stopping at the node limit keeps the best placement found,
 * with `meta.proven` 0 and the relative gap to the proven bound; the caller
 * warns. So does stopping within a non-zero `mip_gap`: proven means a gap of
 * zero (within `PROOF_ABS_GAP`). The wall-clock `time_limit` is only a safety net: reaching it is an
 * error, since what the solver would have found by then depends on the machine.
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

/**
 * Absolute gap on the hit ratio (in [0, 1]) within which a solution counts as
 * proven optimal: HiGHS's default `mip_abs_gap`, set explicitly so the two agree.
 */
export const PROOF_ABS_GAP = 1e-6;

/** Default branch-and-bound node limit of `optimal`. */
export const DEFAULT_NODE_LIMIT = 100_000;
/** Default wall-clock safety net of `optimal`, s. */
export const DEFAULT_TIME_LIMIT_S = 600;

export const optimal: PlacementPolicy = {
  exact: true,
  async prepare(): Promise<void> {
    await loadHighs();
  },
  place(input: PlacementInput, opts: PlacementOptions = {}): PlacementResult {
    if (solver === undefined) throw new Error('optimal: await prepare() (it loads the HiGHS solver) before place()');
    const { lp, x } = placementLp(input);
    const nodeLimit = opts.node_limit ?? DEFAULT_NODE_LIMIT;
    const timeLimit = opts.time_limit_s ?? DEFAULT_TIME_LIMIT_S;
    const codes = solver.constants.modelStatus;
    const model = solver.createModel({ format: 'lp', data: lp });
    try {
      model.options.set({
        output_flag: false,
        time_limit: timeLimit,
        mip_max_nodes: nodeLimit,
        mip_rel_gap: opts.mip_gap ?? 0,
        mip_abs_gap: PROOF_ABS_GAP,
        mip_feasibility_tolerance: 1e-9,
        primal_feasibility_tolerance: 1e-9,
        random_seed: 0,
      });
      const status = model.run().modelStatus;
      if (status === codes.timeLimit) {
        throw new Error(
          `optimal: HiGHS reached the wall-clock time limit (${timeLimit} s) before its node limit (${nodeLimit} nodes); ` +
            'a placement cut off by time would depend on the machine and its load, so none is returned. ' +
            'Lower caching.placement_options.node_limit (the search then stops at the same point on every machine), ' +
            'raise time_limit, or use trimcaching-gen',
        );
      }
      // A node limit ends the search with status "solution limit"; the incumbent stands.
      if (status !== codes.optimal && status !== codes.solutionLimit) {
        throw new Error(`optimal: HiGHS ended with model status ${status} (${statusName(status)})`);
      }
      if (Number(model.info.get('primal_solution_status')) !== 2) {
        throw new Error(`optimal: HiGHS stopped at its node limit (${nodeLimit} nodes) without a feasible placement; raise caching.placement_options.node_limit`);
      }
      const value = model.getSolution().colValue;
      const models: number[][] = Array.from({ length: input.capacity_bytes.length }, () => []);
      for (let j = 0; j < value.length; j++) {
        if (!(value[j]! > 0.5)) continue;
        const ni = x.get(model.getColName(j));
        if (ni !== undefined) models[ni[0]]!.push(ni[1]);
      }
      const bound = Number(model.info.get('mip_dual_bound'));
      const objective = model.getObjectiveValue();
      // Status "optimal" also means "within the requested mip_gap": proven only when the gap is
      // zero within the solver's tolerance.
      const proven = status === codes.optimal && bound - objective <= PROOF_ABS_GAP;
      return finishResult('optimal', input, models, {
        status: statusName(status),
        proven: proven ? 1 : 0,
        mip_gap_requested: opts.mip_gap ?? 0,
        // Relative gap between the placement and the proven upper bound on the hit ratio.
        mip_gap: proven ? Math.max(0, relGap(objective, bound)) : relGap(objective, bound),
        bound,
        nodes: Number(model.info.get('mip_node_count')),
        node_limit: nodeLimit,
        solver_objective: objective,
      });
    } finally {
      model.dispose();
    }
  },
};

function relGap(objective: number, bound: number): number {
  if (!Number.isFinite(bound)) return Number.POSITIVE_INFINITY;
  return bound === objective ? 0 : (bound - objective) / Math.max(Math.abs(bound), 1e-12);
}

function statusName(code: number): string {
  if (solver === undefined) return String(code);
  for (const [name, c] of Object.entries(solver.constants.modelStatus)) if (c === code) return name;
  return String(code);
}
