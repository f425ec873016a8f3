/**
 * Progress model: when does a training job reach its target?
 *
 * Two pieces:
 * 1. A learning curve (registry `learningCurve`, key training.progress.curve.model)
 *    gives the number of sequential SGD steps T0 the target needs (and the
 *    loss after t steps, for the per-round table).
 * 2. A scheme turns each round into effective sequential steps:
 *    - sequential schemes (centralized, sl, ushape): every optimizer step is
 *      one step on the whole model: effective = steps done in the round;
 *    - federated schemes (fl, hfl, sfl, psl): a round of K participants with
 *      E local steps each is worth  E K^alpha / (1 + lambda Gamma (E - 1));
 *    - hfl between cloud aggregations: per site, with that site's K_s
 *      (hierarchicalEffectiveSteps).
 *
 * ASSUMPTIONS (defaults; calibrate against measurements or swap the curve for a CSV):
 * - Shape from FedAvg convergence bounds: Li, Huang, Yang, Wang, Zhang, "On the
 *   convergence of FedAvg on non-IID data", ICLR 2020 (arXiv:1907.02189),
 *   Theorem 1: the optimality gap after T steps is O((B + C)/T) with B growing
 *   with heterogeneity Gamma and with (E - 1)^2 G^2 (client drift from E
 *   local steps), C with E^2/K under partial participation. Hence the O(1/t)
 *   `inverse` curve and a drift penalty growing with Gamma (E - 1).
 * - alpha = 0.5 (default): between no speedup from participants (0) and the
 *   linear speedup in K E of Yang, Fang, Liu, "Achieving linear speedup with
 *   partial worker participation in non-IID federated learning", ICLR 2021
 *   (arXiv:2101.11203), which holds only while the aggregate batch stays
 *   below the critical batch size (McCandlish et al. 2018, arXiv:1812.06162).
 *   The value 0.5 itself is an assumption, not a measurement.
 * - lambda = 1 (default) and Gamma = training.job.dataset.non_iid (default 0,
 *   IID): uncalibrated; with the defaults the drift penalty is off.
 * - steps_to_target = 1000 (default `steps` curve): a placeholder scale, not
 *   a measured figure; time-to-target comparisons between schemes do not
 *   depend on it, absolute times do.
 */
import { readFileSync } from 'node:fs';
import { csvTable } from '../common/csv.ts';
import { Registry } from '../common/registry.ts';
import type { ProgressSpec } from './schema.ts';

type CurveSpec = ProgressSpec['curve'];

export interface LearningCurve {
  /** Sequential steps needed to reach the target (Infinity when never). */
  readonly steps_to_target: number;
  /** Loss after t sequential steps (NaN when the curve has no loss scale). */
  loss(t: number): number;
}

export const learningCurves = new Registry<(spec: CurveSpec) => LearningCurve>('learningCurve', 'training.progress.curve.model');

learningCurves.register('steps', 'the target needs a fixed number of sequential steps (no loss scale)', (s) => {
  const spec = s as Extract<CurveSpec, { model: 'steps' }>;
  return { steps_to_target: spec.steps_to_target, loss: () => Number.NaN };
});

learningCurves.register('inverse', 'loss(t) = final + (initial - final) h / (h + t): the O(1/t) rate of SGD and FedAvg (Li et al. ICLR 2020)', (s) => {
  const spec = s as Extract<CurveSpec, { model: 'inverse' }>;
  const { initial_loss: l0, final_loss: lf, half_steps: h, target_loss: lt } = spec;
  if (!(l0 > lf)) throw new RangeError(`training.progress.curve: initial_loss (${l0}) must exceed final_loss (${lf})`);
  const steps = lt >= l0 ? 0 : lt <= lf ? Number.POSITIVE_INFINITY : (h * (l0 - lt)) / (lt - lf);
  return { steps_to_target: steps, loss: (t) => lf + ((l0 - lf) * h) / (h + t) };
});

learningCurves.register('csv', 'measured loss versus sequential steps from a CSV (columns step, loss), linearly interpolated', (s) => {
  const spec = s as Extract<CurveSpec, { model: 'csv' }>;
  return curveFromCsv(readFileSync(spec.file, 'utf8'), spec.target_loss, spec.file);
});

