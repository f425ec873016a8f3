/**
 * Radio channel: path loss, shadowing, fading, noise, SNR and rates. Pure
 * functions; random draws take an `Rng` argument so the caller owns the stream
 * (`engine.rng("user:<k>:fading")`). SI units: metres, Hz, W, bit/s; values in
 * dB / dBm carry the suffix in their names.
 */
import type { Rng } from '../engine/rng.ts';
import { exponential, normal } from '../engine/variates.ts';

// ---------------------------------------------------------------- conversions

export function dbToLinear(db: number): number {
  return 10 ** (db / 10);
}

export function linearToDb(x: number): number {
  return 10 * Math.log10(x);
}

export function dbmToW(dbm: number): number {
  return 10 ** ((dbm - 30) / 10);
}

export function wToDbm(w: number): number {
  return 10 * Math.log10(w) + 30;
}

/** Speed of light in vacuum, m/s (exact, SI definition). */
const C_M_PER_S = 299_792_458;

// ------------------------------------------------------------------ path loss

/**
 * Path-loss models.
 * - `urban-macro`: 128.1 + 37.6 log10(d_km) dB. source: 3GPP TR 36.814 V9.0.0
 *   Table A.2.1.1.2-3 (macro cell, 2 GHz), the model used by TrimCaching (Qu et
 *   al., arXiv 2404.14204) and the design brief section 4.
 * - `log-distance`: pl0_db + 10 exponent log10(d / d0_m).
 * - `3gpp-uma`: 3GPP TR 38.901 Table 7.4.1-1 UMa, LOS / NLOS, or a LOS state
 *   drawn from the Table 7.4.2-1 LOS probability (`los: 'random'`, needs an Rng).
 *   Formulas as implemented in ns-3 src/propagation/model/three-gpp-propagation-loss-model.cc
 *   (ThreeGppUmaPropagationLossModel) and channel-condition-model.cc; the effective
 *   environment height h_E is fixed at 1 m (its value with probability
 *   1/(1 + C(d2D, h_UT)), which is 1 for h_UT < 13 m).
 */
export type PathLossModel =
  | { kind: 'urban-macro' }
  | { kind: 'log-distance'; pl0_db: number; d0_m: number; exponent: number }
  | { kind: '3gpp-uma'; fc_hz: number; h_bs_m: number; h_ut_m: number; los: 'los' | 'nlos' | 'random' };

export const URBAN_MACRO: PathLossModel = { kind: 'urban-macro' };

/**
 * Shortest distance each model is evaluated at: a user closer than that gets the loss at the
 * minimum, as in 3GPP system simulations, which drop no user closer. Without it the log-distance
 * laws fall below free space near the mast (urban-macro gave 15 dB at 1 m, against 38.5 dB free space at 2 GHz).
 * - urban-macro: 35 m, the minimum UE-to-cell distance of the macro scenario of 3GPP TR 36.814
 *   V9.0.0 Table A.2.1.1-2 (the table of the model's 128.1 + 37.6 log10(d_km)).
 * - 3gpp-uma: 10 m, the lower end of the UMa path-loss applicability range of TR 38.901 Table 7.4.1-1.
 * - log-distance: its reference distance d0.
 */
export function minDistanceM(model: PathLossModel): number {
  return model.kind === 'urban-macro' ? 35 : model.kind === '3gpp-uma' ? 10 : model.d0_m;
}

/**
 * Path loss in dB at 2D distance `d_m`. For `3gpp-uma` with `los: 'random'`, `los` decides the LOS
 * state: an Rng to draw from, or a uniform number in [0, 1) already drawn (LOS when it is below the
 * LOS probability at this distance; a caller that keeps one number per link keeps its state stable
 * as the distance changes smoothly).
 */
export function pathLossDb(model: PathLossModel, d_m: number, los?: Rng | number): number {
  const d = Math.max(d_m, minDistanceM(model));
  switch (model.kind) {
    case 'urban-macro':
      return 128.1 + 37.6 * Math.log10(d / 1000);
    case 'log-distance':
      return model.pl0_db + 10 * model.exponent * Math.log10(d / model.d0_m);
    case '3gpp-uma': {
      let isLos = model.los === 'los';
      if (model.los === 'random') {
        if (los === undefined) throw new Error("pathLossDb: 3gpp-uma with los: 'random' needs an Rng or a uniform draw");
        isLos = (typeof los === 'number' ? los : los.next()) < umaLosProbability(d, model.h_ut_m);
      }
      return isLos ? umaLosDb(model.fc_hz, d, model.h_bs_m, model.h_ut_m) : umaNlosDb(model.fc_hz, d, model.h_bs_m, model.h_ut_m);
    }
  }
}

