/**
 * Fitting the host's empirical roofline from kernel timings. Pure functions.
 *
 *   bandwidth: per memory level, the best STREAM rate on the size plateau of that level
 *              (levels from the cache sizes, or from 1-D k-means of the curve when unknown);
 *              between plateaus the bandwidth is interpolated log-log.
 *   peak:      per roof dtype and implementation, the best GEMM rate.
 *   overhead:  per implementation, the smallest time of a tiny call beyond its roofline time.
 *   roofline:  t_roof = max(flops / peak, bytes / bw(ws));  t = t_roof / eta + overhead.
 *   eta:       per (kernel, implementation, regime) by weighted least squares through the origin on
 *              relative error: minimise sum(((a x - y) / y)^2)  ->  a = sum(x/y) / sum(x^2/y^2).
 */
import { ckmeans, median } from 'simple-statistics';
import type { Impl, KernelClass, RoofDtype } from './kernels/suite.ts';

export interface Point {
  kernel: string;
  impl: Impl;
  klass: KernelClass;
  roof: RoofDtype;
  size: number;
  threads: number;
  flops: number;
  bytes: number;
  ws_bytes: number;
  /** the time the fit uses (STREAM convention: the best of the repetitions), s */
  time_s: number;
  split: 'train' | 'holdout' | 'tiny';
}

export interface Level {
  name: string;
  /** plateau: working sets in [lo, hi] bytes belong to this level */
  lo_bytes: number;
  hi_bytes: number;
  /** best bandwidth over implementations and STREAM ops, bytes/s */
  bandwidth: number;
  bandwidth_by_impl: Partial<Record<Impl, number>>;
  /** representative working set (geometric mean of the plateau points) */
  ws_bytes: number;
  points: number;
  /**
   * 'plateau': measured on the level's plateau; 'largest working set': the DRAM level of a host
   * whose STREAM sizes stop short of its DRAM plateau (3 x LLC), taken from the largest working
   * set measured (an upper bound of the DRAM bandwidth, never a cache level's).
   */
  basis: 'plateau' | 'largest working set';
}

export interface Roofline {
  levels: Level[];
  peak: Partial<Record<RoofDtype, number>>;
  peak_by_impl: Partial<Record<RoofDtype, Partial<Record<Impl, number>>>>;
  overhead_s: Partial<Record<Impl, number>>;
}

export interface EtaFit {
  kernel: string;
  impl: Impl;
  regime: string;
  eta: number;
  points: number;
}

export interface Model {
  roofline: Roofline;
  eta: EtaFit[];
}

const STREAM_PREFIX = 'stream_';
export const isStream = (k: string) => k.startsWith(STREAM_PREFIX);
export const isGemm = (k: string) => k.startsWith('gemm_');

/** Level plateaus from cache capacities (bytes, innermost first). */
export function levelsFromCaches(caches: number[]): { name: string; lo: number; hi: number }[] {
  const names = caches.length === 1 ? ['L1'] : caches.length === 2 ? ['L1', 'LLC'] : ['L1', 'L2', 'LLC', 'L4'].slice(0, caches.length);
  if (caches.length >= 3) names[caches.length - 1] = 'LLC';
  const out: { name: string; lo: number; hi: number }[] = [];
  let lo = 0;
  caches.forEach((c, i) => {
    out.push({ name: names[i]!, lo, hi: 0.75 * c });
    lo = 1.5 * c;
  });
  out.push({ name: 'DRAM', lo: 3 * caches[caches.length - 1]!, hi: Infinity });
  return out;
}

/** Fallback when cache sizes are unknown: cluster the best-bandwidth curve into <= 4 plateaus. */
export function levelsFromCurve(curve: { ws: number; bw: number }[]): { name: string; lo: number; hi: number }[] {
  const pts = [...curve].sort((a, b) => a.ws - b.ws);
  const k = Math.max(1, Math.min(4, pts.length - 1));
  const clusters = ckmeans(pts.map((p) => Math.log(p.bw)), k);
  // clusters sorted by bandwidth ascending; the fastest cluster is the innermost level
  const ranges = clusters
    .map((c) => {
      const members = pts.filter((p) => c.includes(Math.log(p.bw)));
      return { lo: Math.min(...members.map((m) => m.ws)), hi: Math.max(...members.map((m) => m.ws)), bw: Math.max(...c) };
    })
    .sort((a, b) => a.lo - b.lo);
  const names = ['L1', 'L2', 'LLC', 'DRAM'].slice(4 - ranges.length);
  if (ranges.length >= 2) names[0] = 'L1';
  return ranges.map((r, i) => ({ name: names[i]!, lo: r.lo, hi: i === ranges.length - 1 ? Infinity : r.hi }));
}

