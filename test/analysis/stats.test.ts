import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { needMoreReplications, paired, replicationsNeeded, summarize, tQuantile } from '../../analysis/stats.ts';

function normal(rng: () => number): number {
  // Box-Muller; 1 - u avoids log(0)
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function coverage(draw: () => number, n: number, trueMean: number, trials: number): number {
  let covered = 0;
  for (let t = 0; t < trials; t++) {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(draw());
    const s = summarize(xs);
    if (s.ci95_lo <= trueMean && trueMean <= s.ci95_hi) covered++;
  }
  return covered / trials;
}

describe('summarize', () => {
  it('uses Student-t quantiles', () => {
    expect(tQuantile(0.975, 9)).toBeCloseTo(2.262157, 5);
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
  });

  it('computes mean, sd, t-interval and quantiles of a known sample', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    const hw = tQuantile(0.975, 7) * Math.sqrt(32 / 7) / Math.sqrt(8);
    expect(s.half_width).toBeCloseTo(hw, 12);
    expect(s.ci95_lo).toBeCloseTo(5 - hw, 12);
    expect(s.ci95_hi).toBeCloseTo(5 + hw, 12);
    expect(s.p50).toBe(4.5);
    // linear interpolation between order statistics (numpy default, R type 7)
    expect(s.p05).toBeCloseTo(2.7, 12);
    expect(s.p95).toBeCloseTo(8.3, 12);
  });

  it('drops non-finite values and handles tiny samples', () => {
    const s = summarize([1, NaN, 3, Infinity]);
    expect(s.n).toBe(2);
    expect(s.n_nonfinite).toBe(2);
    expect(s.mean).toBe(2);
    const one = summarize([3]);
    expect(one.mean).toBe(3);
    expect(one.sd).toBeNaN();
    expect(one.half_width).toBeNaN();
    expect(summarize([]).mean).toBeNaN();
  });

  it('95% t-interval covers the mean of normal samples (n=10) at the nominal rate', () => {
    const rng = seedrandom.alea('coverage-normal');
    const c = coverage(() => 3 + 2 * normal(rng), 10, 3, 2000);
    // binomial sd at 0.95 over 2000 trials is 0.0049: +-0.02 is about 4 sd
    expect(c).toBeGreaterThanOrEqual(0.93);
    expect(c).toBeLessThanOrEqual(0.97);
  });

  it('covers the mean of exponential samples: near nominal for n=100, known under-coverage for n=10', () => {
    const rng = seedrandom.alea('coverage-exp');
    const exp = () => -Math.log(1 - rng()); // mean 1
    // skewed data: the t-interval under-covers at small n (about 0.90 at n=10, 0.94 at n=100 by simulation)
    const c10 = coverage(exp, 10, 1, 2000);
    expect(c10).toBeGreaterThanOrEqual(0.87);
    expect(c10).toBeLessThanOrEqual(0.93);
    const c100 = coverage(exp, 100, 1, 2000);
    expect(c100).toBeGreaterThanOrEqual(0.925);
    expect(c100).toBeLessThanOrEqual(0.965);
  });
});

describe('paired', () => {
  it('matches a hand-computed paired t-test', () => {
    const a = [10, 12, 11, 14, 13];
    const b = [9, 11, 11, 12, 10];
    // d = [1, 1, 0, 2, 3], mean 1.4, sd sqrt(1.3)
    const p = paired(a, b);
    expect(p.n).toBe(5);
    expect(p.mean_diff).toBeCloseTo(1.4, 12);
    expect(p.sd_diff).toBeCloseTo(Math.sqrt(1.3), 12);
    expect(p.t).toBeCloseTo(1.4 / (Math.sqrt(1.3) / Math.sqrt(5)), 12);
    // t = 2.7456 with 4 df: two-sided p = 0.0517 (scipy.stats.ttest_rel)
    expect(p.p_value).toBeCloseTo(0.0517, 3);
    expect(p.win_rate).toBeCloseTo(4.5 / 5, 12);
    expect(p.ci95_lo).toBeLessThan(0);
    expect(p.ci95_hi).toBeGreaterThan(1.4);
  });

  it('gives p=1 and win rate 0.5 for identical inputs; detects a consistent shift', () => {
    const a = [1, 2, 3, 4];
    const same = paired(a, a);
    expect(same.mean_diff).toBe(0);
    expect(same.p_value).toBe(1);
    expect(same.win_rate).toBe(0.5);
    const shifted = paired(a.map((x) => x + 1), a);
    expect(shifted.p_value).toBe(0);
    expect(shifted.win_rate).toBe(1);
  });

  it('a metric one side does not report has no pair: each side keeps its own mean, the difference is NaN', () => {
    const r = paired([1, 1, 1], [NaN, NaN, NaN]);
    expect(r.n).toBe(0);
    expect(r.mean_a).toBe(1);
    expect(r.mean_b).toBeNaN();
    expect(r.mean_diff).toBeNaN();
  });

  it('pairing removes the common noise that an unpaired view would see', () => {
    const rng = seedrandom.alea('paired');
    const base = Array.from({ length: 20 }, () => 100 + 30 * normal(rng));
    const a = base.map((x) => x + 1 + 0.1 * normal(rng));
    const p = paired(a, base);
    expect(p.p_value).toBeLessThan(1e-6);
    expect(p.ci95_lo).toBeGreaterThan(0.8);
    expect(p.ci95_hi).toBeLessThan(1.2);
    expect(summarize(a).ci95_lo).toBeLessThan(summarize(base).ci95_hi); // unpaired CIs overlap
  });

  it('rejects unequal lengths and skips non-finite pairs', () => {
    expect(() => paired([1], [1, 2])).toThrow();
    expect(paired([1, NaN, 3], [0, 1, 2]).n).toBe(2);
  });
});

describe('precision rule', () => {
  it('asks for more replications until the half-width is within the relative precision', () => {
    expect(needMoreReplications([10], 0.05)).toBe(true);
    expect(needMoreReplications([10, 10, 10], 0.05)).toBe(false);
    expect(needMoreReplications([9, 11], 0.05)).toBe(true); // hw = 12.7 * 1 = 12.7
    const tight = [100, 101, 99, 100.5, 99.5, 100.2, 99.8, 100.1];
    expect(needMoreReplications(tight, 0.05)).toBe(false);
    expect(needMoreReplications(tight, 0.05, 10)).toBe(true);
  });

  it('estimates a replication count that reaches the precision', () => {
    const rng = seedrandom.alea('need');
    const draw = () => 10 + 2 * normal(rng);
    const xs = Array.from({ length: 10 }, draw);
    const target = replicationsNeeded(xs, 0.02);
    expect(target).toBeGreaterThan(10);
    while (xs.length < target) xs.push(draw());
    // with the estimated n the half-width is near 2% of the mean (sd estimate noise allowed)
    expect(summarize(xs).half_width / summarize(xs).mean).toBeLessThan(0.03);
  });
});
