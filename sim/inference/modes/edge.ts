/**
 * edge: upload the prompt text, queue at the edge server (continuous
 * batching), stream the reply down: the first token as soon as the server
 * produces it (TTFT), the rest when the server finishes.
 */
import { inferenceModes, SRV_DECODE_DONE, SRV_PREFILL_DONE, type InferenceMode } from '../registry.ts';
import { FLAG_A, FLAG_B, type InferenceSim } from '../sim.ts';
import { airTime, edgeReason, setEstimate, srvEst, textBytes } from './common.ts';

const UP_PROMPT = 1;
const DOWN_FIRST = 2;
const DOWN_REST = 3;

/** Both the server finished (A) and the first token reached the phone (B): send the rest. */
function maybeRest(sim: InferenceSim, r: number): void {
  const q = sim.req;
  if ((q.flags[r]! & (FLAG_A | FLAG_B)) !== (FLAG_A | FLAG_B)) return;
  const o = q.output[r]!;
  if (o > 1) sim.downlink(r, textBytes(sim, o - 1), DOWN_REST);
  else sim.finish(r);
}

export const edge: InferenceMode<InferenceSim> = {
  check(sim, r) {
    if (sim.req.priv[r] === 1) return 'privacy';
    return edgeReason(sim, r);
  },
  estimate(sim, r, out) {
    const q = sim.req;
    const e = sim.engineOf(r)!;
    const N = q.prompt[r]!;
    const o = Math.max(1, Math.round(sim.meanOutput));
    const up = sim.rateUp(r);
    const down = sim.rateDown(r);
    e.estimate(N, 0, e.layers, srvEst);
    const ttft = airTime(sim, textBytes(sim, N), up) + srvEst.ttft_s + airTime(sim, textBytes(sim, 1), down);
    const energy = sim.upEnergy(r, textBytes(sim, N), up) + sim.downEnergy(textBytes(sim, o), down) + sim.radio.tail_power_w * sim.radio.tail_time_s;
    return setEstimate(out, ttft, ttft + (o - 1) * srvEst.tpot_s, energy);
  },
  start(sim, r) {
    sim.uplink(r, textBytes(sim, sim.req.prompt[r]!), UP_PROMPT);
  },
  onStage(sim, r, stage) {
    const q = sim.req;
    if (stage === UP_PROMPT) {
      const N = q.prompt[r]!;
      const o = q.output[r]!;
      const why = sim.serverPrefill(r, N, 0, sim.models[q.model[r]!]!.arch.layers, o - 1, N + o);
      if (why !== null) sim.reject(r, why);
    } else if (stage === DOWN_FIRST) {
      sim.firstToken(r);
      q.flags[r] = q.flags[r]! | FLAG_B;
      maybeRest(sim, r);
    } else if (stage === DOWN_REST) sim.finish(r);
  },
  onServer(sim, r, ev) {
    const q = sim.req;
    if (ev === SRV_PREFILL_DONE) {
      sim.downlink(r, textBytes(sim, 1), DOWN_FIRST);
      if (q.output[r]! <= 1) {
        sim.serverRelease(r);
        q.flags[r] = q.flags[r]! | FLAG_A;
      }
    } else if (ev === SRV_DECODE_DONE) {
      q.flags[r] = q.flags[r]! | FLAG_A;
      maybeRest(sim, r);
    }
  },
};

inferenceModes.register('edge', 'upload the prompt, continuous batching at the edge server, stream tokens down', edge);