/** Time net of the per-call overhead (kept >= 5% of the measured time). */
export function netTime(p: Point, overhead: Partial<Record<Impl, number>>): number {
  return Math.max(p.time_s - (overhead[p.impl] ?? 0), 0.05 * p.time_s);
}

export function fitLevels(train: Point[], caches: number[] | undefined, overhead: Partial<Record<Impl, number>> = {}): Level[] {
  const stream = train
    .filter((p) => isStream(p.kernel) && p.threads === 1)
    .map((p) => ({ ...p, time_s: netTime(p, overhead) }));
  if (stream.length === 0) throw new Error('no STREAM points to fit bandwidth');
  const bestAt = new Map<number, number>();
  for (const p of stream) bestAt.set(p.ws_bytes, Math.max(bestAt.get(p.ws_bytes) ?? 0, p.bytes / p.time_s));
  const bounds =
    caches && caches.length > 0 ? levelsFromCaches(caches) : levelsFromCurve([...bestAt].map(([ws, bw]) => ({ ws, bw })));
  const levels: Level[] = [];
  for (const b of bounds) {
    const inside = stream.filter((p) => p.ws_bytes >= b.lo && p.ws_bytes <= b.hi);
    if (inside.length === 0) continue;
    // per (op, impl): median rate over the plateau; the level is the best of those
    const groups = new Map<string, number[]>();
    for (const p of inside) {
      const key = `${p.kernel}|${p.impl}`;
      const g = groups.get(key) ?? [];
      g.push(p.bytes / p.time_s);
      groups.set(key, g);
    }
    const byImpl: Partial<Record<Impl, number>> = {};
    for (const [key, rates] of groups) {
      const impl = key.split('|')[1] as Impl;
      byImpl[impl] = Math.max(byImpl[impl] ?? 0, median(rates));
    }
    const wss = [...new Set(inside.map((p) => p.ws_bytes))];
    levels.push({
      name: b.name,
      lo_bytes: b.lo,
      hi_bytes: b.hi,
      bandwidth: Math.max(...Object.values(byImpl)),
      bandwidth_by_impl: byImpl,
      ws_bytes: Math.exp(wss.reduce((s, w) => s + Math.log(w), 0) / wss.length),
      points: inside.length,
      basis: 'plateau',
    });
  }
  if (!levels.some((l) => l.name === 'DRAM')) levels.push(largestSizeLevel(stream));
  return levels;
}

/**
 * The DRAM level when no STREAM size reached the DRAM plateau (an LLC larger than a third of the
 * largest size: 42.7 MiB quick, 85 MiB full): the best median rate at the largest working set
 * measured, from that size on. Past the LLC plateau it is what memory delivers; an LLC plateau
 * bandwidth (2x that on a 105 MiB-LLC Xeon) is never written as memory bandwidth.
 */
function largestSizeLevel(stream: Point[]): Level {
  const ws = Math.max(...stream.map((p) => p.ws_bytes));
  const at = stream.filter((p) => p.ws_bytes === ws);
  const byImpl: Partial<Record<Impl, number>> = {};
  for (const impl of new Set(at.map((p) => p.impl))) {
    for (const kernel of new Set(at.map((p) => p.kernel))) {
      const rates = at.filter((p) => p.impl === impl && p.kernel === kernel).map((p) => p.bytes / p.time_s);
      if (rates.length) byImpl[impl] = Math.max(byImpl[impl] ?? 0, median(rates));
    }
  }
  return { name: 'DRAM', lo_bytes: ws, hi_bytes: Infinity, bandwidth: Math.max(...Object.values(byImpl)), bandwidth_by_impl: byImpl, ws_bytes: ws, points: at.length, basis: 'largest working set' };
}

