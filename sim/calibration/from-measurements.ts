/**
 * `mei-sim calibrate --from measurements.csv`: fit efficiency multipliers of
 * hardware/runtime profiles to published LLM measurements (validate CSV
 * layout) and report before/after MAPE under leave-one-out.
 *
 * Model, in log space. Every row's prediction is the roofline with its PRIOR
 * efficiencies (the hand-written profiles, never rewritten) multiplied by
 * exp(theta) of the groups the row belongs to (sim/hardware/fit-overlay.ts):
 *
 *   level      group
 *   unit       unit kind, pooled over every runtime (a runtime with no rows of a kind inherits it)
 *   runtime    runtime x unit kind
 *   format     runtime x unit kind x format (16 | q = any quantized format)
 *   backend    runtime x unit kind x vendor (one runtime drives different backends per vendor:
 *              llama.cpp GPU = CUDA on NVIDIA, Metal on Apple, OpenCL on Adreno, Vulkan elsewhere),
 *              applied to every device of that vendor, seen or not
 *   device     device x unit
 *   pair       device x runtime x unit (not fitted by default, see DEFAULT_LEVELS)
 *
 * The multipliers are written as a calibration overlay,
 * hardware-profiles/fitted/fit-<csv name>.yaml, that `unitCtx` applies on top
 * of the profiles. A fit predicts from the priors plus the overlay groups it
 * does not rewrite (other overlay files; other devices' groups of a per-device
 * fit), never from its own previous output, so running it twice writes the
 * same bytes.
 *
 * Prefill rows inform the compute (eta_c) parameter; decode rows inform
 * eta_m when the predicted decode is memory-bound, eta_c when compute-bound
 * (CPU GEMV with dequantization). Each level is a ridge-penalized
 * least-squares fit of log(measured / predicted), solved by backfitting:
 * theta_g = sum_i (r_i + theta_g) / (n_g + lambda), i.e. a group with n rows
 * moves n / (n + lambda) of the way to its mean log residual (shrinkage
 * towards the physical prior; lambda = pseudo-rows). Options: a Huber
 * weight on outlying rows, or the absolute-percentage-error loss (see
 * DEFAULT_HUBER / DEFAULT_LOSS for why neither is the default).
 *
 * Leave-one-out: each row (or every row of a device, or of a source) is
 * predicted by a fit that never saw it; a row whose groups have no other rows
 * keeps its prior prediction. Leave-one-device-out and leave-one-source-out
 * are the honest generalization figures.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mean } from 'simple-statistics';
import { stringify } from 'yaml';
import { closest, InputError } from '../common/errors.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import { clearPredictCache, fittedDirOf, pinOverlay, vendorKey, type EtaTweak, type TweakFn } from '../hardware/predict.ts';
import { DEFAULT_PROFILE_DIRS, DEFAULT_RUNTIME_DIRS, loadProfile } from '../hardware/profiles.ts';
import { ALL_LEVELS, groupKey as overlayGroupKey, heldoutKey, logMultipliers, readOverlays, thetaKey, type HeldoutGroup, type Level, type Overlay, type OverlayGroup } from '../hardware/fit-overlay.ts';
import { mapeByGroup, parseMeasurements, predictRow, type MeasurementRow, type RowPrediction } from '../hardware/validate.ts';

export { ALL_LEVELS, type Level };

export interface FitOptions {
  csvPath: string;
  /** Device id, or "all" for every device in the file (the shipped calibration). */
  device: string;
  /** Restrict to rows of this runtime; the fit then goes to the runtime's per-device override. */
  runtime?: string;
  /** Levels fitted; default: device only -> ['device'], with runtime -> ['pair'], "all" -> DEFAULT_LEVELS. */
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
  /** Fitted loss per row: squared log error, or absolute percentage error (default DEFAULT_LOSS). */
  loss?: Loss;
  /** Shared levels (runtime, format, backend) as the median over devices instead of the mean over rows (default DEFAULT_DEVICE_MEDIAN). */
  deviceMedian?: boolean;
  /** Huber threshold on |log residual| (default DEFAULT_HUBER; Infinity = plain least squares). */
  huber?: number;
  /** Folder of calibration overlay files (default: hardware-profiles/fitted, see sim/hardware/fit-overlay.ts). */
  fittedDir?: string;
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
  /** Shared levels estimated as the median over devices (see DEFAULT_DEVICE_MEDIAN). */
  device_median: boolean;
  lambda: Record<Level, number>;
  rows: number[];
  errors: { line: number; message: string }[];
  groups: FittedGroup[];
  /** MAPE of the priors: the profiles without any calibration overlay. */
  before: Mape;
  /**
   * MAPE of the priors plus the overlay groups this fit keeps and predicts on top of (other
   * overlay files, e.g. the shipped fit under a per-device fit of another CSV; groups of its own
   * file that it does not rewrite). Absent when the fit keeps no overlay group.
   */
  before_overlay?: Mape;
  after_fit: Mape;
  after_loo: Mape;
  per_row: { line: number; kind: 'prefill' | 'decode'; runtime: string | undefined; unit: string; measured: number; before: number; fit: number; loo: number }[];
  /**
   * Error to expect per runtime|unit on a device the fit has not seen (leave-one-device-out
   * MAPE), written to the overlay for `predict` to show; set by `fitWithHeldout`, or kept
   * from the overlay file when a per-device fit rewrites part of it.
   */
  heldout?: { method: string; groups: HeldoutGroup[] };
  /** Overlay file this fit writes (hardware-profiles/fitted/fit-<csv name>.yaml). */
  fitted_file: string;
  /** Groups of that file that this fit does not rewrite (other devices of a per-device fit); written back unchanged. */
  kept: OverlayGroup[];
}