/** A learning curve from CSV text with columns `step` and `loss`. */
export function curveFromCsv(text: string, target_loss: number, origin = 'csv'): LearningCurve {
  const { header: head, records } = csvTable(text);
  const is = head.indexOf('step');
  const il = head.indexOf('loss');
  if (is < 0 || il < 0) throw new Error(`${origin}: expected a header with columns step and loss`);
  const step: number[] = [];
  const loss: number[] = [];
  for (const cells of records) {
    const t = Number(cells[is]);
    const l = Number(cells[il]);
    if (!Number.isFinite(t) || !Number.isFinite(l)) throw new Error(`${origin}: expected numeric columns step and loss`);
    step.push(t);
    loss.push(l);
  }
  if (step.length === 0) throw new Error(`${origin}: no rows`);
  for (let i = 1; i < step.length; i++) if (!(step[i]! > step[i - 1]!)) throw new Error(`${origin}: steps must increase (row ${i + 2})`);
  let steps_to_target = Number.POSITIVE_INFINITY;
  for (let i = 0; i < step.length; i++) {
    if (loss[i]! <= target_loss) {
      if (i === 0) steps_to_target = step[0]!;
      else {
        const f = (loss[i - 1]! - target_loss) / (loss[i - 1]! - loss[i]!);
        steps_to_target = step[i - 1]! + f * (step[i]! - step[i - 1]!);
      }
      break;
    }
  }
  return {
    steps_to_target,
    loss(t: number): number {
      if (t <= step[0]!) return loss[0]!;
      for (let i = 1; i < step.length; i++) {
        if (t <= step[i]!) return loss[i - 1]! + ((t - step[i - 1]!) / (step[i]! - step[i - 1]!)) * (loss[i]! - loss[i - 1]!);
      }
      return loss[loss.length - 1]!;
    },
  };
}

export type ProgressKind = 'sequential' | 'federated';

/**
 * Effective sequential steps of one round.
 * sequential: `steps` (the optimizer steps done in the round, all clients);
 * federated: E K^alpha / (1 + lambda Gamma (E - 1)) with E = mean local steps of the K participants.
 */
export function effectiveSteps(kind: ProgressKind, p: { participants: number; steps: number; non_iid: number }, spec: ProgressSpec): number {
  if (p.participants <= 0 || p.steps <= 0) return 0;
  if (kind === 'sequential') return p.steps;
  const E = p.steps / p.participants;
  return (E * p.participants ** spec.participation_exponent) / (1 + spec.drift * p.non_iid * Math.max(0, E - 1));
}

/**
 * Effective sequential steps of one hfl edge round (an edge aggregation at every site with
 * finishers: site s had K_s = finishers[s] clients doing steps[s] local steps in all).
 *
 * - A round that ends in a cloud aggregation merges every site's model: it is worth the
 *   federated rule over all K = sum K_s participants, E K^alpha / (1 + lambda Gamma (E - 1)).
 * - A round that ends at the edges only leaves S separate site models. Each advanced by its own
 *   FedAvg round, E_s K_s^alpha / (1 + lambda Gamma (E_s - 1)); the round is credited the
 *   participant-weighted mean of these (the weights of the later cloud average), i.e. the progress
 *   of a typical site model, not of a model averaged over all K clients.
 *
 * ASSUMPTION: the cloud average at the end of a period is credited the cross-site benefit
 * (K^alpha instead of K_s^alpha) for its own round only, not retroactively for the period's earlier
 * edge rounds, whose site models have drifted apart by then (Li et al. 2020: averaging after more
 * local progress gains less; how much is not modelled). So the rule is conservative: with tau2 = 1
 * it is the fl rule; as tau2 grows, rounds to target grow toward the single-site rate, and with a
 * tau2 longer than the run no cross-site progress is ever credited.
 */
export function hierarchicalEffectiveSteps(
  finishers: ArrayLike<number>,
  steps: ArrayLike<number>,
  cloud: boolean,
  non_iid: number,
  spec: ProgressSpec,
): number {
  let K = 0;
  let total = 0;
  for (let s = 0; s < finishers.length; s++) {
    K += finishers[s]!;
    total += steps[s]!;
  }
  if (cloud || K <= 0) return effectiveSteps('federated', { participants: K, steps: total, non_iid }, spec);
  let sum = 0;
  for (let s = 0; s < finishers.length; s++) {
    const k = finishers[s]!;
    if (k > 0) sum += k * effectiveSteps('federated', { participants: k, steps: steps[s]!, non_iid }, spec);
  }
  return sum / K;
}
