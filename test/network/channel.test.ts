import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/engine/rng.ts';
import {
  CQI_TABLE_1,
  correlatedShadowingDb,
  DEFAULT_LINK,
  dbToLinear,
  drawGain,
  linearToDb,
  linkRate,
  mcsEfficiency,
  multicastRate,
  noisePowerW,
  pathLossDb,
  rate,
  rayleighPowerGain,
  shadowingDb,
  snr,
  spectralEfficiency,
  umaLosDb,
  umaLosProbability,
  umaNlosDb,
  wToDbm,
} from '../../sim/network/channel.ts';

describe('channel', () => {
  it('matches the design-brief scale check: 20 MHz at 20 dB carries ~133 Mbit/s', () => {
    const r = rate(20e6, dbToLinear(20));
    expect(r / 1e6).toBeCloseTo(133.2, 1);
    // 100 MB then takes ~6 s.
    expect((100e6 * 8) / r).toBeCloseTo(6.0, 0);
  });

  it('urban macro path loss is 128.1 + 37.6 log10(d_km)', () => {
    expect(pathLossDb({ kind: 'urban-macro' }, 1000)).toBeCloseTo(128.1, 10);
    expect(pathLossDb({ kind: 'urban-macro' }, 100)).toBeCloseTo(90.5, 10);
    expect(pathLossDb({ kind: 'log-distance', pl0_db: 40, d0_m: 1, exponent: 3 }, 100)).toBeCloseTo(100, 10);
  });

  it('closer than its minimum distance a model gives the loss at the minimum, never below free space', () => {
    // 35 m (TR 36.814 macro): 128.1 + 37.6 log10(0.035) = 73.3 dB; free space at 2 GHz and 35 m is 69.3 dB
    expect(pathLossDb({ kind: 'urban-macro' }, 1)).toBeCloseTo(128.1 + 37.6 * Math.log10(0.035), 10);
    expect(pathLossDb({ kind: 'urban-macro' }, 10)).toBe(pathLossDb({ kind: 'urban-macro' }, 35));
    expect(pathLossDb({ kind: 'urban-macro' }, 1)).toBeGreaterThan(20 * Math.log10((4 * Math.PI * 35 * 2e9) / 299_792_458));
    const uma = { kind: '3gpp-uma', fc_hz: 3.5e9, h_bs_m: 25, h_ut_m: 1.5, los: 'los' } as const;
    expect(pathLossDb(uma, 2)).toBe(pathLossDb(uma, 10));
    expect(pathLossDb({ kind: 'log-distance', pl0_db: 40, d0_m: 5, exponent: 3 }, 1)).toBe(40);
  });

  it('3GPP UMa: hand-computed LOS value, NLOS >= LOS, LOS probability', () => {
    // d3D = hypot(100, 23.5) = 102.72 m; d'BP = 4 * 24 * 0.5 * 3.5e9 / c = 560 m > 100 m, so PL1.
    const los = umaLosDb(3.5e9, 100, 25, 1.5);
    expect(los).toBeCloseTo(28 + 22 * Math.log10(Math.hypot(100, 23.5)) + 20 * Math.log10(3.5), 10);
    expect(los).toBeCloseTo(83.14, 1);
    for (const d of [20, 100, 500, 2000]) expect(umaNlosDb(3.5e9, d, 25, 1.5)).toBeGreaterThanOrEqual(umaLosDb(3.5e9, d, 25, 1.5));
    expect(umaLosProbability(10, 1.5)).toBe(1);
    expect(umaLosProbability(100, 1.5)).toBeLessThan(umaLosProbability(50, 1.5));
    expect(() => pathLossDb({ kind: '3gpp-uma', fc_hz: 3.5e9, h_bs_m: 25, h_ut_m: 1.5, los: 'random' }, 100)).toThrow(/Rng/);
  });

  it('noise power is N0 + 10 log10(B) + NF', () => {
    expect(wToDbm(noisePowerW(20e6, 9))).toBeCloseTo(-174 + 10 * Math.log10(20e6) + 9, 10);
    expect(linearToDb(snr(2, 0.5, 0.1))).toBeCloseTo(10, 10);
  });

  it('CQI table 1: efficiencies equal Qm x R / 1024 and match the published 4-decimal values', () => {
    // source: 3GPP TS 38.214 Table 5.2.2.1-2.
    const published = [0.1523, 0.2344, 0.377, 0.6016, 0.877, 1.1758, 1.4766, 1.9141, 2.4063, 2.7305, 3.3223, 3.9023, 4.5234, 5.1152, 5.5547];
    expect(CQI_TABLE_1.map((e) => Number(e.efficiency.toFixed(4)))).toEqual(published);
    expect(mcsEfficiency(30)).toBeCloseTo(5.5547, 4);
    expect(mcsEfficiency(-10)).toBe(0);
    let prev = -1;
    for (let s = -10; s <= 30; s += 0.5) {
      const e = mcsEfficiency(s);
      expect(e).toBeGreaterThanOrEqual(prev);
      expect(e).toBeLessThanOrEqual(Math.log2(1 + dbToLinear(s)) + 1e-9); // below Shannon
      prev = e;
    }
  });

  it('caps the spectral efficiency', () => {
    expect(spectralEfficiency(dbToLinear(40), { max_efficiency: 5.5547 })).toBe(5.5547);
    expect(rate(10e6, dbToLinear(40), { mcs: CQI_TABLE_1 })).toBeCloseTo((10e6 * 6 * 948) / 1024, 3);
  });

  it('multicast runs at the worst member rate', () => {
    const n = noisePowerW(20e6, 9);
    const gains = [1e-9, 1e-11, 1e-10];
    const r = multicastRate(20e6, 40, gains, n);
    expect(r).toBeCloseTo(rate(20e6, snr(40, 1e-11, n)), 6);
    for (const g of gains) expect(r).toBeLessThanOrEqual(rate(20e6, snr(40, g, n)));
    expect(multicastRate(20e6, 40, [], n)).toBe(0);
  });

  it('draws: Rayleigh power has unit mean, shadowing has the given sigma, streams are reproducible', () => {
    const rng = new Rng(7, 'test:fading');
    let m = 0;
    let s2 = 0;
    const n = 20000;
    for (let j = 0; j < n; j++) m += rayleighPowerGain(rng);
    for (let j = 0; j < n; j++) s2 += shadowingDb(rng, 8) ** 2;
    expect(m / n).toBeGreaterThan(0.97);
    expect(m / n).toBeLessThan(1.03);
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(7.8);
    expect(Math.sqrt(s2 / n)).toBeLessThan(8.2);
    const a = drawGain(DEFAULT_LINK, 300, new Rng(1, 'x'));
    const b = drawGain(DEFAULT_LINK, 300, new Rng(1, 'x'));
    expect(a).toBe(b);
    expect(drawGain(DEFAULT_LINK, 1000)).toBeCloseTo(dbToLinear(-128.1), 20);
  });

  it('correlated shadowing keeps sigma and decorrelates as exp(-moved / distance), whatever the step length', () => {
    const rng = new Rng(11, 'test:walk');
    const n = 20000;
    const corr = 50;
    // 5 steps of 10 m and 1 step of 50 m must both give correlation e^-1 with the start.
    for (const [steps, step] of [[5, 10], [1, 50]] as const) {
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let j = 0; j < n; j++) {
        const x0 = shadowingDb(rng, 8);
        let x = x0;
        for (let k = 0; k < steps; k++) x = correlatedShadowingDb(rng, x, step, corr, 8);
        sxy += x0 * x;
        sxx += x0 * x0;
        syy += x * x;
      }
      expect(sxy / Math.sqrt(sxx * syy)).toBeGreaterThan(Math.exp(-1) - 0.03);
      expect(sxy / Math.sqrt(sxx * syy)).toBeLessThan(Math.exp(-1) + 0.03);
      expect(Math.sqrt(syy / n)).toBeGreaterThan(7.8); // the marginal stays N(0, 8 dB)
      expect(Math.sqrt(syy / n)).toBeLessThan(8.2);
    }
    expect(correlatedShadowingDb(rng, 3.5, 1000, Number.POSITIVE_INFINITY, 8)).toBe(3.5); // frozen
    expect(correlatedShadowingDb(rng, 3.5, 0, 50, 8)).toBe(3.5); // did not move
    expect(correlatedShadowingDb(rng, 3.5, 10, 50, 0)).toBe(0); // shadowing off
  });

  it('default link: rate falls with distance', () => {
    const near = linkRate(DEFAULT_LINK, drawGain(DEFAULT_LINK, 100));
    const far = linkRate(DEFAULT_LINK, drawGain(DEFAULT_LINK, 800));
    expect(near).toBeGreaterThan(far);
    expect(far).toBeGreaterThan(0);
  });
});