/** Bandwidth at working set `ws`: the plateau value, log-log interpolated between plateaus. */
export function bandwidthAt(levels: Level[], ws: number): number {
  const inside = levels.find((l) => ws >= l.lo_bytes && ws <= l.hi_bytes);
  if (inside) return inside.bandwidth;
  const below = [...levels].reverse().find((l) => l.hi_bytes < ws);
  const above = levels.find((l) => l.lo_bytes > ws);
  if (!below) return above!.bandwidth;
  if (!above) return below.bandwidth;
  const f = (Math.log(ws) - Math.log(below.hi_bytes)) / (Math.log(above.lo_bytes) - Math.log(below.hi_bytes));
  return Math.exp(Math.log(below.bandwidth) + f * (Math.log(above.bandwidth) - Math.log(below.bandwidth)));
}

/** The level whose plateau contains ws, or the nearest one in log(ws). */
export function levelOf(levels: Level[], ws: number): Level {
  const inside = levels.find((l) => ws >= l.lo_bytes && ws <= l.hi_bytes);
  if (inside) return inside;
  let best = levels[0]!;
  let bestD = Infinity;
  for (const l of levels) {
    const d = Math.min(Math.abs(Math.log(ws / Math.max(l.lo_bytes, 1))), Math.abs(Math.log(ws / l.hi_bytes)));
    if (d < bestD) (bestD = d), (best = l);
  }
  return best;
}

export function fitPeaks(train: Point[]): Pick<Roofline, 'peak' | 'peak_by_impl'> {
  const peak: Roofline['peak'] = {};
  const byImpl: Roofline['peak_by_impl'] = {};
  for (const p of train) {
    if (!isGemm(p.kernel) || p.threads !== 1) continue;
    const rate = p.flops / p.time_s;
    const t = (byImpl[p.roof] ??= {});
    t[p.impl] = Math.max(t[p.impl] ?? 0, rate);
    peak[p.roof] = Math.max(peak[p.roof] ?? 0, rate);
  }
  // no SIMD fp64 GEMM in the suite: f64x2 carries half the lanes of f32x4, so half the fp32 rate
  const w32 = byImpl.fp32?.wasm;
  if (w32 !== undefined) {
    (byImpl.fp64 ??= {}).wasm = w32 / 2;
    peak.fp64 = Math.max(peak.fp64 ?? 0, w32 / 2);
  }
  return { peak, peak_by_impl: byImpl };
}

export function roofTime(r: Pick<Roofline, 'levels' | 'peak'>, p: Pick<Point, 'flops' | 'bytes' | 'ws_bytes' | 'roof'>): { t: number; bound: 'compute' | 'memory'; t_compute: number; t_memory: number } {
  const peak = r.peak[p.roof] ?? r.peak.fp32 ?? Infinity;
  const tc = p.flops / peak;
  const tm = p.bytes / bandwidthAt(r.levels, p.ws_bytes);
  return tc > tm ? { t: tc, bound: 'compute', t_compute: tc, t_memory: tm } : { t: tm, bound: 'memory', t_compute: tc, t_memory: tm };
}

export function fitOverheads(tiny: Point[], r: Pick<Roofline, 'levels' | 'peak'>): Partial<Record<Impl, number>> {
  const out: Partial<Record<Impl, number>> = {};
  for (const impl of ['ts', 'wasm'] as Impl[]) {
    const xs = tiny.filter((p) => p.impl === impl).map((p) => Math.max(0, p.time_s - roofTime(r, p).t));
    // the least-work tiny call bounds the fixed cost from above; larger tiny calls include work
    if (xs.length) out[impl] = Math.min(...xs);
  }
  return out;
}

/** Least-squares slope through the origin minimising relative error: y ~ a x. */
export function relSlope(xs: number[], ys: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    const r = xs[i]! / ys[i]!;
    num += r;
    den += r * r;
  }
  return num / den;
}

export function regimeOf(r: Roofline, p: Point): string {
  return roofTime(r, p).bound === 'compute' ? 'compute' : levelOf(r.levels, p.ws_bytes).name;
}

