/**
 * Random variates drawn from a named stream ({@link Rng}). Every function and
 * sampler here allocates nothing per draw and uses a fixed, documented number
 * of uniforms where possible (inversion), so common random numbers line up
 * across runs that differ only in policy.
 */
import type { Rng } from './rng.ts';

/** Exponential with the given rate (mean 1/rate), by inversion: one uniform. */
export function exponential(rng: Rng, rate: number): number {
  // 1 - u lies in (0, 1], so the log is finite.
  return -Math.log(1 - rng.next()) / rate;
}

/** Uniform on [a, b): one uniform. */
export function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

// Acklam's rational approximation of the standard normal quantile (relative
// error below 1.15e-9 over (0, 1)). Source: P. J. Acklam, "An algorithm for
// computing the inverse normal cumulative distribution function" (2003);
// the coefficients appear verbatim in many public implementations.
const A1 = -3.969683028665376e1;
const A2 = 2.209460984245205e2;
const A3 = -2.759285104469687e2;
const A4 = 1.38357751867269e2;
const A5 = -3.066479806614716e1;
const A6 = 2.506628277459239;
const B1 = -5.447609879822406e1;
const B2 = 1.615858368580409e2;
const B3 = -1.556989798598866e2;
const B4 = 6.680131188771972e1;
const B5 = -1.328068155288572e1;
const C1 = -7.784894002430293e-3;
const C2 = -3.223964580411365e-1;
const C3 = -2.400758277161838;
const C4 = -2.549732539343734;
const C5 = 4.374664141464968;
const C6 = 2.938163982698783;
const D1 = 7.784695709041462e-3;
const D2 = 3.224671290700398e-1;
const D3 = 2.445134137142996;
const D4 = 3.754408661907416;
const P_LOW = 0.02425;

/**
 * Standard normal quantile Phi^-1(p) for p in (0, 1) (Acklam's algorithm,
 * relative error < 1.15e-9). Returns -Infinity / +Infinity at 0 / 1.
 */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C1 * q + C2) * q + C3) * q + C4) * q + C5) * q + C6) / ((((D1 * q + D2) * q + D3) * q + D4) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((C1 * q + C2) * q + C3) * q + C4) * q + C5) * q + C6) / ((((D1 * q + D2) * q + D3) * q + D4) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A1 * r + A2) * r + A3) * r + A4) * r + A5) * r + A6) * q) /
    (((((B1 * r + B2) * r + B3) * r + B4) * r + B5) * r + 1);
}

/**
 * Normal with mean `mu` and standard deviation `sigma`, by inversion of one
 * uniform (no cached spare, so no hidden state shared between streams).
 */
export function normal(rng: Rng, mu: number, sigma: number): number {
  return mu + sigma * normalQuantile(rng.nextOpen());
}

/** Lognormal: exp of a normal with parameters `mu`, `sigma` (of the log). One uniform. */
export function lognormal(rng: Rng, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * normalQuantile(rng.nextOpen()));
}

/**
 * Parameters (mu, sigma of the log) of the lognormal with the given mean and
 * coefficient of variation: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
 */
export function lognormalFromMean(mean: number, cv: number): { mu: number; sigma: number } {
  if (!(mean > 0)) throw new RangeError(`lognormalFromMean: mean must be > 0, got ${mean}`);
  if (!(cv >= 0)) throw new RangeError(`lognormalFromMean: cv must be >= 0, got ${cv}`);
  const s2 = Math.log1p(cv * cv);
  return { mu: Math.log(mean) - s2 / 2, sigma: Math.sqrt(s2) };
}

/** First index i in [0, n) with cdf[i] > u (cdf non-decreasing, cdf[n-1] = 1 > u). */
function searchCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Turn non-negative weights into a normalised cumulative array ending at exactly 1. */
function cumulative(weights: ArrayLike<number>, what: string): Float64Array {
  const n = weights.length;
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`${what}: weight ${i} must be finite and >= 0, got ${w}`);
    sum += w;
    cdf[i] = sum;
  }
  if (!(sum > 0)) throw new RangeError(`${what}: weights must not all be zero`);
  for (let i = 0; i < n; i++) cdf[i] = cdf[i]! / sum;
  // Exactly 1 from the last positive weight on, so u < 1 always finds an index
  // and zero-weight tail entries are never drawn.
  for (let i = n - 1; i >= 0; i--) {
    cdf[i] = 1;
    if (weights[i]! > 0) break;
  }
  return cdf;
}

/**
 * Zipf (finite) over ranks 1..n with exponent s: P(rank k) proportional to
 * k^-s. The CDF is precomputed (n doubles); `sample` is one uniform and a
 * binary search, and returns the 0-based rank (0 = most popular).
 */
export class ZipfSampler {
  readonly n: number;
  readonly s: number;
  private readonly cdf: Float64Array;

