import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine/engine.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import {
  EmpiricalSampler,
  exponential,
  gamma,
  lognormal,
  lognormalFromMean,
  normal,
  normalQuantile,
  poisson,
  PoissonProcess,
  uniform,
  ZipfSampler,
} from '../../sim/engine/variates.ts';

function draws(r: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.next());
  return out;
}

/** Sample mean and unbiased variance of n draws of f. */
function moments(n: number, f: () => number): { mean: number; variance: number } {
  let m = 0;
  let s2 = 0;
  for (let i = 1; i <= n; i++) {
    const x = f();
    const d = x - m;
    m += d / i;
    s2 += d * (x - m);
  }
  return { mean: m, variance: s2 / (n - 1) };
}

/**
 * Check a sample mean against the true mean with 5 standard errors
 * (sd / sqrt(n)): a wrong distribution is caught, a correct one passes for
 * any seed except with probability ~6e-7.
 */
function expectMean(got: number, mean: number, sd: number, n: number): void {
  expect(Math.abs(got - mean)).toBeLessThan((5 * sd) / Math.sqrt(n));
}

describe('named streams', () => {
  it('same seed and name give the same stream; the engine caches it', () => {
    const a = new Engine(7);
    const b = new Engine(7);
    expect(a.rng('user:1:arrivals')).toBe(a.rng('user:1:arrivals'));
    expect(draws(a.rng('user:1:arrivals'), 50)).toEqual(draws(b.rng('user:1:arrivals'), 50));
  });

  it('a stream taken once (rngOnce) draws what the cached stream draws, and is not kept', () => {
    const a = new Engine(7);
    const b = new Engine(7);
    const once = a.rngOnce('user:3:position');
    expect(a.rngOnce('user:3:position')).not.toBe(once);
    expect(draws(once, 50)).toEqual(draws(b.rng('user:3:position'), 50));
  });

  it('different names or seeds give different streams', () => {
    const a = new Engine(7);
    const b = new Engine(8);
    const x = draws(a.rng('user:1:arrivals'), 10);
    expect(draws(a.rng('user:2:arrivals'), 10)).not.toEqual(x);
    expect(draws(b.rng('user:1:arrivals'), 10)).not.toEqual(x);
  });

  it('adding a new consumer does not perturb existing streams', () => {
    const a = new Engine(7);
    const b = new Engine(7);
    const ra = a.rng('cell:0:fading');
    const rb = b.rng('cell:0:fading');
    const extra = b.rng('user:99:new-consumer');
    const xa: number[] = [];
    const xb: number[] = [];
    for (let i = 0; i < 100; i++) {
      xa.push(ra.next());
      extra.next();
      extra.nextDouble();
      xb.push(rb.next());
    }
    expect(xb).toEqual(xa);
  });

  it('next/nextOpen/nextDouble/int stay in range', () => {
    const r = new Engine(1).rng('t:0:range');
    for (let i = 0; i < 10_000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const o = r.nextOpen();
      expect(o > 0 && o < 1).toBe(true);
      const d = r.nextDouble();
      expect(d >= 0 && d < 1).toBe(true);
      const k = r.int(6);
      expect(Number.isInteger(k) && k >= 0 && k < 6).toBe(true);
    }
  });
});

describe('continuous variates', () => {
  const e = new Engine(11);
  const n = 200_000;

  it('exponential: mean 1/rate, variance 1/rate^2', () => {
    const r = e.rng('t:0:exp');
    const m = moments(n, () => exponential(r, 4));
    expectMean(m.mean, 0.25, 0.25, n);
    expect(m.variance).toBeCloseTo(0.0625, 2);
  });

  it('uniform: mean (a+b)/2, variance (b-a)^2/12, range', () => {
    const r = e.rng('t:0:unif');
    let lo = Infinity;
    let hi = -Infinity;
    const m = moments(n, () => {
      const x = uniform(r, 2, 5);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      return x;
    });
    expectMean(m.mean, 3.5, Math.sqrt(0.75), n);
    expect(m.variance).toBeCloseTo(0.75, 2);
    expect(lo).toBeGreaterThanOrEqual(2);
    expect(hi).toBeLessThan(5);
  });

  it('normalQuantile matches known quantiles', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 7);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959963984540054, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 6);
    expect(normalQuantile(0.8413447460685429)).toBeCloseTo(1, 7);
  });

  it('normal: mean and variance', () => {
    const r = e.rng('t:0:normal');
    const m = moments(n, () => normal(r, 10, 3));
    expectMean(m.mean, 10, 3, n);
    expect(m.variance / 9).toBeCloseTo(1, 1);
  });

  it('gamma: mean and variance both equal the shape, above and below 1', () => {
    const r = e.rng('t:0:gamma');
    for (const k of [0.5, 3]) {
      const m = moments(n / 4, () => gamma(r, k));
      expectMean(m.mean, k, Math.sqrt(k), n / 4);
      expect(m.variance / k).toBeCloseTo(1, 1);
    }
  });

  it('lognormalFromMean gives the requested mean and CV', () => {
    const r = e.rng('t:0:lognormal');
    const { mu, sigma } = lognormalFromMean(200, 0.5);
    const m = moments(n, () => lognormal(r, mu, sigma));
    expectMean(m.mean, 200, 100, n);
    // The sample SD of a lognormal converges slowly; 0.015 on the CV is several of its standard errors here.
    expect(Math.abs(Math.sqrt(m.variance) / m.mean - 0.5)).toBeLessThan(0.015);
    expect(() => lognormalFromMean(0, 1)).toThrow(RangeError);
  });
});