interface Obs {
  row: MeasurementRow;
  kind: 'prefill' | 'decode';
  measured: number;
}

function groupKey(level: Level, r: MeasurementRow): string | undefined {
  return overlayGroupKey(level, { device: r.device, unit: r.unit, runtime: r.runtime, weight_bits: r.weight_bits, vendor: vendorOf(r.device) });
}

const vendorCache = new Map<string, string>();
function vendorOf(device: string): string {
  let v = vendorCache.get(device);
  if (v === undefined) {
    try {
      v = vendorKey(loadProfile(device).vendor);
    } catch {
      v = '?';
    }
    vendorCache.set(device, v);
  }
  return v;
}

type Theta = Map<string, number>; // `${level}#${group}#${param}` -> log multiplier

function tweakFrom(theta: Theta, levels: readonly Level[]): TweakFn {
  return (device, unit, runtime, bits) => {
    const lm = logMultipliers(theta, { device, unit, runtime, weight_bits: bits, vendor: vendorOf(device) }, levels);
    return lm.compute === 0 && lm.memory === 0 ? undefined : ({ compute: Math.exp(lm.compute), memory: Math.exp(lm.memory) } satisfies EtaTweak);
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

export type Loss = 'log' | 'ape';

const CLAMP = 4; // |theta| <= 4: multipliers within [0.018, 55]

/**
 * Backfitting of the ridge-penalized model on `obs`. Each group's log multiplier
 * theta minimizes, with the other groups held, sum_i loss(theta + r_i) + lambda theta^2:
 * - loss 'log': (log(measured / predicted))^2, i.e. theta = sum_i r_i / (n + lambda);
 * - loss 'ape': |predicted / measured - 1|, the absolute percentage error that the
 *   fidelity check scores (1-D golden-section search; convex in theta).
 * With `huber` (log units), a row whose |log residual| exceeds it weighs huber / |residual|
 * (Huber M-estimate, 'log' loss only).
 */
function fitTheta(obs: readonly Obs[], levels: readonly Level[], lambda: Record<Level, number>, memFloor: number, huber = Infinity, loss: Loss = 'log', deviceMedian = false, iters = 12): Theta {
  const theta: Theta = new Map();
  if (obs.length === 0) return theta;
  for (let it = 0; it < iters; it++) {
    for (const lv of levels) {
      const tw = tweakFrom(theta, levels);
      const acc = new Map<string, { w: number[]; r: number[]; d: string[] }>();
      for (const o of obs) {
        const g = groupKey(lv, o.row);
        if (g === undefined) continue;
        const p = predictObs(o, tw);
        const k = thetaKey(lv, g, paramOf(o, p.bound));
        const res = Math.log(o.measured / p.value);
        let a = acc.get(k);
        if (!a) acc.set(k, (a = { w: [], r: [], d: [] }));
        a.w.push(Math.abs(res) > huber ? huber / Math.abs(res) : 1);
        a.r.push(res + (theta.get(k) ?? 0)); // log(measured / prediction without this group)
        a.d.push(o.row.device);
      }
      for (const [k, a] of acc) {
        const lam = k.endsWith('#memory') ? Math.max(lambda[lv], memFloor) : lambda[lv];
        const t =
          loss === 'ape'
            ? apeTheta(a.r, lam)
            : deviceMedian && SHARED_LEVELS.has(lv)
              ? medianOfDevices(a.r, a.d, lam)
              : a.r.reduce((s, r, i) => s + a.w[i]! * r, 0) / (a.w.reduce((s, w) => s + w, 0) + lam);
        theta.set(k, Math.max(-CLAMP, Math.min(CLAMP, t)));
      }
    }
  }
  return theta;
}

const SHARED_LEVELS: ReadonlySet<Level> = new Set<Level>(['unit', 'runtime', 'format', 'backend']);

/**
 * Shared-level estimate that gives every device one vote: the row-weighted
 * median of the per-device mean residuals, shrunk by n / (n + lambda). One
 * outlying device (e.g. sa8295p's QNN rows, 5x below the 8 Elite's) then cannot
 * move the runtime level that unseen devices inherit.
 */
function medianOfDevices(r: readonly number[], dev: readonly string[], lambda: number): number {
  const by = new Map<string, number[]>();
  r.forEach((x, i) => {
    let a = by.get(dev[i]!);
    if (!a) by.set(dev[i]!, (a = []));
    a.push(x);
  });
  const m = [...by.values()].map((a) => ({ v: mean(a), w: a.length })).sort((x, y) => x.v - y.v);
  const half = r.length / 2;
  let acc = 0;
  let med = m[m.length - 1]!.v;
  for (let i = 0; i < m.length; i++) {
    acc += m[i]!.w;
    if (acc > half) {
      med = m[i]!.v;
      break;
    }
    if (acc === half) {
      med = (m[i]!.v + m[i + 1]!.v) / 2;
      break;
    }
  }
  return (med * r.length) / (r.length + lambda);
}

/** argmin over theta of sum_i |exp(theta - r_i) - 1| + lambda theta^2 (convex), by golden-section search. */
function apeTheta(r: readonly number[], lambda: number): number {
  const f = (t: number) => r.reduce((s, ri) => s + Math.abs(Math.exp(t - ri) - 1), 0) + lambda * t * t;
  let lo = -CLAMP;
  let hi = CLAMP;
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = f(x1);
  let f2 = f(x2);
  for (let i = 0; i < 60; i++) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = f(x2);
    }
  }
  return (lo + hi) / 2;
}