  constructor(n: number, s: number) {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`ZipfSampler: n must be an integer >= 1, got ${n}`);
    if (!(s >= 0) || !Number.isFinite(s)) throw new RangeError(`ZipfSampler: s must be finite and >= 0, got ${s}`);
    this.n = n;
    this.s = s;
    const w = new Float64Array(n);
    for (let k = 0; k < n; k++) w[k] = Math.pow(k + 1, -s);
    this.cdf = cumulative(w, 'ZipfSampler');
  }

  /** 0-based rank. */
  sample(rng: Rng): number {
    return searchCdf(this.cdf, rng.next());
  }

  /** Probability of the 0-based rank `k`. */
  pmf(k: number): number {
    if (k < 0 || k >= this.n) return 0;
    return k === 0 ? this.cdf[0]! : this.cdf[k]! - this.cdf[k - 1]!;
  }
}

export interface EmpiricalOptions {
  /**
   * false (default): a discrete distribution that returns one of `values`.
   * true: a continuous distribution whose CDF is piecewise linear through
   * the sorted `values`; see {@link EmpiricalSampler}.
   */
  interpolate?: boolean;
}

/**
 * Empirical distribution, sampled by inversion of one uniform.
 *
 * - Discrete (default): returns `values[i]` with probability proportional to
 *   `weights[i]` (equal weights when omitted). `weights` has one entry per value.
 * - Interpolated (`{ interpolate: true }`): `values` are breakpoints of a
 *   piecewise-linear CDF (sorted ascending here); `weights`, when given, has
 *   values.length - 1 entries: the probability mass of each interval between
 *   consecutive breakpoints. Without weights every interval has equal mass,
 *   which is the classic interpolated empirical CDF of a sample
 *   (F(x_(i)) = (i - 1)/(n - 1), Law & Kelton). Draws lie in [min, max].
 */
export class EmpiricalSampler {
  readonly interpolate: boolean;
  private readonly x: Float64Array;
  private readonly cdf: Float64Array;

  constructor(values: ArrayLike<number>, weights?: ArrayLike<number>, options: EmpiricalOptions = {}) {
    const n = values.length;
    this.interpolate = options.interpolate ?? false;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i]!)) throw new RangeError(`EmpiricalSampler: value ${i} is not finite`);
    }
    if (!this.interpolate) {
      if (n < 1) throw new RangeError('EmpiricalSampler: needs at least one value');
      if (weights !== undefined && weights.length !== n) {
        throw new RangeError(`EmpiricalSampler: ${n} values need ${n} weights, got ${weights.length}`);
      }
      this.x = Float64Array.from(values);
      this.cdf = cumulative(weights ?? new Float64Array(n).fill(1), 'EmpiricalSampler');
      return;
    }
    if (n < 2) throw new RangeError('EmpiricalSampler: interpolation needs at least two values');
    if (weights !== undefined && weights.length !== n - 1) {
      throw new RangeError(
        `EmpiricalSampler: with interpolate, ${n} breakpoints need ${n - 1} interval weights, got ${weights.length}`,
      );
    }
    const x = Float64Array.from(values);
    if (weights === undefined) x.sort();
    else {
      for (let i = 1; i < n; i++) {
        if (x[i]! < x[i - 1]!) throw new RangeError('EmpiricalSampler: breakpoints must be sorted when weights are given');
      }
    }
    this.x = x;
    this.cdf = cumulative(weights ?? new Float64Array(n - 1).fill(1), 'EmpiricalSampler');
  }

  sample(rng: Rng): number {
    const u = rng.next();
    const cdf = this.cdf;
    const i = searchCdf(cdf, u);
    if (!this.interpolate) return this.x[i]!;
    // Interval i spans [x[i], x[i+1]] and CDF [cdf[i-1], cdf[i]].
    const c0 = i === 0 ? 0 : cdf[i - 1]!;
    const c1 = cdf[i]!;
    const x0 = this.x[i]!;
    const x1 = this.x[i + 1]!;
    return c1 > c0 ? x0 + ((u - c0) / (c1 - c0)) * (x1 - x0) : x0;
  }

  /** Mean of the distribution. */
  get mean(): number {
    let m = 0;
    let prev = 0;
    const cdf = this.cdf;
    for (let i = 0; i < cdf.length; i++) {
      const p = cdf[i]! - prev;
      prev = cdf[i]!;
      m += p * (this.interpolate ? (this.x[i]! + this.x[i + 1]!) / 2 : this.x[i]!);
    }
    return m;
  }
}

// Stirling series for ln Gamma: coefficients B_2k / (2k (2k - 1)).
// derived: Bernoulli numbers B2..B20 = 1/6, -1/30, 1/42, -1/30, 5/66,
// -691/2730, 7/6, -3617/510, 43867/798, -174611/330.
const STIRLING = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
  43867 / 244188,
  -174611 / 125400,
];
const LN_2PI = Math.log(2 * Math.PI);

