/**
 * Statistics over replications: t-intervals, paired comparisons (common
 * random numbers) and the `--precision` stopping rule. Student-t quantiles
 * come from jstat; means, deviations and quantiles from simple-statistics.
 */
import jstat from 'jstat';
import { mean, quantileSorted, sampleStandardDeviation } from 'simple-statistics';

const { jStat } = jstat;

export interface Summary {
  /** Finite values used. */
  n: number;
  /** Values dropped because they were NaN or infinite. */
  n_nonfinite: number;
  mean: number;
  /** Sample standard deviation (n - 1); NaN when n < 2. */
  sd: number;
  ci95_lo: number;
  ci95_hi: number;
  /** Half-width of the 95% t-interval; NaN when n < 2. */
  half_width: number;
  p05: number;
  p50: number;
  p95: number;
}

export interface Paired {
  /** Pairs used (both values finite). */
  n: number;
  mean_a: number;
  mean_b: number;
  /** mean(a - b). */
  mean_diff: number;
  /** mean_diff / |mean_b|; NaN when mean_b is 0. */
  rel_diff: number;
  sd_diff: number;
  ci95_lo: number;
  ci95_hi: number;
  /** Paired t statistic (NaN when n < 2 or the differences have zero spread). */
  t: number;
  /** Two-sided paired t-test p-value; 1 if all differences are 0, 0 if they are equal and non-zero. */
  p_value: number;
  /** Fraction of pairs with a > b, ties counted as half. */
  win_rate: number;
}

/** Quantile of Student's t with `df` degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return jStat.studentt.inv(p, df);
}

/** Half-width of the two-sided `level` t-interval of a mean of n values with sample sd. */
export function tHalfWidth(sd: number, n: number, level = 0.95): number {
  if (n < 2) return NaN;
  return tQuantile(1 - (1 - level) / 2, n - 1) * (sd / Math.sqrt(n));
}

function finite(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of values) if (Number.isFinite(v)) out.push(v);
  return out;
}

/** Mean, sd, 95% t-interval and 5/50/95% quantiles of the finite values. */
export function summarize(values: readonly number[]): Summary {
  const xs = finite(values);
  const n = xs.length;
  const n_nonfinite = values.length - n;
  if (n === 0) {
    return { n, n_nonfinite, mean: NaN, sd: NaN, ci95_lo: NaN, ci95_hi: NaN, half_width: NaN, p05: NaN, p50: NaN, p95: NaN };
  }
  const m = mean(xs);
  const sd = n >= 2 ? sampleStandardDeviation(xs) : NaN;
  const hw = tHalfWidth(sd, n);
  const sorted = xs.slice().sort((a, b) => a - b);
  return {
    n,
    n_nonfinite,
    mean: m,
    sd,
    ci95_lo: m - hw,
    ci95_hi: m + hw,
    half_width: hw,
    p05: quantileSorted(sorted, 0.05),
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
  };
}

/**
 * Paired comparison of a against b (a[i] and b[i] ran on the same seed).
 * Pairs where either value is not finite are dropped.
 */
export function paired(a: readonly number[], b: readonly number[]): Paired {
  if (a.length !== b.length) throw new Error(`paired: ${a.length} values against ${b.length}`);
  const xa: number[] = [];
  const xb: number[] = [];
  const d: number[] = [];
  let wins = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    const bi = b[i]!;
    if (!Number.isFinite(ai) || !Number.isFinite(bi)) continue;
    xa.push(ai);
    xb.push(bi);
    d.push(ai - bi);
    wins += ai > bi ? 1 : ai === bi ? 0.5 : 0;
  }
  const n = d.length;
  if (n === 0) {
    // No pair to compare (one side does not report the metric, e.g. placement_proven_optimal of optimal
    // only): each side's own mean where it has values, no difference.
    const own = (v: readonly number[]) => {
      const f = v.filter(Number.isFinite);
      return f.length > 0 ? mean(f) : NaN;
    };
    return { n, mean_a: own(a), mean_b: own(b), mean_diff: NaN, rel_diff: NaN, sd_diff: NaN, ci95_lo: NaN, ci95_hi: NaN, t: NaN, p_value: NaN, win_rate: NaN };
  }
  const mean_a = mean(xa);
  const mean_b = mean(xb);
  const md = mean(d);
  const sd = n >= 2 ? sampleStandardDeviation(d) : NaN;
  const hw = tHalfWidth(sd, n);
  let t = NaN;
  let p = NaN;
  if (n >= 2) {
    if (sd > 0) {
      t = md / (sd / Math.sqrt(n));
      p = Math.min(1, 2 * (1 - jStat.studentt.cdf(Math.abs(t), n - 1)));
    } else {
      p = md === 0 ? 1 : 0;
    }
  }
  return {
    n,
    mean_a,
    mean_b,
    mean_diff: md,
    rel_diff: mean_b === 0 ? NaN : md / Math.abs(mean_b),
    sd_diff: sd,
    ci95_lo: md - hw,
    ci95_hi: md + hw,
    t,
    p_value: p,
    win_rate: wins / n,
  };
}

/**
 * `--precision` rule: true while the 95% half-width exceeds relPrecision * |mean|
 * (or fewer than `minN` finite values, at least 2). A point whose values are all
 * equal is precise. The caller enforces the replication cap.
 */
export function needMoreReplications(values: readonly number[], relPrecision: number, minN = 2): boolean {
  const s = summarize(values);
  if (s.n < Math.max(2, minN)) return true;
  if (s.half_width === 0) return false;
  return !(s.half_width <= relPrecision * Math.abs(s.mean));
}

/**
 * Estimate of the total replications needed to reach relPrecision, from the
 * current sample: n * (half_width / (relPrecision * |mean|))^2, rounded up,
 * at least n (+1 while n < 2). Lets a runner add a batch rather than one at a time.
 */
export function replicationsNeeded(values: readonly number[], relPrecision: number): number {
  const s = summarize(values);
  if (s.n < 2) return 2;
  if (s.half_width === 0) return s.n;
  const target = relPrecision * Math.abs(s.mean);
  if (target === 0) return Infinity;
  return Math.max(s.n, Math.ceil(s.n * (s.half_width / target) ** 2));
}