function mapeOf(obs: readonly Obs[], preds: readonly number[]): Mape {
  const d: number[] = [];
  const p: number[] = [];
  obs.forEach((o, i) => (o.kind === 'decode' ? d : p).push((Math.abs(preds[i]! - o.measured) / o.measured) * 100));
  return { decode: d.length ? mean(d) : null, prefill: p.length ? mean(p) : null, decode_n: d.length, prefill_n: p.length };
}

interface Loaded {
  obs: Obs[];
  rows: MeasurementRow[];
  errors: { line: number; message: string }[];
  /** Every parsed row of the file (any device), for the message when none is selected. */
  parsed: MeasurementRow[];
}

/** A measured rate the fit can use: a finite number > 0 (log(measured / predicted) must exist). */
const usableRate = (x: number | undefined) => x === undefined || (Number.isFinite(x) && x > 0);

function loadObs(opts: FitOptions): Loaded {
  if (!existsSync(opts.csvPath)) throw new InputError(`calibrate --from: no such file ${opts.csvPath}`);
  if (statSync(opts.csvPath).isDirectory()) throw new InputError(`calibrate --from: ${opts.csvPath} is a folder, expected a measurements CSV`);
  // A file that is not a measurements table is an InputError naming the file and line.
  const { rows, problems } = parseMeasurements(readFileSync(opts.csvPath, 'utf8'), opts.csvPath);
  const errors = problems.map((p) => ({ line: p.line, message: p.message }));
  const selected = rows.filter((r) => (opts.device === 'all' || r.device === opts.device) && (!opts.runtime || r.runtime === opts.runtime));
  const obs: Obs[] = [];
  const ok: MeasurementRow[] = [];
  for (const r of selected) {
    // Defence in depth (parseMeasurements also drops them): a measured rate of 0, a negative or a
    // non-finite one has no log residual and would fit a corrupt multiplier.
    const bad = (['prefill_tok_s', 'decode_tok_s'] as const).filter((k) => !usableRate(r[k]));
    if (bad.length > 0) {
      errors.push({ line: r.line, message: bad.map((k) => `${k} ${r[k]} is not a finite number > 0`).join('; ') });
      continue;
    }
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
  return { obs, rows: ok, errors, parsed: rows };
}

/**
 * Levels of the shipped fit (`--device all`): the shared levels plus device x unit, without
 * the device x runtime x unit `pair` level. Chosen by leave-one-device-out and
 * leave-one-source-out MAPE on the calibration CSV (decode / prefill %, priors of 2026-11-21 with
 * llama.cpp K-quant bytes and 8-bit weights on pre-v73 Hexagon; sim/hardware/predict.ts):
 *   all five levels                  LODO 30.8 / 80.4, LOSO 48.2 / 154.2, in-sample 14.1 / 27.6
 *   without pair (this)              LODO 30.8 / 80.0, LOSO 48.6 / 153.9, in-sample 14.5 / 29.6
 *   shared only (runtime, format, backend)  LODO 31.1 / 79.0, LOSO 52.5 / 152.7, in-sample 19.3 / 41.0
 *   (before those two physics fixes: runtime, backend only: LODO 44.6 / 80.7, LOSO 62.6 / 156.0)
 * The pair level adds ~40 parameters learned from one or two rows each and buys nothing held out;
 * the device level is kept because it helps other sources on the same device (LOSO 48.6 vs 52.5),
 * which is what a new measurement of a calibrated device is.
 *
 * The `unit` level (one multiplier per unit kind, pooled over every runtime) was added later,
 * so that a runtime with few or no rows of a kind inherits what the others share instead of
 * the raw prior (partial pooling). With it, at unit lambda 1 (priors with the RKNPU fp16 peak
 * and the T-MAC LUT cost): LODO 29.6 / 72.8, LOSO 47.0 / 134.3, in-sample 14.5 / 29.5, against
 * 30.8 / 79.9, 48.6 / 153.9 and 14.5 / 29.6 without; unit lambda 0.1: 36.4 / 76.1, 42.5 / 120.6;
 * 3: 28.8 / 78.4, 50.0 / 144.9; 10: 28.7 / 80.0, 48.6 / 153.8.
 */
export const DEFAULT_LEVELS: readonly Level[] = ['unit', 'runtime', 'format', 'backend', 'device'];

function defaultLevels(opts: FitOptions): Level[] {
  if (opts.levels) return [...opts.levels];
  if (opts.device === 'all') return [...DEFAULT_LEVELS];
  return opts.runtime ? ['pair'] : ['device'];
}

/**
 * Default ridge penalties (pseudo-rows). The general levels (runtime x unit
 * kind, x format, x vendor) are pooled over many devices and shrink little; the
 * device-specific levels shrink more, so a device's residual is first
 * explained by its runtime and only the remainder by the device. Chosen on
 * the calibration CSV by leave-one-device-out and leave-one-source-out MAPE
 * (decode/prefill %), with DEFAULT_DEVICE_MEDIAN: backend 0.3 -> LODO 36.2/84.1,
 * LOSO 49.9/157.4; backend 0.1 (these) -> 36.3/79.9, 50.5/153.5; runtime/format
 * 0.3 and backend 1 -> 40.7/99.5, 50.7/165.0; device 2, pair 3 -> 36.2/82.0, 51.2/156.3.
 * Re-checked with DEFAULT_LEVELS (no pair) and llama.cpp K-quant bytes (sim/hardware/predict.ts; before the Hexagon 8-bit fix):
 * device 0.5 / 1 / 2 -> LODO 35.7/80.9, 35.7/80.0, 35.7/79.7; LOSO 48.9/154.3, 50.2/153.9, 51.9/154.0
 * (within fold noise; kept 1). memoryLambda 1: LODO 43.0/80.1; no device median: 38.6/90.1.
 */
export const DEFAULT_LAMBDA: Readonly<Record<Level, number>> = { unit: 1, runtime: 0.1, format: 0.1, backend: 0.1, device: 1, pair: 2 };

/** Default memoryLambda: 0 (no extra shrinkage). Floors of 1 and 3 fitted worse on the calibration CSV (leave-one-device-out decode 46.4% and 47.4% vs 39.5%). */
export const DEFAULT_MEMORY_LAMBDA = 0;

/**
 * Default Huber threshold: none. Measured on the calibration CSV (defaults otherwise;
 * in-sample / leave-one-device-out / leave-one-source-out, decode / prefill MAPE %):
 * plain 14.1/29.4, 39.5/95.6, 47.5/161.2; Huber 0.5: 14.1/40.0, 40.0/92.4, 47.7/158.1;
 * Huber 1.0: 14.1/31.2, 39.6/95.2, 47.6/161.0 - within the fold-to-fold noise.
 */
export const DEFAULT_HUBER = Infinity;

/**
 * Default loss: squared log error. The absolute-percentage-error loss scored a
 * little better held out (leave-one-device-out 39.9/92.2, leave-one-source-out
 * 44.5/149.6) but only by pulling groups towards their slowest rows: weights grow
 * as 1 / (measured / predicted), so the one early-OpenCL F16 prefill row
 * (33.7 tok/s, llama.cpp PR 10693) drags every F16 GPU prediction, and the
 * runtime/backend multipliers stop being physically readable (llama.cpp|gpu
 * eta_c x 0.15 with Apple x 9.6). Kept as an option.
 */
export const DEFAULT_LOSS: Loss = 'log';

/**
 * Default: shared levels are the median over devices (one vote per device). On the
 * calibration CSV (backend lambda 0.3) it moved leave-one-device-out MAPE from
 * 39.5/95.6 to 36.2/84.1 and leave-one-source-out from 47.5/161.2 to 49.9/157.4
 * (decode/prefill %); in-sample 14.1/29.4 -> 14.7/28.3. Predicting an unseen device
 * is predicting a typical device, which a mean over rows misses when one device
 * (sa8295p QNN, 5x below the 8 Elite) has outlying rows.
 */
export const DEFAULT_DEVICE_MEDIAN = true;

function lambdaOf(l: FitOptions['lambda']): Record<Level, number> {
  if (typeof l === 'number') return { unit: l, runtime: l, format: l, backend: l, device: l, pair: l };
  return { ...DEFAULT_LAMBDA, ...(l ?? {}) };
}

const lambdaText = (l: Record<Level, number>) => ALL_LEVELS.map((k) => `${k} ${l[k]}`).join(', ');

/** Fit, with before / in-sample / leave-one-out MAPE (percent). Writes nothing. */
export function fitFromMeasurements(options: FitOptions): FitResult {
  // Profile, runtime and unit ids are lower case; the CSV's are lower-cased by parseMeasurements.
  const opts: FitOptions = { ...options, device: options.device.toLowerCase(), ...(options.runtime ? { runtime: options.runtime.toLowerCase() } : {}) };
  const levels = defaultLevels(opts);
  const fittedDir = opts.fittedDir ?? fittedDirOf();
  const file = overlayFile(fittedDir, opts.csvPath);
  // Predict from the priors plus every overlay group this fit does not rewrite (idempotence).
  pinOverlay(new Map());
  try {
    const loaded = loadObs(opts);
    if (loaded.obs.length === 0) throw noRows(opts, loaded);
    // `before`: the priors alone, without any calibration overlay
    const prior = loaded.obs.map((o) => predictObs(o, undefined).value);
    const refit = refitted(levels, opts.device, loaded.obs.map((o) => o.row));
    const kept = readOverlays(fittedDir).flatMap(({ file: f, overlay }) => overlay.groups.filter((g) => f !== file || !refit(g)).map((g) => ({ f, g })));
    const fixed = new Map<string, number>();
    for (const { g } of kept) fixed.set(thetaKey(g.level, g.key, g.param), (fixed.get(thetaKey(g.level, g.key, g.param)) ?? 0) + Math.log(g.value));
    pinOverlay(fixed);
    const res = fitPinned(opts, levels, loaded, prior, fixed.size > 0);
    const own = opts.device === 'all' ? undefined : readOverlays(fittedDir).find((o) => o.file === file)?.overlay.heldout;
    return { ...res, fitted_file: file, kept: kept.filter((k) => k.f === file).map((k) => k.g), ...(own ? { heldout: own } : {}) };
  } finally {
    pinOverlay(undefined);
  }
}

/** The InputError of a selection without usable rows: what the file holds instead. */
function noRows(opts: FitOptions, loaded: Loaded): InputError {
  const sel = [opts.device !== 'all' || !opts.runtime ? `device "${opts.device}"` : '', opts.runtime ? `runtime "${opts.runtime}"` : ''].filter(Boolean).join(' and ');
  const devices = [...new Set(loaded.parsed.map((r) => r.device))].sort();
  const rts = [...new Set(loaded.parsed.filter((r) => opts.device === 'all' || r.device === opts.device).map((r) => r.runtime ?? '-'))].sort();
  const why =
    loaded.errors.length > 0 ? `; ${loaded.errors.length} row(s) could not be used: ${loaded.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`).join('; ')}${loaded.errors.length > 5 ? '; ...' : ''}` : '';
  const has =
    loaded.parsed.length === 0
      ? 'the file has no valid measurement row'
      : opts.device !== 'all' && !devices.includes(opts.device)
        ? `devices in the file: ${devices.join(', ')}`
        : opts.runtime
          ? `runtimes ${opts.device === 'all' ? 'in the file' : `of ${opts.device} in the file`}: ${rts.join(', ')}`
          : `devices in the file: ${devices.join(', ')}`;
  return new InputError(`calibrate --from ${opts.csvPath}: no usable rows for ${sel} (${has})${why}`);
}

/** Fitted multipliers must be finite: a NaN or infinite one would corrupt every prediction of its group. */
export function checkFiniteGroups(groups: readonly FittedGroup[], csv: string): void {
  const bad = groups.filter((g) => !Number.isFinite(g.multiplier) || g.multiplier <= 0);
  if (bad.length === 0) return;
  throw new InputError(
    `calibrate --from ${csv}: the fit gives no finite multiplier for ${bad.map((g) => `${g.level} ${g.key} eta_${g.param === 'compute' ? 'c' : 'm'} (rows ${g.rows.join(', ')})`).join('; ')}; check the measured prefill_tok_s / decode_tok_s of those rows`,
  );
}

function fitPinned(opts: FitOptions, levels: Level[], loaded: Loaded, prior: readonly number[], withOverlay: boolean): Omit<FitResult, 'fitted_file' | 'kept'> {
  const lambda = lambdaOf(opts.lambda);
  const { obs, rows, errors } = loaded;
  // with the overlay groups the fit keeps (pinned by the caller)
  const current = obs.map((o) => predictObs(o, undefined).value);
  const memFloor = opts.memoryLambda ?? DEFAULT_MEMORY_LAMBDA;
  const huber = opts.huber ?? DEFAULT_HUBER;
  const loss = opts.loss ?? DEFAULT_LOSS;
  const devMed = opts.deviceMedian ?? DEFAULT_DEVICE_MEDIAN;
  const theta = fitTheta(obs, levels, lambda, memFloor, huber, loss, devMed);
  const tw = tweakFrom(theta, levels);
  const fit = obs.map((o) => predictObs(o, tw).value);
  // leave one row out (both of its observations)
  const fold = (r: MeasurementRow): unknown => (opts.holdout === 'device' ? r.device : opts.holdout === 'source' ? (r.source ?? r.line) : r);
  const loo = obs.map((o) => {
    const f = fold(o.row);
    const rest = obs.filter((x) => fold(x.row) !== f);
    return predictObs(o, tweakFrom(fitTheta(rest, levels, lambda, memFloor, huber, loss, devMed), levels)).value;
  });
  const groups: FittedGroup[] = [];
  for (const [k, t] of theta) {
    const [level, g, param] = k.split('#') as [Level, string, 'compute' | 'memory'];
    const parts = g.split('|');
    const members = obs.filter((o) => groupKey(level, o.row) === g).map((o) => o.row.line);
    const fg: FittedGroup = { level, key: g, param, multiplier: Math.exp(t), rows: [...new Set(members)] };
    if (level === 'unit') Object.assign(fg, { unit: parts[0] });
    if (level === 'runtime') Object.assign(fg, { runtime: parts[0], unit: parts[1] });
    if (level === 'format') Object.assign(fg, { runtime: parts[0], unit: parts[1], format: parts[2] });
    if (level === 'backend') Object.assign(fg, { runtime: parts[0], unit: parts[1], vendor: parts[2] });
    if (level === 'device') Object.assign(fg, { device: parts[0], unit: parts[1] });
    if (level === 'pair') Object.assign(fg, { device: parts[0], runtime: parts[1], unit: parts[2] });
    groups.push(fg);
  }
  checkFiniteGroups(groups, opts.csvPath);
  return {
    csv: opts.csvPath,
    device: opts.device,
    runtime: opts.runtime ?? null,
    levels,
    holdout: opts.holdout ?? 'row',
    device_median: devMed,
    lambda,
    rows: rows.map((r) => r.line),
    errors,
    groups,
    before: mapeOf(obs, prior),
    ...(withOverlay ? { before_overlay: mapeOf(obs, current) } : {}),
    after_fit: mapeOf(obs, fit),
    after_loo: mapeOf(obs, loo),
    per_row: obs.map((o, i) => ({ line: o.row.line, kind: o.kind, runtime: o.row.runtime, unit: o.row.unit, measured: o.measured, before: prior[i]!, fit: fit[i]!, loo: loo[i]! })),
  };
}

/** MAPE of a fit's held-out predictions, per runtime|unit (sorted by key). */
export function heldoutGroups(res: Pick<FitResult, 'per_row'>): HeldoutGroup[] {
  const r = (x: number | null) => (x === null ? null : r4(x));
  return mapeByGroup(res.per_row.map((p) => ({ key: heldoutKey(p.runtime, p.unit), kind: p.kind, ape_pct: (Math.abs(p.loo - p.measured) / p.measured) * 100 }))).map((g) => ({
    ...g,
    decode_mape_pct: r(g.decode_mape_pct),
    prefill_mape_pct: r(g.prefill_mape_pct),
  }));
}

/**
 * The fit `calibrate --from` ships: `fitFromMeasurements`, plus (for an all-device
 * fit) a leave-one-device-out pass whose per-runtime|unit MAPE goes into the
 * overlay, so `predict` can say how far off a device the fit has not seen was.
 */
export function fitWithHeldout(opts: FitOptions): FitResult {
  const res = fitFromMeasurements(opts);
  if (opts.device !== 'all') return res;
  const lodo = opts.holdout === 'device' ? res : fitFromMeasurements({ ...opts, holdout: 'device' });
  return { ...res, heldout: { method: `leave-one-device-out on ${basename(opts.csvPath)}`, groups: heldoutGroups(lodo) } };
}

// ------------------------------------------------------------------ writing

/** Overlay file of a measurements CSV: <fitted dir>/fit-<csv base name>.yaml. */
export function overlayFile(fittedDir: string, csvPath: string): string {
  const base = basename(csvPath).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]+/g, '-');
  return join(fittedDir, `fit-${base}.yaml`);
}

/**
 * Which groups of the fit's own overlay file a fit replaces: all of them when the
 * fit covers all devices (the file is that fit, whatever levels an earlier fit
 * used), else the groups of the fitted levels that the selected rows belong to.
 */
function refitted(levels: readonly Level[], device: string, rows: readonly MeasurementRow[]): (g: OverlayGroup) => boolean {
  const keys = new Set<string>();
  for (const lv of levels) for (const r of rows) keys.add(`${lv}#${groupKey(lv, r)}`);
  return (g) => device === 'all' || (levels.includes(g.level) && keys.has(`${g.level}#${g.key}`));
}