describe('discrete variates', () => {
  const e = new Engine(13);

  it('poisson: mean and variance equal the mean, small and large means', () => {
    for (const mean of [0.3, 4, 9.9, 10, 37.5, 1000]) {
      const r = e.rng(`t:${mean}:poisson`);
      const n = 50_000;
      let nonInt = 0;
      const m = moments(n, () => {
        const k = poisson(r, mean);
        if (!Number.isInteger(k) || k < 0) nonInt++;
        return k;
      });
      expect(nonInt).toBe(0);
      expectMean(m.mean, mean, Math.sqrt(mean), n);
      expect(m.variance / mean).toBeGreaterThan(0.95);
      expect(m.variance / mean).toBeLessThan(1.05);
    }
    expect(poisson(e.rng('t:0:p0'), 0)).toBe(0);
  });

  it('zipf: rank frequencies match k^-s / H(n,s)', () => {
    const z = new ZipfSampler(100, 1.1);
    const r = e.rng('t:0:zipf');
    const n = 200_000;
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < n; i++) counts[z.sample(r)]!++;
    let h = 0;
    for (let k = 1; k <= 100; k++) h += Math.pow(k, -1.1);
    let chi2 = 0;
    for (let k = 0; k < 100; k++) {
      const p = Math.pow(k + 1, -1.1) / h;
      expect(z.pmf(k)).toBeCloseTo(p, 12);
      chi2 += (counts[k]! - n * p) ** 2 / (n * p);
    }
    // 99 degrees of freedom: the 99.9% point of chi-square is about 149.
    expect(chi2).toBeLessThan(149);
    expect(counts[0]! > counts[1]! && counts[1]! > counts[9]!).toBe(true);
  });

  it('zipf with n = 1 always returns rank 0; s = 0 is uniform', () => {
    const r = e.rng('t:1:zipf');
    const one = new ZipfSampler(1, 1);
    for (let i = 0; i < 100; i++) expect(one.sample(r)).toBe(0);
    const flat = new ZipfSampler(4, 0);
    for (let k = 0; k < 4; k++) expect(flat.pmf(k)).toBeCloseTo(0.25, 12);
  });

  it('empirical discrete: frequencies follow the weights, zero weights never drawn', () => {
    const s = new EmpiricalSampler([10, 20, 30, 40], [1, 0, 3, 0]);
    const r = e.rng('t:0:emp');
    const n = 40_000;
    const c = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const x = s.sample(r);
      c.set(x, (c.get(x) ?? 0) + 1);
    }
    expect(c.get(20)).toBeUndefined();
    expect(c.get(40)).toBeUndefined();
    expectMean(c.get(10)! / n, 0.25, Math.sqrt(0.25 * 0.75), n);
    expect(s.mean).toBeCloseTo(25, 12);
  });

  it('empirical interpolated: piecewise-linear CDF between breakpoints', () => {
    const r = e.rng('t:1:emp');
    // Unweighted sample: F(x_(i)) = (i-1)/(n-1): here uniform on [0,1] then on [1,3].
    const s = new EmpiricalSampler([3, 0, 1], undefined, { interpolate: true });
    const n = 100_000;
    let below1 = 0;
    let outside = 0;
    const m = moments(n, () => {
      const x = s.sample(r);
      if (x < 0 || x > 3) outside++;
      if (x < 1) below1++;
      return x;
    });
    expect(outside).toBe(0);
    expect(s.mean).toBeCloseTo(0.5 * 0.5 + 0.5 * 2, 12);
    expectMean(m.mean, 1.25, 1, n);
    expectMean(below1 / n, 0.5, 0.5, n);
    // Weighted intervals: 90% of the mass on [0, 1].
    const w = new EmpiricalSampler([0, 1, 11], [9, 1], { interpolate: true });
    expect(w.mean).toBeCloseTo(0.9 * 0.5 + 0.1 * 6, 12);
    expect(() => new EmpiricalSampler([0, 1, 2], [1, 1, 1], { interpolate: true })).toThrow(/interval weights/);
  });
});

describe('PoissonProcess', () => {
  it('homogeneous: mean inter-arrival 1/rate', () => {
    const r = new Engine(3).rng('t:0:pp');
    const p = new PoissonProcess(2.5);
    const n = 100_000;
    const m = moments(n, () => p.nextInterarrival(r));
    expectMean(m.mean, 0.4, 0.4, n);
    expect(new PoissonProcess(0).nextInterarrival(r)).toBe(Infinity);
  });

  it('thinning: counts in windows follow the integral of the rate', () => {
    const r = new Engine(3).rng('t:1:pp');
    // lambda(t) = 50 on [0,10), 5 on [10,20); integrals 500 and 50 per cycle.
    const p = new PoissonProcess((t) => (t % 20 < 10 ? 50 : 5), 50);
    let t = 0;
    let high = 0;
    let low = 0;
    const horizon = 2000; // 100 cycles: expected 50,000 and 5,000 arrivals
    for (;;) {
      const dt = p.nextInterarrival(r, t, horizon);
      if (dt === Infinity) break;
      t += dt;
      if (t % 20 < 10) high++;
      else low++;
    }
    expect(Math.abs(high - 50_000)).toBeLessThan(5 * Math.sqrt(50_000));
    expect(Math.abs(low - 5_000)).toBeLessThan(5 * Math.sqrt(5_000));
  });

  it('thinning rejects a rate above maxRate and stops at the horizon', () => {
    const r = new Engine(3).rng('t:2:pp');
    expect(() => new PoissonProcess(() => 10, 5).nextInterarrival(r)).toThrow(/exceeds maxRate/);
    expect(new PoissonProcess(() => 0, 5).nextInterarrival(r, 0, 100)).toBe(Infinity);
    expect(() => new PoissonProcess(() => 1)).toThrow(RangeError);
  });
});
