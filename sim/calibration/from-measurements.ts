/**
 * `mei-sim calibrate --from measurements.csv`: fit efficiency multipliers of
 * hardware/runtime profiles to published LLM measurements (validate CSV
 * layout) and report before/after MAPE under leave-one-out.
 *
 * Model, in log space. Every row's prediction is the roofline with its
 * efficiencies multiplied by exp(theta) of the groups the row belongs to:
 *
 *   level      group                                   written to
 *   runtime    runtime x unit kind                      runtimes/R.yaml units.<kind>.{compute,memory}
 *   format     runtime x unit kind x format (16 | q)    runtimes/R.yaml units.<kind>.weight_formats.<16|q>
 *   backend    runtime x unit kind x vendor             runtimes/R.yaml devices.<every device of the vendor>.<unit>
 *              (one runtime drives different backends per vendor: llama.cpp GPU = CUDA on NVIDIA,
 *              Metal on Apple, OpenCL on Adreno, Vulkan elsewhere)
 *   device     device x unit                            <device>.yaml units.<unit>.efficiency (absolute eta)
 *   pair       device x runtime x unit                  runtimes/R.yaml devices.<device>.<unit>
 *
 * Prefill rows inform the compute (eta_c) parameter; decode rows inform
 * eta_m when the predicted decode is memory-bound, eta_c when compute-bound
 * (CPU GEMV with dequantization). Each level is a ridge-penalized
 * least-squares fit of log(measured / predicted), solved by backfitting:
 * theta_g = sum_i (r_i + theta_g) / (n_g + lambda), i.e. a group with n rows
 * moves n / (n + lambda) of the way to its mean log residual (shrinkage
 * towards the physical prior; lambda = pseudo-rows). simple-statistics gives
 * the means and the MAPE.
 *
 * Leave-one-out: each row is predicted by a fit that never saw it; a row
 * whose groups have no other rows keeps its prior prediction. That is the
 * honest generalization figure.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { mean } from 'simple-statistics';
import { parseDocument, type Document, type YAMLMap } from 'yaml';
import type { UnitName } from '../hardware/profile-schema.ts';
import { clearPredictCache, unitCtx, type EtaTweak, type TweakFn } from '../hardware/predict.ts';
import { clearProfileCache, DEFAULT_PROFILE_DIRS, DEFAULT_RUNTIME_DIRS, listProfiles, loadProfile } from '../hardware/profiles.ts';
import { parseMeasurements, predictRow, type MeasurementRow, type RowPrediction } from '../hardware/validate.ts';

export type Level = 'runtime' | 'format' | 'backend' | 'device' | 'pair';
export const ALL_LEVELS: readonly Level[] = ['runtime', 'format', 'backend', 'device', 'pair'];

export interface FitOptions {
  csvPath: string;
  /** Device id, or "all" for every device in the file (the shipped calibration). */
  device: string;
  /** Restrict to rows of this runtime; the fit then goes to the runtime's per-device override. */
  runtime?: string;
  /** Levels fitted; default: device only -> ['device'], with runtime -> ['pair'], "all" -> every level. */
  levels?: readonly Level[];
  /** What one leave-out fold holds out: a row (default), or every row of its device, or of its source. */
  holdout?: 'row' | 'device' | 'source';
  /**
   * Smallest ridge penalty of a memory-efficiency (eta_m) group, at any level. Achieved
   * DRAM bandwidth is set mostly by the memory system, so eta_m multipliers are held
   * closer to the prior than compute ones. Default DEFAULT_MEMORY_LAMBDA.
   */
  memoryLambda?: number;
  /** Ridge penalty in pseudo-rows (shrinkage to the prior), one for all levels or per level. Default DEFAULT_LAMBDA. */
  lambda?: number | Partial<Record<Level, number>>;
}

/** One fitted multiplier: exp(theta) on eta_c (compute) or eta_m (memory). */
export interface FittedGroup {
  level: Level;
  key: string;
  device?: string;
  runtime?: string;
  unit?: UnitName;
  format?: string;
  vendor?: string;
  param: 'compute' | 'memory';
  multiplier: number;
  rows: number[];
}

export interface Mape {
  decode: number | null;
  prefill: number | null;
  decode_n: number;
  prefill_n: number;
}

export interface FitResult {
  csv: string;
  device: string;
  runtime: string | null;
  levels: Level[];
  holdout: 'row' | 'device' | 'source';
  lambda: Record<Level, number>;
  rows: number[];
  errors: { line: number; message: string }[];
  groups: FittedGroup[];
  before: Mape;
  after_fit: Mape;
  after_loo: Mape;
  per_row: { line: number; kind: 'prefill' | 'decode'; measured: number; before: number; fit: number; loo: number }[];
}

