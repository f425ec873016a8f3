/**
 * on-device: the whole request runs on the phone (prefill, then decode),
 * timed and priced by the roofline of the user's device profile. The weights
 * must be on the phone (device.weights: download fetches them once per user
 * over the serving cell, and from the cloud over the backhaul first when the
 * caching domain's block store lacks them at that edge server; preloaded
 * assumes they are there) and the weights +
 * KV cache of prompt + output must fit its memory, else the request is
 * rejected ("device-memory").
 */
import { inferenceModes, type Estimate, type InferenceMode } from '../registry.ts';
import type { InferenceSim } from '../sim.ts';
import { batteryReason, setEstimate } from './common.ts';

const RUN = 1;
const WEIGHTS = 2;

function run(sim: InferenceSim, r: number): void {
  const q = sim.req;
  const arch = sim.models[q.model[r]!]!.arch;
  const c = sim.deviceCost(r, arch);
  const N = q.prompt[r]!;
  const pre = c.prefill(N);
  const preE = c.energy_j;
  const dec = c.decodeRun(1, N, q.output[r]! - 1);
  sim.deviceRun(r, pre + dec, preE + c.energy_j, RUN, pre);
}

export const onDevice: InferenceMode<InferenceSim> = {
  check(sim, r) {
    const q = sim.req;
    return batteryReason(sim, r) ?? sim.weightsReason(r) ?? sim.deviceFits(r, sim.models[q.model[r]!]!.arch, q.prompt[r]! + q.output[r]!);
  },
  estimate(sim, r, out: Estimate) {
    const q = sim.req;
    const c = sim.deviceCost(r, sim.models[q.model[r]!]!.arch);
    const N = q.prompt[r]!;
    const pre = c.prefill(N);
    const preE = c.energy_j;
    const dec = c.decodeRun(1, N, Math.max(0, Math.round(sim.meanOutput) - 1));
    return setEstimate(out, pre, pre + dec, preE + c.energy_j);
  },
  start(sim, r) {
    if (sim.ensureWeights(r, WEIGHTS)) run(sim, r);
  },
  onStage(sim, r, stage) {
    if (stage === WEIGHTS) run(sim, r);
    else sim.finish(r);
  },
  onServer() {},
};

inferenceModes.register('on-device', 'the whole request on the phone (roofline of the device profile); weights must be present and fit', onDevice);