/** TR 38.901 Table 7.4.1-1 UMa LOS path loss (dB); fc in Hz, distances in m. */
export function umaLosDb(fc_hz: number, d2d_m: number, h_bs_m: number, h_ut_m: number): number {
  const h_e = 1;
  const d3d = Math.hypot(d2d_m, h_bs_m - h_ut_m);
  const fcGhz = fc_hz / 1e9;
  const dBp = (4 * (h_bs_m - h_e) * (h_ut_m - h_e) * fc_hz) / C_M_PER_S;
  if (d2d_m <= dBp) return 28.0 + 22 * Math.log10(d3d) + 20 * Math.log10(fcGhz);
  return 28.0 + 40 * Math.log10(d3d) + 20 * Math.log10(fcGhz) - 9 * Math.log10(dBp * dBp + (h_bs_m - h_ut_m) ** 2);
}

/** TR 38.901 Table 7.4.1-1 UMa NLOS path loss (dB): max(PL_LOS, PL'_NLOS). */
export function umaNlosDb(fc_hz: number, d2d_m: number, h_bs_m: number, h_ut_m: number): number {
  const d3d = Math.hypot(d2d_m, h_bs_m - h_ut_m);
  const nlos = 13.54 + 39.08 * Math.log10(d3d) + 20 * Math.log10(fc_hz / 1e9) - 0.6 * (h_ut_m - 1.5);
  return Math.max(umaLosDb(fc_hz, d2d_m, h_bs_m, h_ut_m), nlos);
}

/** TR 38.901 Table 7.4.2-1 UMa LOS probability at 2D distance `d2d_m`. */
export function umaLosProbability(d2d_m: number, h_ut_m: number): number {
  if (d2d_m <= 18) return 1;
  const c = h_ut_m <= 13 ? 0 : ((h_ut_m - 13) / 10) ** 1.5;
  return (
    (18 / d2d_m + Math.exp(-d2d_m / 63) * (1 - 18 / d2d_m)) *
    (1 + ((c * 5) / 4) * (d2d_m / 100) ** 3 * Math.exp(-d2d_m / 150))
  );
}

/**
 * Shadow-fading standard deviations of TR 38.901 Table 7.4.1-1 UMa, dB.
 * The design-brief default (TrimCaching) is 8 dB.
 */
export const SHADOWING_SIGMA_DB = { default: 8, uma_los: 4, uma_nlos: 6 } as const;

/**
 * Decorrelation distances of shadow fading, m: TR 38.901 Table 7.5-6 Part-1, UMa (LOS 37 m,
 * NLOS 50 m), as ns-3's ThreeGppUmaPropagationLossModel::GetShadowingCorrelationDistance uses them.
 */
export const SHADOWING_CORRELATION_M = { uma_los: 37, uma_nlos: 50 } as const;

// ------------------------------------------------------------ random draws

/** Log-normal shadowing: a zero-mean normal in dB with standard deviation `sigma_db` (default 8 dB). */
export function shadowingDb(rng: Rng, sigma_db: number = SHADOWING_SIGMA_DB.default): number {
  return sigma_db === 0 ? 0 : normal(rng, 0, sigma_db);
}

/**
 * Shadowing after the receiver moved `moved_m` metres: Gudmundson's exponential autocorrelation
 * (Electronics Letters 27(23), 1991), R = exp(-moved / corr), sampled as the first-order
 * autoregression new = R old + sqrt(1 - R^2) N(0, sigma^2), which keeps the marginal N(0, sigma^2)
 * at any step length. This is ns-3's ThreeGppPropagationLossModel::GetShadowing update, with the
 * 2D displacement since the last update. `corr_m` Infinity keeps `prev_db` (frozen shadowing).
 */