interface Obs {
  row: MeasurementRow;
  kind: 'prefill' | 'decode';
  measured: number;
}

const fmtClass = (bits: number) => (bits >= 16 ? '16' : 'q');

function groupKey(level: Level, r: MeasurementRow): string | undefined {
  const rt = r.runtime;
  switch (level) {
    case 'runtime':
      return rt ? `${rt}|${r.unit}` : undefined;
    case 'format':
      return rt ? `${rt}|${r.unit}|${fmtClass(r.weight_bits)}` : undefined;
    case 'backend':
      return rt ? `${rt}|${r.unit}|${vendorOf(r.device)}` : undefined;
    case 'device':
      return `${r.device}|${r.unit}`;
    case 'pair':
      return rt ? `${r.device}|${rt}|${r.unit}` : undefined;
  }
}

function vendorOf(device: string): string {
  try {
    return loadProfile(device).vendor.split(' ')[0]!;
  } catch {
    return '?';
  }
}

type Theta = Map<string, number>; // `${level}#${group}#${param}` -> log multiplier

function tweakFrom(theta: Theta, levels: readonly Level[]): TweakFn {
  return (device, unit, runtime, bits) => {
    const r = { device, unit, runtime, weight_bits: bits } as MeasurementRow;
    let c = 0;
    let m = 0;
    for (const lv of levels) {
      const g = groupKey(lv, r);
      if (g === undefined) continue;
      c += theta.get(`${lv}#${g}#compute`) ?? 0;
      m += theta.get(`${lv}#${g}#memory`) ?? 0;
    }
    return c === 0 && m === 0 ? undefined : ({ compute: Math.exp(c), memory: Math.exp(m) } satisfies EtaTweak);
  };
}

function predictObs(o: Obs, tweak: TweakFn | undefined): { value: number; bound: string } {
  const p: RowPrediction = predictRow(o.row, tweak);
  return o.kind === 'prefill' ? { value: p.prefill_tok_s, bound: p.prefill_bound } : { value: p.decode_tok_s, bound: p.decode_bound };
}

/** Which efficiency a row's residual moves: prefill -> compute; decode -> memory unless compute-bound. */
function paramOf(o: Obs, bound: string): 'compute' | 'memory' {
  return o.kind === 'prefill' || bound === 'compute' ? 'compute' : 'memory';
}

const CLAMP = 4; // |theta| <= 4: multipliers within [0.018, 55]

/** Backfitting of the ridge-penalized log-space model on `obs`. */
function fitTheta(obs: readonly Obs[], levels: readonly Level[], lambda: Record<Level, number>, memFloor: number, iters = 12): Theta {
  const theta: Theta = new Map();
  if (obs.length === 0) return theta;
  for (let it = 0; it < iters; it++) {
    for (const lv of levels) {
      const tw = tweakFrom(theta, levels);
      const acc = new Map<string, number[]>();
      for (const o of obs) {
        const g = groupKey(lv, o.row);
        if (g === undefined) continue;
        const p = predictObs(o, tw);
        const k = `${lv}#${g}#${paramOf(o, p.bound)}`;
        const r = Math.log(o.measured / p.value) + (theta.get(k) ?? 0);
        let a = acc.get(k);
        if (!a) acc.set(k, (a = []));
        a.push(r);
      }
      for (const [k, rs] of acc) {
        const lam = k.endsWith('#memory') ? Math.max(lambda[lv], memFloor) : lambda[lv];
        const t = (mean(rs) * rs.length) / (rs.length + lam);
        theta.set(k, Math.max(-CLAMP, Math.min(CLAMP, t)));
      }
    }
  }
  return theta;
}

function mapeOf(obs: readonly Obs[], preds: readonly number[]): Mape {
  const d: number[] = [];
  const p: number[] = [];
  obs.forEach((o, i) => (o.kind === 'decode' ? d : p).push((Math.abs(preds[i]! - o.measured) / o.measured) * 100));
  return { decode: d.length ? mean(d) : null, prefill: p.length ? mean(p) : null, decode_n: d.length, prefill_n: p.length };
}

