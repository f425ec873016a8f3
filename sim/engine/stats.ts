/**
 * Streaming statistics: constant memory in the length of the run, no
 * allocation per observation, fully deterministic.
 *
 * - {@link Counter}: a running count or sum.
 * - {@link Tally}: mean, variance (Welford), min, max of observations.
 * - {@link TimeWeighted}: time average of a piecewise-constant quantity
 *   (queue length, busy servers) over an observation window.
 * - {@link QuantileSketch}: DDSketch-style quantiles with a relative-error
 *   guarantee, mergeable across replications or entities.
 */

/** A running count (or sum of increments). */
export class Counter {
  value = 0;

  add(n = 1): void {
    this.value += n;
  }

  reset(): void {
    this.value = 0;
  }
}

/**
 * Observation statistics with Welford's online algorithm: numerically stable
 * mean and variance in one pass.
 */
export class Tally {
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  sum = 0;
  private m = 0;
  private s2 = 0;

  add(x: number): void {
    const n = ++this.count;
    const d = x - this.m;
    this.m += d / n;
    this.s2 += d * (x - this.m);
    this.sum += x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  /** Mean of the observations; NaN when there are none. */
  get mean(): number {
    return this.count > 0 ? this.m : Number.NaN;
  }

  /** Unbiased sample variance (n - 1 denominator); NaN below two observations. */
  get variance(): number {
    return this.count > 1 ? this.s2 / (this.count - 1) : Number.NaN;
  }

  get stdev(): number {
    return Math.sqrt(this.variance);
  }

  /** Combine with another tally (Chan et al. parallel update). */
  merge(other: Tally): void {
    if (other.count === 0) return;
    if (this.count === 0) {
      this.count = other.count;
      this.m = other.m;
      this.s2 = other.s2;
      this.sum = other.sum;
      this.min = other.min;
      this.max = other.max;
      return;
    }
    const n = this.count + other.count;
    const d = other.m - this.m;
    this.s2 += other.s2 + (d * d * this.count * other.count) / n;
    this.m += (d * other.count) / n;
    this.count = n;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.count = 0;
    this.m = 0;
    this.s2 = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }
}

/**
 * Time average of a piecewise-constant quantity. Every change is reported
 * with the engine time at which it happens (`set(now, v)` or `add(now, dv)`);
 * `mean(now)` is the integral of the value over [start, now] divided by the
 * window length. `reset(now)` starts a new window (e.g. after warm-up) and
 * keeps the current value.
 */
export class TimeWeighted {
  /** Current value. */
  value: number;
  /** Largest value seen in the window. */
  max: number;
  private start: number;
  private last: number;
  private area = 0;

  constructor(now = 0, initial = 0) {
    this.value = initial;
    this.max = initial;
    this.start = now;
    this.last = now;
  }

  /** Change the value at time `now` (must not go back in time). */
  set(now: number, v: number): void {
    this.area += this.value * (now - this.last);
    this.last = now;
    this.value = v;
    if (v > this.max) this.max = v;
  }

  /** Add `dv` to the value at time `now`. */
  add(now: number, dv: number): void {
    this.set(now, this.value + dv);
  }

  /** Integral of the value over the window up to `now`. */
  integral(now: number): number {
    return this.area + this.value * (now - this.last);
  }

  /**
   * Time average over [window start, now]. When the window has zero length
   * the current value is returned.
   */
  mean(now: number): number {
    const span = now - this.start;
    return span > 0 ? this.integral(now) / span : this.value;
  }

  /** Length of the observation window at `now`, in seconds. */
  duration(now: number): number {
    return now - this.start;
  }

  /** Start a new observation window at `now`, keeping the current value. */
  reset(now: number): void {
    this.start = now;
    this.last = now;
    this.area = 0;
    this.max = this.value;
  }
}

export interface QuantileSketchOptions {
  /** Relative accuracy of quantile estimates (default 0.005 = 0.5%). */
  relativeAccuracy?: number;
  /**
   * Most buckets kept. When the value range needs more, the lowest buckets
   * are collapsed into one (low quantiles lose accuracy first, as in
   * DDSketch's collapsing-lowest store). The default, 8192, covers a ratio of
   * about 1e35 between smallest and largest value at 0.5% accuracy.
   */
  maxBuckets?: number;
}

/** Values below this are counted in the zero bucket. */
const MIN_INDEXABLE = 1e-300;

/**
 * Quantile sketch after DDSketch (Masson, Rim & Lee, VLDB 2019). Each positive
 * value x goes to bucket i = ceil(log_gamma(x)) with gamma = (1+a)/(1-a);
 * the bucket's representative 2 gamma^i / (gamma + 1) is within relative
 * error a of every value in it, so every quantile estimate is too (a = 0.5%
 * by default). Zero goes to a separate zero bucket; negative values are
 * rejected. Counts live in a dense Float64Array that grows to cover the
 * bucket range seen, so memory depends on the value range, never on the
 * number of samples. Two sketches with the same accuracy merge exactly.
 */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  zeroCount = 0;

  private readonly gamma: number;
  private readonly invLogGamma: number;
  private counts: Float64Array;
  /** Bucket index of counts[0]. */
  private offset = 0;
  /** Lowest and highest bucket index in use (lo > hi when empty). */
  private lo = 0;
  private hi = -1;