export function correlatedShadowingDb(rng: Rng, prev_db: number, moved_m: number, corr_m: number, sigma_db: number): number {
  if (sigma_db === 0) return 0;
  if (!(moved_m > 0) || corr_m === Number.POSITIVE_INFINITY) return prev_db;
  const r = Math.exp(-moved_m / corr_m);
  return r * prev_db + Math.sqrt(1 - r * r) * normal(rng, 0, sigma_db);
}

/** Rayleigh fading power gain |h|^2 ~ Exponential(1) (unit mean). */
export function rayleighPowerGain(rng: Rng): number {
  return exponential(rng, 1);
}

// ------------------------------------------------------------------ noise, SNR

/** Thermal noise density at 290 K, dBm/Hz (kT = -173.98 dBm/Hz, rounded as the brief uses it). */
export const THERMAL_NOISE_DBM_PER_HZ = -174;

/** Noise power in W: N0 (dBm/Hz) + 10 log10(B) + noise figure (dB). */
export function noisePowerW(bandwidth_hz: number, noise_figure_db = 0, n0_dbm_per_hz = THERMAL_NOISE_DBM_PER_HZ): number {
  return dbmToW(n0_dbm_per_hz + 10 * Math.log10(bandwidth_hz) + noise_figure_db);
}

/** Linear channel power gain from path loss, shadowing (dB) and a small-scale fading power gain. */
export function channelGain(pathloss_db: number, shadowing_db = 0, fading = 1): number {
  return dbToLinear(-pathloss_db - shadowing_db) * fading;
}

/** Linear SNR = P g / N. */
export function snr(tx_power_w: number, gain: number, noise_w: number): number {
  return (tx_power_w * gain) / noise_w;
}

// ---------------------------------------------------------------- MCS table

export interface CqiEntry {
  cqi: number;
  modulation: 'QPSK' | '16QAM' | '64QAM';
  /** Code rate x 1024. */
  code_rate_x1024: number;
  /** Bits per second per hertz = modulation order x code rate. */
  efficiency: number;
  /** Lowest SNR (dB) at which this CQI is selected (10% BLER). */
  snr_threshold_db: number;
}

const QM = { QPSK: 2, '16QAM': 4, '64QAM': 6 } as const;

function cqi(i: number, m: CqiEntry['modulation'], r: number, snr_db: number): CqiEntry {
  // derived: efficiency = Qm * R / 1024 (matches the table's 4-decimal values).
  return { cqi: i, modulation: m, code_rate_x1024: r, efficiency: (QM[m] * r) / 1024, snr_threshold_db: snr_db };
}

/**
 * 4-bit CQI table 1.
 * source (modulation, code rate): 3GPP TS 38.214 Table 5.2.2.1-2 (identical to
 *   TS 36.213 Table 7.2.3-1), as transcribed in srsRAN
 *   lib/ran/csi_report/csi_report_wideband_cqi.cpp and MathWorks hCQITables.m.
 * source (SNR thresholds, 10% BLER, SISO AWGN link-level): the LTE "SINR and CQI
 *   mapping table", https://www.scribd.com/document/693203496/SINR-and-CQI-Mapping-Table-in-LTE
 *   (3GPP specifies no thresholds; they are receiver-dependent).
 */
export const CQI_TABLE_1: readonly CqiEntry[] = [
  cqi(1, 'QPSK', 78, -6.7),
  cqi(2, 'QPSK', 120, -4.7),
  cqi(3, 'QPSK', 193, -2.3),
  cqi(4, 'QPSK', 308, 0.2),
  cqi(5, 'QPSK', 449, 2.4),
  cqi(6, 'QPSK', 602, 4.3),
  cqi(7, '16QAM', 378, 5.9),
  cqi(8, '16QAM', 490, 8.1),
  cqi(9, '16QAM', 616, 10.3),
  cqi(10, '64QAM', 466, 11.7),
  cqi(11, '64QAM', 567, 14.1),
  cqi(12, '64QAM', 666, 16.3),
  cqi(13, '64QAM', 772, 18.7),
  cqi(14, '64QAM', 873, 21.0),
  cqi(15, '64QAM', 948, 22.7),
];

/** Spectral efficiency (bit/s/Hz) of the highest CQI whose threshold `snr_db` meets; 0 below CQI 1 (out of range). */
export function mcsEfficiency(snr_db: number, table: readonly CqiEntry[] = CQI_TABLE_1): number {
  let se = 0;
  for (const e of table) {
    if (snr_db >= e.snr_threshold_db) se = e.efficiency;
    else break;
  }
  return se;
}