function loadObs(opts: FitOptions): { obs: Obs[]; rows: MeasurementRow[]; errors: { line: number; message: string }[] } {
  const { rows, problems } = parseMeasurements(readFileSync(opts.csvPath, 'utf8'));
  const errors = problems.map((p) => ({ line: p.line, message: p.message }));
  const selected = rows.filter((r) => (opts.device === 'all' || r.device === opts.device) && (!opts.runtime || r.runtime === opts.runtime));
  const obs: Obs[] = [];
  const ok: MeasurementRow[] = [];
  for (const r of selected) {
    try {
      predictRow(r);
    } catch (e) {
      errors.push({ line: r.line, message: (e as Error).message });
      continue;
    }
    ok.push(r);
    if (r.prefill_tok_s !== undefined) obs.push({ row: r, kind: 'prefill', measured: r.prefill_tok_s });
    if (r.decode_tok_s !== undefined) obs.push({ row: r, kind: 'decode', measured: r.decode_tok_s });
  }
  return { obs, rows: ok, errors };
}

function defaultLevels(opts: FitOptions): Level[] {
  if (opts.levels) return [...opts.levels];
  if (opts.device === 'all') return [...ALL_LEVELS];
  return opts.runtime ? ['pair'] : ['device'];
}

/**
 * Default ridge penalties (pseudo-rows). The general levels (runtime x unit
 * kind, x format) are pooled over many devices and shrink little; the
 * device-specific levels shrink more, so a device's residual is first
 * explained by its runtime and only the remainder by the device. Chosen on
 * the calibration CSV by leave-one-row-out and leave-one-device-out MAPE
 * (four levels without backend, all at 1: LOO decode 30.0% / prefill 111%,
 * leave-device-out 54.8% / 150%; these five: 26.9% / 88.7% and 42.1% / 92.5%).
 */
export const DEFAULT_LAMBDA: Readonly<Record<Level, number>> = { runtime: 0.1, format: 0.1, backend: 0.3, device: 1, pair: 2 };

/** Default memoryLambda: 0 (no extra shrinkage). Floors of 1 and 3 fitted worse on the calibration CSV (leave-one-device-out decode 46.4% and 47.4% vs 39.5%). */
export const DEFAULT_MEMORY_LAMBDA = 0;

function lambdaOf(l: FitOptions['lambda']): Record<Level, number> {
  if (typeof l === 'number') return { runtime: l, format: l, backend: l, device: l, pair: l };
  return { ...DEFAULT_LAMBDA, ...(l ?? {}) };
}

const lambdaText = (l: Record<Level, number>) => ALL_LEVELS.map((k) => `${k} ${l[k]}`).join(', ');

/** Fit, with before / in-sample / leave-one-out MAPE (percent). Writes nothing. */
export function fitFromMeasurements(opts: FitOptions): FitResult {
  const lambda = lambdaOf(opts.lambda);
  const levels = defaultLevels(opts);
  const { obs, rows, errors } = loadObs(opts);
  if (obs.length === 0) throw new Error(`no usable rows for device "${opts.device}"${opts.runtime ? ` and runtime "${opts.runtime}"` : ''} in ${opts.csvPath}`);
  const before = obs.map((o) => predictObs(o, undefined).value);
  const memFloor = opts.memoryLambda ?? DEFAULT_MEMORY_LAMBDA;
  const theta = fitTheta(obs, levels, lambda, memFloor);
  const tw = tweakFrom(theta, levels);
  const fit = obs.map((o) => predictObs(o, tw).value);
  // leave one row out (both of its observations)
  const fold = (r: MeasurementRow): unknown => (opts.holdout === 'device' ? r.device : opts.holdout === 'source' ? (r.source ?? r.line) : r);
  const loo = obs.map((o) => {
    const f = fold(o.row);
    const rest = obs.filter((x) => fold(x.row) !== f);
    return predictObs(o, tweakFrom(fitTheta(rest, levels, lambda, memFloor), levels)).value;
  });
  const groups: FittedGroup[] = [];
  for (const [k, t] of theta) {
    const [level, g, param] = k.split('#') as [Level, string, 'compute' | 'memory'];
    const parts = g.split('|');
    const members = obs.filter((o) => groupKey(level, o.row) === g).map((o) => o.row.line);
    const fg: FittedGroup = { level, key: g, param, multiplier: Math.exp(t), rows: [...new Set(members)] };
    if (level === 'runtime') Object.assign(fg, { runtime: parts[0], unit: parts[1] });
    if (level === 'format') Object.assign(fg, { runtime: parts[0], unit: parts[1], format: parts[2] });
    if (level === 'backend') Object.assign(fg, { runtime: parts[0], unit: parts[1], vendor: parts[2] });
    if (level === 'device') Object.assign(fg, { device: parts[0], unit: parts[1] });
    if (level === 'pair') Object.assign(fg, { device: parts[0], runtime: parts[1], unit: parts[2] });
    groups.push(fg);
  }
  return {
    csv: opts.csvPath,
    device: opts.device,
    runtime: opts.runtime ?? null,
    levels,
    holdout: opts.holdout ?? 'row',
    lambda,
    rows: rows.map((r) => r.line),
    errors,
    groups,
    before: mapeOf(obs, before),
    after_fit: mapeOf(obs, fit),
    after_loo: mapeOf(obs, loo),
    per_row: obs.map((o, i) => ({ line: o.row.line, kind: o.kind, measured: o.measured, before: before[i]!, fit: fit[i]!, loo: loo[i]! })),
  };
}

