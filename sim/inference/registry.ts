/**
 * The pluggable concerns of the inference domain, each a Registry:
 * - inferenceMode (`inference.mode`): where a request runs;
 * - inferenceCutSelection (`inference.split.cut_selection`): the split cut per request
 *   (the training domain owns the "cutSelection" registry of training.split);
 * - adaptiveRule (`inference.adaptive.rule`): the decision of the adaptive mode.
 * A new policy is one file in sim/inference/modes/ plus one `register` line.
 *
 * Each policy interface takes the simulator it drives as the type parameter `Sim`: the policies
 * are written against `InferenceSim` (sim.ts), which looks them up here. The parameter keeps this
 * module a leaf, so the simulator and its policies do not import each other in a loop.
 */
import { Registry } from '../common/registry.ts';

/** Expected outcome of serving a request one way, now (for adaptive rules and cut selection). */
export interface Estimate {
  ttft_s: number;
  e2e_s: number;
  /** Device energy: compute + radio, J. */
  device_energy_j: number;
}

/** Server events a mode receives through `onServer`. */
export const SRV_PREFILL_DONE = 0;
export const SRV_DECODE_DONE = 1;
export const SRV_STEP_DONE = 2;
export const SRV_VERIFY_DONE = 3;

/**
 * One execution mode. A mode drives a request through stages with the
 * primitives of the simulator `Sim` (device compute, uplink, downlink,
 * server prefill/decode/step/verify); each primitive calls back `onStage`
 * (device and radio stages, with the stage number the mode chose) or
 * `onServer` (server events). Request state lives in the sim's typed arrays.
 */
export interface InferenceMode<Sim = unknown> {
  /** Null when request `r` may use this mode now, else a rejection reason (privacy, device-memory, ...). */
  check(sim: Sim, r: number): string | null;
  /** Fill `out` with the expected outcome of `r` in this mode now; false when infeasible. */
  estimate(sim: Sim, r: number, out: Estimate): boolean;
  start(sim: Sim, r: number): void;
  onStage(sim: Sim, r: number, stage: number): void;
  onServer(sim: Sim, r: number, event: number): void;
}

export const inferenceModes = new Registry<InferenceMode>('inferenceMode', 'inference.mode');

/** Chooses the split cut k (device runs blocks [0, k)) for a request. */
export interface CutSelection<Sim = unknown> {
  choose(sim: Sim, r: number): number;
}

export const cutSelections = new Registry<CutSelection>('inferenceCutSelection', 'inference.split.cut_selection');

/** What an adaptive rule sees: the candidate modes that passed their checks, with estimates. */
export interface AdaptiveChoice {
  modes: readonly string[];
  /** Estimates of `modes`, index by index (the array may be longer: read modes.length entries). */
  estimates: readonly Estimate[];
  /** Battery charge left of the request's user, 0..1. */
  battery: number;
  /** Uplink rate the user would get alone now, bit/s. */
  uplink_bps: number;
  /** Requests waiting for admission at the user's edge server. */
  server_queue: number;
}

/** Picks one of `c.modes` (returns its index). */
export interface AdaptiveRule<Sim = unknown> {
  choose(sim: Sim, r: number, c: AdaptiveChoice): number;
}

export const adaptiveRules = new Registry<AdaptiveRule>('adaptiveRule', 'inference.adaptive.rule');