// ---------------------------------------------------------------------- rates

export interface RateOptions {
  /** Cap on spectral efficiency, bit/s/Hz (e.g. 5.5547 for 64QAM CQI 15). */
  max_efficiency?: number;
  /** Use an MCS table instead of Shannon. */
  mcs?: readonly CqiEntry[];
}

/** Spectral efficiency (bit/s/Hz) at linear SNR `s`: Shannon log2(1 + s), or the MCS table; then capped. */
export function spectralEfficiency(s: number, opts: RateOptions = {}): number {
  const se = opts.mcs !== undefined ? mcsEfficiency(linearToDb(s), opts.mcs) : Math.log2(1 + s);
  return opts.max_efficiency !== undefined ? Math.min(se, opts.max_efficiency) : se;
}

/** Rate in bit/s: B x spectral efficiency(SNR). At 20 MHz and 20 dB, Shannon gives ~133 Mbit/s. */
export function rate(bandwidth_hz: number, s: number, opts: RateOptions = {}): number {
  return bandwidth_hz * spectralEfficiency(s, opts);
}

/**
 * Multicast group rate in bit/s: the transmission must be decodable by the worst
 * member, R = B log2(1 + P min_k g_k / N) (Wu, Zeng, Huang, IEEE TWC 2024). 0 for an empty group.
 */
export function multicastRate(
  bandwidth_hz: number,
  tx_power_w: number,
  gains: ArrayLike<number>,
  noise_w: number,
  opts: RateOptions = {},
): number {
  if (gains.length === 0) return 0;
  let g = Infinity;
  for (let i = 0; i < gains.length; i++) if (gains[i]! < g) g = gains[i]!;
  return rate(bandwidth_hz, snr(tx_power_w, g, noise_w), opts);
}

// ------------------------------------------------------------- whole link

/** Everything needed to turn a distance into a rate. */
export interface LinkConfig {
  pathloss: PathLossModel;
  /** Log-normal shadowing standard deviation, dB (0 = off). */
  shadowing_sigma_db: number;
  fading: 'none' | 'rayleigh';
  bandwidth_hz: number;
  tx_power_w: number;
  noise_figure_db: number;
  noise_density_dbm_per_hz: number;
  rate?: RateOptions;
}

export const DEFAULT_LINK: LinkConfig = {
  pathloss: URBAN_MACRO,
  shadowing_sigma_db: SHADOWING_SIGMA_DB.default,
  fading: 'none',
  bandwidth_hz: 20e6,
  // source: the `tx_power: 46 dBm` default of sim/network/schema.ts. 3GPP TR 36.814
  // Table A.2.1.1-2 lists 46 dBm for a 10 MHz and 49 dBm for a 20 MHz macro carrier
  // (recalled, not re-verified in this session).
  tx_power_w: dbmToW(46),
  // source: UE noise figure 9 dB, 3GPP TR 36.814 Table A.2.1.1-2 (recalled, not re-verified).
  noise_figure_db: 9,
  noise_density_dbm_per_hz: THERMAL_NOISE_DBM_PER_HZ,
};

/**
 * Linear channel gain at distance `d_m` with fresh shadowing and fading draws
 * from `rng` (pass `rng` undefined for the mean path loss only; then `losDraw` is the
 * uniform number that fixes a random LOS state, see `pathLossDb`).
 */
export function drawGain(cfg: LinkConfig, d_m: number, rng?: Rng, losDraw?: number): number {
  const pl = pathLossDb(cfg.pathloss, d_m, rng ?? losDraw);
  if (rng === undefined) return channelGain(pl);
  const sh = shadowingDb(rng, cfg.shadowing_sigma_db);
  const fad = cfg.fading === 'rayleigh' ? rayleighPowerGain(rng) : 1;
  return channelGain(pl, sh, fad);
}

/** Rate (bit/s) of a link with linear gain `gain` under `cfg`. */
export function linkRate(cfg: LinkConfig, gain: number, bandwidth_hz = cfg.bandwidth_hz): number {
  const n = noisePowerW(bandwidth_hz, cfg.noise_figure_db, cfg.noise_density_dbm_per_hz);
  return rate(bandwidth_hz, snr(cfg.tx_power_w, gain, n), cfg.rate);
}