/** ln Gamma(x) for x >= 1 (Stirling series after shifting x up to >= 7). */
function logGamma(x: number): number {
  if (x === 1 || x === 2) return 0;
  const n = x < 7 ? Math.floor(7 - x) : 0;
  let x0 = x + n;
  const x2 = 1 / (x0 * x0);
  let g = STIRLING[9]!;
  for (let k = 8; k >= 0; k--) g = g * x2 + STIRLING[k]!;
  let gl = g / x0 + 0.5 * LN_2PI + (x0 - 0.5) * Math.log(x0) - x0;
  for (let k = 1; k <= n; k++) {
    x0 -= 1;
    gl -= Math.log(x0);
  }
  return gl;
}

/**
 * Gamma(shape, 1) variate (Marsaglia and Tsang 2000, normals by Box-Muller;
 * shape < 1 by the u^(1/shape) boost). Rejection: the number of uniforms per
 * draw varies.
 */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.nextOpen() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box-Muller standard normal
      x = Math.sqrt(-2 * Math.log(rng.nextOpen())) * Math.cos(2 * Math.PI * rng.next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.nextOpen();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * Poisson-distributed count with the given mean. Mean < 10: inversion by
 * sequential search (one uniform). Mean >= 10: Hörmann's PTRS transformed
 * rejection (W. Hörmann, "The transformed rejection method for generating
 * Poisson random variables", Insurance: Mathematics and Economics 12, 1993),
 * as used by NumPy; expected ~1.2 pairs of uniforms per draw.
 */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean >= 0)) throw new RangeError(`poisson: mean must be >= 0, got ${mean}`);
  if (mean === 0) return 0;
  if (mean < 10) {
    const u = rng.next();
    let p = Math.exp(-mean);
    let f = p;
    let k = 0;
    // The tail beyond k = 200 has probability far below 2^-32 for mean < 10.
    while (u >= f && k < 200) {
      k++;
      p *= mean / k;
      f += p;
    }
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = rng.next() - 0.5;
    const V = rng.next();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + mean + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + logInvAlpha - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) return k;
  }
}

/** Arrival rate (1/s) as a function of absolute time (s). */
export type RateFn = (t_s: number) => number;

/**
 * A Poisson arrival process. With a constant rate, inter-arrival times are
 * exponential. With a rate function lambda(t) bounded by `maxRate`, arrivals
 * come from thinning (Lewis & Shedler 1979): candidates at rate `maxRate`,
 * each kept with probability lambda(t)/maxRate.
 */
export class PoissonProcess {
  private readonly rate: number;
  private readonly rateFn: RateFn | null;

  /**
   * `new PoissonProcess(rate)` for a homogeneous process, or
   * `new PoissonProcess(rateFn, maxRate)` for a time-varying one; rateFn must
   * stay within [0, maxRate] (checked at each candidate).
   */
  constructor(rate: number | RateFn, maxRate?: number) {
    if (typeof rate === 'number') {
      if (!(rate >= 0)) throw new RangeError(`PoissonProcess: rate must be >= 0, got ${rate}`);
      this.rate = rate;
      this.rateFn = null;
    } else {
      if (!(maxRate !== undefined && maxRate > 0 && Number.isFinite(maxRate))) {
        throw new RangeError(`PoissonProcess: a rate function needs a finite maxRate > 0, got ${maxRate}`);
      }
      this.rate = maxRate;
      this.rateFn = rate;
    }
  }

  /** Rate at time `t_s`. */
  rateAt(t_s: number): number {
    return this.rateFn === null ? this.rate : this.rateFn(t_s);
  }

  /**
   * Time from `now_s` to the next arrival. For a time-varying rate, returns
   * Infinity when no arrival occurs before `horizon_s` (so a rate that stays
   * at zero cannot loop forever). A homogeneous process with rate 0 returns
   * Infinity.
   */
  nextInterarrival(rng: Rng, now_s = 0, horizon_s = Number.POSITIVE_INFINITY): number {
    const max = this.rate;
    if (max === 0) return Number.POSITIVE_INFINITY;
    const fn = this.rateFn;
    if (fn === null) return -Math.log(1 - rng.next()) / max;
    let t = now_s;
    for (;;) {
      t += -Math.log(1 - rng.next()) / max;
      if (t > horizon_s) return Number.POSITIVE_INFINITY;
      const r = fn(t);
      if (r > max * (1 + 1e-12)) throw new RangeError(`PoissonProcess: rate ${r} at t=${t} s exceeds maxRate ${max}`);
      if (rng.next() * max < r) return t - now_s;
    }
  }
}