  constructor(options: QuantileSketchOptions = {}) {
    const a = options.relativeAccuracy ?? 0.005;
    if (!(a > 0 && a < 1)) throw new RangeError(`QuantileSketch: relativeAccuracy must be in (0, 1), got ${a}`);
    this.relativeAccuracy = a;
    this.maxBuckets = Math.max(16, Math.floor(options.maxBuckets ?? 8192));
    this.gamma = (1 + a) / (1 - a);
    this.invLogGamma = 1 / Math.log(this.gamma);
    this.counts = new Float64Array(128);
  }

  /** Number of buckets currently allocated (memory is 8 bytes each). */
  get bucketCapacity(): number {
    return this.counts.length;
  }

  /** Mean of the values added; NaN when empty. */
  get mean(): number {
    return this.count > 0 ? this.sum / this.count : Number.NaN;
  }

  /** Add a value (>= 0) with an optional weight. */
  add(x: number, weight = 1): void {
    if (!(x >= 0)) throw new RangeError(`QuantileSketch: values must be >= 0, got ${x}`);
    this.count += weight;
    this.sum += x * weight;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x < MIN_INDEXABLE) {
      this.zeroCount += weight;
      return;
    }
    const i = Math.ceil(Math.log(x) * this.invLogGamma);
    this.addToBucket(i, weight);
  }

  /**
   * Estimate of the q-quantile (0 <= q <= 1): the sketch's values at the ranks on either side of
   * h = q (count - 1), interpolated linearly (the R type 7 / NumPy default definition; DDSketch's
   * lower rank alone reported the p95 of {3.67, 3.67, 5.33} as 3.67). Exact min and max are returned at
   * q = 0 and q = 1 and bound every estimate. NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    if (!(q >= 0 && q <= 1)) throw new RangeError(`QuantileSketch: q must be in [0, 1], got ${q}`);
    if (q === 0) return this.min;
    if (q === 1) return this.max;
    const h = q * (this.count - 1);
    const below = this.atRank(Math.floor(h));
    const frac = h - Math.floor(h);
    return frac === 0 ? below : below + frac * (this.atRank(Math.floor(h) + 1) - below);
  }

  /** The sketch's value at 0-based rank `rank` (bucket midpoint, bounded by min and max). */
  private atRank(rank: number): number {
    if (rank >= this.count - 1) return this.max;
    let cum = this.zeroCount;
    if (cum > rank) return 0;
    const counts = this.counts;
    const off = this.offset;
    for (let i = this.lo; i <= this.hi; i++) {
      cum += counts[i - off]!;
      if (cum > rank) {
        const v = (2 * Math.pow(this.gamma, i)) / (this.gamma + 1);
        return v < this.min ? this.min : v > this.max ? this.max : v;
      }
    }
    return this.max;
  }

  /** Add all of `other`'s values to this sketch. Accuracies must match. */
  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new RangeError(
        `QuantileSketch.merge: accuracies differ (${this.relativeAccuracy} vs ${other.relativeAccuracy})`,
      );
    }
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    const oc = other.counts;
    for (let i = other.lo; i <= other.hi; i++) {
      const c = oc[i - other.offset]!;
      if (c !== 0) this.addToBucket(i, c);
    }
  }

  /** Forget all values (keeps the allocated buckets). */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.zeroCount = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.lo = 0;
    this.hi = -1;
  }

  private addToBucket(i: number, weight: number): void {
    if (this.lo > this.hi) {
      // Empty: centre the window on the first index.
      this.offset = i - (this.counts.length >> 1);
      this.lo = i;
      this.hi = i;
    } else if (i < this.lo || i > this.hi) {
      let newLo = i < this.lo ? i : this.lo;
      const newHi = i > this.hi ? i : this.hi;
      let moved = 0;
      const floor = newHi - this.maxBuckets + 1;
      if (newLo < floor) {
        // Too wide: collapse every bucket below `floor` into `floor`, as
        // DDSketch's collapsing-lowest store does.
        const counts = this.counts;
        const top = Math.min(this.hi, floor - 1);
        for (let j = this.lo; j <= top; j++) {
          moved += counts[j - this.offset]!;
          counts[j - this.offset] = 0;
        }
        if (this.lo < floor) this.lo = floor; // may leave lo > hi: nothing to copy
        if (i < floor) i = floor;
        newLo = floor;
      }
      this.ensure(newLo, newHi);
      this.lo = newLo;
      this.hi = newHi;
      if (moved !== 0) this.counts[floor - this.offset]! += moved;
    }
    this.counts[i - this.offset]! += weight;
  }

  /**
   * Make sure bucket indices [lo, hi] fit in the array, growing or recentring
   * it. The occupied range [this.lo, this.hi] (always inside the current
   * array) is copied over.
   */
  private ensure(lo: number, hi: number): void {
    const len = this.counts.length;
    if (lo - this.offset >= 0 && hi - this.offset < len) return;
    const need = hi - lo + 1;
    let cap = len;
    while (cap < need * 1.5) cap *= 2;
    // Never more than twice the bucket limit (need <= maxBuckets always).
    cap = Math.max(need, Math.min(cap, this.maxBuckets * 2));
    const next = new Float64Array(cap);
    const newOffset = lo - ((cap - need) >> 1);
    if (this.lo <= this.hi) {
      next.set(this.counts.subarray(this.lo - this.offset, this.hi - this.offset + 1), this.lo - newOffset);
    }
    this.counts = next;
    this.offset = newOffset;
  }
}