// ------------------------------------------------------------------ writing

function findFile(dirs: string[], id: string): string {
  for (const d of dirs) {
    const f = join(d, `${id}.yaml`);
    if (existsSync(f)) return f;
  }
  throw new Error(`no YAML file for "${id}" in ${dirs.join(', ')}`);
}

const r4 = (x: number) => Number(x.toPrecision(4));
const pctS = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}%`);

function provenance(res: FitResult, g: FittedGroup): string {
  return `fitted by mei-sim calibrate --from ${res.csv.split('/').pop()}, level ${g.level} ${g.key} (rows: ${g.rows.join(', ')}; lambda ${res.lambda[g.level]})`;
}

/** One line for a file's header comment or a report: the before/after figures of the whole fit. */
export function fitSummary(res: FitResult): string {
  return (
    `leave-one-${res.holdout}-out MAPE before decode ${pctS(res.before.decode)} / prefill ${pctS(res.before.prefill)}, ` +
    `after decode ${pctS(res.after_loo.decode)} / prefill ${pctS(res.after_loo.prefill)}; in-sample after ${pctS(res.after_fit.decode)} / ${pctS(res.after_fit.prefill)}`
  );
}

/** A `{ value, derived }` node in flow style, like the hand-written profiles. */
function flow(d: Document, v: { value: number; derived: string }): YAMLMap {
  const n = d.createNode(v) as YAMLMap;
  n.flow = true;
  return n;
}

/**
 * Write the fitted multipliers into the profile and runtime YAML files
 * (comments and other fields preserved). Multiplies what is there, so run it
 * once on the shipped profiles (a second run on fitted files shrinks again).
 * Levels go to: runtime -> runtimes/R.yaml units.<kind>; format -> units.<kind>.weight_formats.<16|q>;
 * backend (runtime x unit x vendor) -> devices.<D>.<unit> of EVERY shipped
 * profile of that vendor that has the unit (so unseen devices of the vendor
 * get it too); pair -> devices.<D>.<unit>; device -> <D>.yaml units.<unit>.efficiency.
 * Returns the files written.
 */
export function writeFit(res: FitResult, dirs: { profiles?: string[]; runtimes?: string[] } = {}): string[] {
  const pdirs = dirs.profiles ?? DEFAULT_PROFILE_DIRS;
  const rdirs = dirs.runtimes ?? DEFAULT_RUNTIME_DIRS;
  const docs = new Map<string, Document>();
  const doc = (file: string) => {
    let d = docs.get(file);
    if (!d) docs.set(file, (d = parseDocument(readFileSync(file, 'utf8'))));
    return d;
  };
  const num = (v: unknown): number | undefined => {
    const x = (v as { toJSON?: () => unknown } | undefined)?.toJSON?.() ?? v;
    return typeof x === 'object' && x !== null && 'value' in x ? Number((x as { value: unknown }).value) : undefined;
  };
  // (file, path) -> base value and the fitted factors applied to it
  const edits = new Map<string, { file: string; path: string[]; base: number; cap: boolean; factors: { m: number; text: string }[] }>();
  const edit = (file: string, path: string[], base: number, cap: boolean, m: number, text: string) => {
    const k = `${file}#${path.join('.')}`;
    let e = edits.get(k);
    if (!e) edits.set(k, (e = { file, path, base, cap, factors: [] }));
    e.factors.push({ m, text });
  };
  const profileIds = listProfiles(pdirs);
  for (const g of res.groups) {
    if (Math.abs(Math.log(g.multiplier)) < 1e-6) continue;
    const text = provenance(res, g);
    if (g.level === 'device') {
      const file = findFile(pdirs, g.device!);
      const d = doc(file);
      const ctx = unitCtx(g.device!, g.unit!, undefined, 16);
      const other = g.param === 'compute' ? 'memory' : 'compute';
      const path = ['units', g.unit!, 'efficiency'];
      if (!d.hasIn(path)) {
        d.setIn(path, d.createNode({}));
        const otherVal = g.param === 'compute' ? ctx.eta_m : ctx.eta_c;
        d.setIn([...path, other], flow(d, { value: otherVal, derived: `device default (defaults.efficiency.${other}) copied by mei-sim calibrate --from; not fitted` }));
      }
      edit(file, [...path, g.param], g.param === 'compute' ? ctx.eta_c : ctx.eta_m, true, g.multiplier, text);
      continue;
    }
    const file = findFile(rdirs, g.runtime!);
    const d = doc(file);
    const devices =
      g.level === 'backend' ? profileIds.filter((p) => p.units.includes(g.unit!) && vendorOf(p.id) === g.vendor).map((p) => p.id) : [g.device!];
    const paths =
      g.level === 'runtime'
        ? [['units', g.unit!, g.param]]
        : g.level === 'format'
          ? [['units', g.unit!, 'weight_formats', g.format!, g.param]]
          : devices.map((dev) => ['devices', dev, g.unit!, g.param]);
    for (const path of paths) edit(file, path, num(d.getIn(path)) ?? 1, false, g.multiplier, text);
  }
  for (const e of edits.values()) {
    const d = doc(e.file);
    for (let i = 1; i < e.path.length - 1; i++) if (!d.hasIn(e.path.slice(0, i))) d.setIn(e.path.slice(0, i), d.createNode({}));
    const m = e.factors.reduce((x, f) => x * f.m, 1);
    const value = r4(e.cap ? Math.min(1, e.base * m) : e.base * m);
    const derived = `${r4(e.base)} x ${e.factors.map((f) => `${r4(f.m)} (${f.text})`).join(' x ')}; whole fit: ${fitSummary(res)}`;
    d.setIn(e.path, flow(d, { value, derived }));
  }
  const written: string[] = [];
  for (const [file, d] of docs) {
    writeFileSync(file, d.toString({ lineWidth: 0 }));
    written.push(file);
  }
  clearProfileCache();
  clearPredictCache();
  return written;
}

