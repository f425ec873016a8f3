import { mean as ssMean, quantileSorted, sampleVariance } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine/engine.ts';
import { Counter, QuantileSketch, Tally, TimeWeighted } from '../../sim/engine/stats.ts';
import { exponential, lognormal } from '../../sim/engine/variates.ts';

describe('Counter and Tally', () => {
  it('Counter adds and resets', () => {
    const c = new Counter();
    c.add();
    c.add(4);
    expect(c.value).toBe(5);
    c.reset();
    expect(c.value).toBe(0);
  });

  it('Tally matches two-pass mean and variance, and merges exactly', () => {
    const r = new Engine(5).rng('t:0:tally');
    const xs: number[] = [];
    const all = new Tally();
    const a = new Tally();
    const b = new Tally();
    for (let i = 0; i < 5000; i++) {
      const x = 1e6 + exponential(r, 0.1); // large offset: tests numerical stability
      xs.push(x);
      all.add(x);
      (i < 1234 ? a : b).add(x);
    }
    expect(all.mean).toBeCloseTo(ssMean(xs), 6);
    expect(all.variance / sampleVariance(xs)).toBeCloseTo(1, 9);
    expect(all.min).toBe(Math.min(...xs));
    expect(all.max).toBe(Math.max(...xs));
    a.merge(b);
    expect(a.count).toBe(5000);
    expect(a.mean).toBeCloseTo(all.mean, 6);
    expect(a.variance / all.variance).toBeCloseTo(1, 9);
    const empty = new Tally();
    expect(empty.mean).toBeNaN();
    empty.merge(all);
    expect(empty.variance).toBe(all.variance);
  });
});

describe('TimeWeighted', () => {
  it('averages a piecewise-constant value over the window and resets', () => {
    const tw = new TimeWeighted(0, 2);
    tw.set(1, 4); // 2 on [0,1)
    tw.add(3, -4); // 4 on [1,3)
    expect(tw.mean(4)).toBeCloseTo((2 + 8 + 0) / 4, 12); // 0 on [3,4)
    expect(tw.integral(4)).toBeCloseTo(10, 12);
    expect(tw.max).toBe(4);
    tw.reset(4);
    expect(tw.mean(4)).toBe(0); // empty window: current value
    tw.set(5, 6);
    expect(tw.mean(7)).toBeCloseTo(12 / 3, 12);
    expect(tw.duration(7)).toBe(3);
  });
});

/** Exact lower-rank quantile, the value the sketch approximates. */
function exact(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

describe('QuantileSketch', () => {
  const qs = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

  it('is within 0.5% relative error of exact quantiles (heavy-tailed data)', () => {
    const r = new Engine(9).rng('t:0:sketch');
    const n = 100_000;
    const xs: number[] = [];
    const s = new QuantileSketch();
    for (let i = 0; i < n; i++) {
      const x = lognormal(r, -3, 2); // spans ~6 decades
      xs.push(x);
      s.add(x);
    }
    xs.sort((a, b) => a - b);
    for (const q of qs) {
      const want = exact(xs, q);
      expect(Math.abs(s.quantile(q) - want) / want).toBeLessThanOrEqual(0.005 + 1e-12);
    }
    expect(s.quantile(0)).toBe(xs[0]);
    expect(s.quantile(1)).toBe(xs[n - 1]);
    expect(s.count).toBe(n);
    expect(s.mean).toBeCloseTo(ssMean(xs), 9);
    // Sanity against a library's interpolated quantile too (looser: different definition).
    expect(Math.abs(s.quantile(0.5) / quantileSorted(xs, 0.5) - 1)).toBeLessThan(0.01);
  });

  it('memory depends on the value range, not on the number of samples', () => {
    const r = new Engine(9).rng('t:1:sketch');
    const s = new QuantileSketch();
    for (let i = 0; i < 10_000; i++) s.add(exponential(r, 1));
    const cap = s.bucketCapacity;
    for (let i = 0; i < 500_000; i++) s.add(exponential(r, 1));
    expect(s.bucketCapacity).toBe(cap);
    expect(cap).toBeLessThan(8192);
  });

  it('merging two sketches equals sketching the union', () => {
    const r = new Engine(9).rng('t:2:sketch');
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    const u = new QuantileSketch();
    for (let i = 0; i < 20_000; i++) {
      // Disjoint ranges, so the merge must extend the bucket window.
      const x = exponential(r, 1);
      const y = 1000 + 50 * exponential(r, 1);
      a.add(x);
      b.add(y);
      u.add(x);
      u.add(y);
    }
    a.merge(b);
    expect(a.count).toBe(u.count);
    expect(a.min).toBe(u.min);
    expect(a.max).toBe(u.max);
    for (const q of qs) expect(a.quantile(q)).toBe(u.quantile(q));
    expect(() => a.merge(new QuantileSketch({ relativeAccuracy: 0.01 }))).toThrow(/accuracies differ/);
  });

  it('interpolates between ranks (type 7): the p95 of three values is not the middle one', () => {
    const s = new QuantileSketch();
    for (const x of [3.67, 3.67, 5.33]) s.add(x);
    // h = 0.95 x 2 = 1.9: 3.67 + 0.9 x (5.33 - 3.67) = 5.164
    expect(Math.abs(s.quantile(0.95) - 5.164) / 5.164).toBeLessThanOrEqual(0.005);
    expect(Math.abs(s.quantile(0.5) - 3.67) / 3.67).toBeLessThanOrEqual(0.005);
  });

  it('counts zeros in the zero bucket and rejects negatives', () => {
    const s = new QuantileSketch();
    for (let i = 0; i < 30; i++) s.add(0);
    for (let i = 1; i <= 70; i++) s.add(i);
    expect(s.zeroCount).toBe(30);
    expect(s.quantile(0.2)).toBe(0);
    // h = 0.5 * 99 = 49.5: halfway between the 20th and 21st non-zero values (type 7).
    expect(Math.abs(s.quantile(0.5) - 20.5) / 20.5).toBeLessThanOrEqual(0.005);
    expect(() => s.add(-1)).toThrow(RangeError);
    expect(() => s.add(Number.NaN)).toThrow(RangeError);
    expect(new QuantileSketch().quantile(0.5)).toBeNaN();
    s.reset();
    expect(s.count).toBe(0);
    s.add(2);
    expect(s.quantile(0.5)).toBe(2);
  });

  it('with a bucket limit, collapses the lowest buckets and keeps high quantiles exact', () => {
    const s = new QuantileSketch({ maxBuckets: 100 });
    const xs: number[] = [];
    // 1e-6 .. 1e6 needs ~2800 buckets at 0.5%: only the top 100 survive.
    for (let i = 0; i <= 1200; i++) {
      const x = Math.pow(10, -6 + i / 100);
      xs.push(x);
      s.add(x);
    }
    expect(s.bucketCapacity).toBeLessThanOrEqual(200);
    for (const q of [0.99, 0.995]) {
      const want = exact(xs, q);
      expect(Math.abs(s.quantile(q) - want) / want).toBeLessThanOrEqual(0.005 + 1e-12);
    }
    // Low quantiles are pushed up into the lowest kept bucket, never below min.
    expect(s.quantile(0.1)).toBeGreaterThan(exact(xs, 0.1));
    expect(s.count).toBe(1201);
    // Adding values far below the kept window goes to the collapsed bucket.
    s.add(1e-9);
    expect(s.count).toBe(1202);
    expect(s.min).toBe(1e-9);
  });
});