export function fitModel(points: Point[], caches: number[] | undefined): Model {
  const train = points.filter((p) => p.split === 'train' && p.threads === 1);
  // overheads from tiny calls against a first fit, then the roofline on overhead-free times
  const first = { levels: fitLevels(train, caches), peak: fitPeaks(train).peak };
  const overhead_s = fitOverheads(points.filter((p) => p.split === 'tiny'), first);
  const levels = fitLevels(train, caches, overhead_s);
  const { peak, peak_by_impl } = fitPeaks(train.map((p) => ({ ...p, time_s: netTime(p, overhead_s) })));
  const roofline: Roofline = { levels, peak, peak_by_impl, overhead_s };
  const groups = new Map<string, Point[]>();
  for (const p of train) {
    for (const key of [`${p.kernel}|${p.impl}|${regimeOf(roofline, p)}`, `${p.kernel}|${p.impl}|*`]) {
      const g = groups.get(key) ?? [];
      g.push(p);
      groups.set(key, g);
    }
  }
  const eta: EtaFit[] = [];
  for (const [key, g] of groups) {
    const [kernel, impl, regime] = key.split('|') as [string, Impl, string];
    const xs = g.map((p) => roofTime(roofline, p).t);
    const ys = g.map((p) => netTime(p, overhead_s));
    eta.push({ kernel, impl, regime, eta: 1 / relSlope(xs, ys), points: g.length });
  }
  return { roofline, eta };
}

export interface Prediction {
  t_pred_s: number;
  t_roof_s: number;
  bound: 'compute' | 'memory';
  level: string;
  eta: number;
  regime: string;
  /** arithmetic intensity, FLOP/byte */
  intensity: number;
  /** ridge point at this level, FLOP/byte */
  ridge: number;
}

export function predict(m: Model, p: Point): Prediction {
  const r = m.roofline;
  const roof = roofTime(r, p);
  const regime = regimeOf(r, p);
  const fit =
    m.eta.find((e) => e.kernel === p.kernel && e.impl === p.impl && e.regime === regime) ??
    m.eta.find((e) => e.kernel === p.kernel && e.impl === p.impl && e.regime === '*');
  const eta = fit?.eta ?? 1;
  const peak = r.peak[p.roof] ?? r.peak.fp32 ?? Infinity;
  return {
    t_pred_s: roof.t / eta + (r.overhead_s[p.impl] ?? 0),
    t_roof_s: roof.t,
    bound: roof.bound,
    level: levelOf(r.levels, p.ws_bytes).name,
    eta,
    regime,
    intensity: p.flops / p.bytes,
    ridge: peak / bandwidthAt(r.levels, p.ws_bytes),
  };
}

/** |predicted / measured - 1| at most this counts as agreeing (the held-out MAPE target). */
export const AGREE_TOLERANCE = 0.15;

export interface Validation {
  /** `agrees`: the prediction is within AGREE_TOLERANCE of the measured time */
  rows: (Point & Prediction & { error: number; agrees: boolean })[];
  mape: number;
  per_kernel: { kernel: string; impl: Impl; points: number; mape: number; max_abs_error: number }[];
}

/** Predict the points of one split and report signed relative errors and the MAPE. */
export function validate(m: Model, points: Point[], split: Point['split']): Validation {
  const rows = points
    .filter((p) => p.split === split && p.threads === 1)
    .map((p) => {
      const pr = predict(m, p);
      const error = (pr.t_pred_s - p.time_s) / p.time_s;
      return { ...p, ...pr, error, agrees: Math.abs(error) <= AGREE_TOLERANCE };
    });
  const keys = [...new Set(rows.map((r) => `${r.kernel}|${r.impl}`))];
  const per_kernel = keys.map((k) => {
    const rs = rows.filter((r) => `${r.kernel}|${r.impl}` === k);
    const abs = rs.map((r) => Math.abs(r.error));
    return { kernel: rs[0]!.kernel, impl: rs[0]!.impl, points: rs.length, mape: abs.reduce((a, b) => a + b, 0) / abs.length, max_abs_error: Math.max(...abs) };
  });
  const mape = rows.length ? rows.reduce((s, r) => s + Math.abs(r.error), 0) / rows.length : NaN;
  return { rows, mape, per_kernel };
}

/** Split a size grid: odd indices are held out, the first and last sizes always train. */
export function splitSizes(sizes: number[]): { train: number[]; holdout: number[] } {
  const train: number[] = [];
  const holdout: number[] = [];
  sizes.forEach((s, i) => (i % 2 === 1 && i !== sizes.length - 1 ? holdout : train).push(s));
  return { train, holdout };
}