/** Text report of a fit. */
export function formatFit(res: FitResult): string {
  const m = (x: Mape) => `decode ${pctS(x.decode)} (n=${x.decode_n}), prefill ${pctS(x.prefill)} (n=${x.prefill_n})`;
  const lines = [
    `calibrate --from ${res.csv}: device ${res.device}${res.runtime ? `, runtime ${res.runtime}` : ''}; levels ${res.levels.join(', ')}; lambda ${lambdaText(res.lambda)}; ${res.rows.length} rows`,
    `  before (profiles as shipped)  ${m(res.before)}`,
    `  after, in-sample              ${m(res.after_fit)}`,
    `  ${`after, leave-one-${res.holdout}-out`.padEnd(30)}${m(res.after_loo)}`,
    '  fitted multipliers:',
    ...res.groups
      .slice()
      .sort((a, b) => a.level.localeCompare(b.level) || a.key.localeCompare(b.key))
      .map((g) => `    ${g.level.padEnd(8)} ${g.key.padEnd(44)} eta_${g.param === 'compute' ? 'c' : 'm'} x ${g.multiplier.toFixed(3)}  (rows ${g.rows.join(',')})`),
  ];
  for (const e of res.errors) lines.push(`  error line ${e.line}: ${e.message}`);
  return lines.join('\n') + '\n';
}

export interface CalibrateFromArgs {
  /** measurements CSV (validate layout) */
  from: string;
  /** device id; "all" (default) fits every level on every device of the file */
  device?: string;
  runtime?: string;
  lambda?: number;
  /** write the fitted values into the YAML files (default true) */
  write?: boolean;
  json?: boolean;
}

/** The `mei-sim calibrate --from` action: fit, write, print the before/after leave-one-out MAPE. */
export function runCalibrateFrom(a: CalibrateFromArgs): FitResult & { files: string[] } {
  const res = fitFromMeasurements({ csvPath: a.from, device: a.device ?? 'all', runtime: a.runtime, lambda: a.lambda });
  const files = a.write === false ? [] : writeFit(res);
  const out = { ...res, files };
  if (a.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else process.stdout.write(formatFit(res) + files.map((f) => `  wrote ${f}\n`).join(''));
  return out;
}