const r4 = (x: number) => Number(x.toPrecision(4));
const pctS = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}%`);

/** One line for a file's header or a report: the before/after figures of the whole fit. */
export function fitSummary(res: FitResult): string {
  return (
    `leave-one-${res.holdout}-out MAPE before decode ${pctS(res.before.decode)} / prefill ${pctS(res.before.prefill)}, ` +
    `after decode ${pctS(res.after_loo.decode)} / prefill ${pctS(res.after_loo.prefill)}; in-sample after ${pctS(res.after_fit.decode)} / ${pctS(res.after_fit.prefill)}`
  );
}

const LEVEL_ORDER = new Map(ALL_LEVELS.map((l, i) => [l, i]));

/**
 * Write the fit as a calibration overlay (`res.fitted_file`): absolute
 * multipliers of the prior efficiencies in the profiles, which stay untouched.
 * The content depends only on the CSV, the priors and the other overlay files,
 * so writing twice gives the same bytes. Returns the files written.
 */
export function writeFit(res: FitResult, file: string = res.fitted_file): string[] {
  const csvName = basename(res.csv);
  const fresh: OverlayGroup[] = res.groups
    .filter((g) => Math.abs(Math.log(g.multiplier)) >= 1e-4)
    .map((g) => ({
      level: g.level,
      key: g.key,
      param: g.param,
      value: r4(g.multiplier),
      derived: `exp(theta) of a ridge-penalized log-space fit (${res.device_median && SHARED_LEVELS.has(g.level) ? 'row-weighted median over devices of the mean' : 'mean'} log(measured / predicted tok/s) x n / (n + lambda ${res.lambda[g.level]}), backfitted with the other levels) over ${csvName} rows ${g.rows.join(', ')}; multiplies the prior eta_${g.param === 'compute' ? 'c' : 'm'} of the profiles`,
    }));
  const groups = [...res.kept, ...fresh].sort(
    (a, b) => LEVEL_ORDER.get(a.level)! - LEVEL_ORDER.get(b.level)! || a.key.localeCompare(b.key) || a.param.localeCompare(b.param),
  );
  const overlay: Overlay = {
    source: csvName,
    derived: `mei-sim calibrate --from ${csvName} (device ${res.device}${res.runtime ? `, runtime ${res.runtime}` : ''}; levels ${res.levels.join(', ')}; lambda ${lambdaText(res.lambda)}): ${fitSummary(res)}`,
    groups,
    ...(res.heldout ? { heldout: res.heldout } : {}),
  };
  const header =
    '# Calibration overlay written by `mei-sim calibrate --from` (sim/calibration/from-measurements.ts).\n' +
    '# Each group multiplies the PRIOR efficiency (eta_c = compute, eta_m = memory) of the hardware and runtime profiles;\n' +
    '# the profiles themselves are never rewritten, so refitting replaces this file instead of compounding it.\n' +
    '# Levels: runtime = runtime|unit, format = runtime|unit|16 or q, backend = runtime|unit|vendor,\n' +
    '# device = device|unit, pair = device|runtime|unit (sim/hardware/fit-overlay.ts).\n' +
    '# heldout: MAPE per runtime|unit when each device is predicted by a fit that never saw it; `mei-sim predict` prints it.\n';
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, header + stringify(overlay, { lineWidth: 0 }));
  clearPredictCache();
  return [file];
}

/** Text report of a fit. */
export function formatFit(res: FitResult): string {
  const m = (x: Mape) => `decode ${pctS(x.decode)} (n=${x.decode_n}), prefill ${pctS(x.prefill)} (n=${x.prefill_n})`;
  const W = 42;
  const lines = [
    `calibrate --from ${res.csv}: device ${res.device}${res.runtime ? `, runtime ${res.runtime}` : ''}; levels ${res.levels.join(', ')}; lambda ${lambdaText(res.lambda)}; ${res.rows.length} rows${res.errors.length > 0 ? `, ${res.errors.length} skipped (listed below)` : ''}`,
    `  ${'before (priors, no fitted overlay)'.padEnd(W)}${m(res.before)}`,
    ...(res.before_overlay ? [`  ${'before (priors + kept fitted overlay)'.padEnd(W)}${m(res.before_overlay)}`] : []),
    `  ${'after, in-sample'.padEnd(W)}${m(res.after_fit)}`,
    `  ${`after, leave-one-${res.holdout}-out`.padEnd(W)}${m(res.after_loo)}`,
    '  fitted multipliers:',
    ...res.groups
      .slice()
      .sort((a, b) => a.level.localeCompare(b.level) || a.key.localeCompare(b.key))
      .map((g) => `    ${g.level.padEnd(8)} ${g.key.padEnd(44)} eta_${g.param === 'compute' ? 'c' : 'm'} x ${g.multiplier.toFixed(3)}  (rows ${g.rows.join(',')})`),
  ];
  if (res.heldout) {
    const pc = (x: number | null, n: number) => (x === null ? 'no rows'.padEnd(14) : `${x.toFixed(1)}% (n=${n})`.padEnd(14));
    lines.push(`  held-out error per runtime|unit (${res.heldout.method}): decode, prefill MAPE`);
    for (const g of res.heldout.groups) lines.push(`    ${g.key.padEnd(20)} ${pc(g.decode_mape_pct, g.decode_n)} ${pc(g.prefill_mape_pct, g.prefill_n)}`.trimEnd());
  }
  for (const e of res.errors) lines.push(`  skipped line ${e.line} (not fitted): ${e.message}`);
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

/** Ids of the `.yaml` files in folders (profile or runtime ids). */
function yamlIds(dirs: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const d of dirs) if (existsSync(d)) for (const f of readdirSync(d)) if (f.endsWith('.yaml')) ids.add(f.slice(0, -'.yaml'.length));
  return [...ids].sort();
}

/**
 * Check --device and --runtime against the shipped profiles and runtimes (ids are lower case,
 * matched case-insensitively); an unknown one is an InputError with a did-you-mean.
 */
export function checkIds(device: string, runtime: string | undefined, dirs: { profiles?: readonly string[]; runtimes?: readonly string[] } = {}): { device: string; runtime: string | undefined } {
  const d = device.toLowerCase();
  const r = runtime?.toLowerCase();
  const unknown = (kind: string, id: string, known: string[], list: string) => {
    const near = closest(id, known);
    return new InputError(`calibrate --from: unknown ${kind} "${id}"; ${near ? `did you mean "${near}"? (\`mei-sim list ${list}\` lists them)` : `known: ${known.filter((k) => k !== 'all').join(', ')}${kind === 'device' ? ', or "all"' : ''}`}`);
  };
  if (d !== 'all') {
    const known = yamlIds(dirs.profiles ?? DEFAULT_PROFILE_DIRS);
    if (!known.includes(d)) throw unknown('device', device, [...known, 'all'], 'profiles');
  }
  if (r !== undefined) {
    const known = yamlIds(dirs.runtimes ?? DEFAULT_RUNTIME_DIRS);
    if (!known.includes(r)) throw unknown('runtime', runtime!, known, 'runtimes');
  }
  return { device: d, runtime: r };
}

/** The `mei-sim calibrate --from` action: fit, write, print the before/after leave-one-out MAPE. */
export function runCalibrateFrom(a: CalibrateFromArgs): FitResult & { files: string[] } {
  if (a.runtime === '') throw new InputError('calibrate --from: --runtime is empty; give a runtime id or leave it out');
  if (a.device === '') throw new InputError('calibrate --from: --device is empty; give a device id, or "all" (the default)');
  const { device, runtime } = checkIds(a.device ?? 'all', a.runtime);
  const res = fitWithHeldout({ csvPath: a.from, device, runtime, lambda: a.lambda });
  const files = a.write === false ? [] : writeFit(res);
  const out = { ...res, files };
  if (a.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else process.stdout.write(formatFit(res) + files.map((f) => `  wrote ${f}\n`).join(''));
  return out;
}
