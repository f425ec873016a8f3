/**
 * speculative: collaborative speculative decoding. The phone runs a small
 * draft model (speculative.draft_model) that proposes gamma tokens; the edge
 * model verifies them in one batched pass of gamma + 1 tokens; each draft
 * token is accepted with probability alpha until the first rejection, and
 * the verifier adds one token of its own. Tokens per round are
 * 1 + min(G, gamma) with G geometric, so their mean is
 * (1 - alpha^(gamma+1)) / (1 - alpha).
 *
 * The prompt goes up as text (the raw prompt leaves the phone); the draft
 * model prefills it on the phone meanwhile. The first token comes from the
 * edge prefill.
 */
import { getModel } from '../../workload/index.ts';
import { inferenceModes, SRV_PREFILL_DONE, SRV_VERIFY_DONE, type InferenceMode } from '../registry.ts';
import { FLAG_A, FLAG_B, type InferenceSim } from '../sim.ts';
import { airTime, batteryReason, edgeReason, setEstimate, srvEst, textBytes } from './common.ts';

const UP_PROMPT = 1;
const DRAFT_PREFILL = 2;
const DOWN_FIRST = 3;
const DRAFT = 4;
const UP_DRAFT = 5;
const DOWN_VERIFIED = 6;

/** Expected tokens per verification round: (1 - alpha^(gamma+1)) / (1 - alpha). */
export function expectedTokensPerRound(alpha: number, gamma: number): number {
  return alpha >= 1 ? gamma + 1 : (1 - alpha ** (gamma + 1)) / (1 - alpha);
}

function draftArch(sim: InferenceSim) {
  return getModel(sim.spec.speculative.draft_model);
}

/** Next round, or the end when every token is there. */
function round(sim: InferenceSim, r: number): void {
  const q = sim.req;
  const left = q.output[r]! - q.generated[r]!;
  if (left <= 0) {
    sim.serverRelease(r);
    sim.finish(r);
    return;
  }
  const g = Math.min(sim.spec.speculative.gamma, left);
  q.srvGamma[r] = g;
  const dc = sim.deviceCost(r, draftArch(sim));
  const t = dc.decodeRun(1, q.prompt[r]! + q.generated[r]! - 1, g);
  sim.deviceRun(r, t, dc.energy_j, DRAFT);
}

export const speculative: InferenceMode<InferenceSim> = {
  check(sim, r) {
    if (sim.req.priv[r] === 1) return 'privacy';
    const q = sim.req;
    return batteryReason(sim, r) ?? edgeReason(sim, r) ?? sim.deviceFits(r, draftArch(sim), q.prompt[r]! + q.output[r]!);
  },
  estimate(sim, r, out) {
    const q = sim.req;
    const e = sim.engineOf(r)!;
    const N = q.prompt[r]!;
    const o = Math.max(1, Math.round(sim.meanOutput));
    const { gamma, alpha } = sim.spec.speculative;
    const up = sim.rateUp(r);
    const down = sim.rateDown(r);
    e.estimate(N, 0, e.layers, srvEst);
    const ttft = airTime(sim, textBytes(sim, N), up) + srvEst.ttft_s + airTime(sim, textBytes(sim, 1), down);
    const dc = sim.deviceCost(r, draftArch(sim));
    const mid = N + o / 2;
    const draft = dc.decodeRun(1, mid, gamma);
    const draftE = dc.energy_j;
    const verify = e.cost.time(0, e.layers, gamma + 1, (gamma + 1) * mid + ((gamma + 1) * (gamma + 2)) / 2, mid + gamma + 1, gamma + 1);
    const per = expectedTokensPerRound(alpha, gamma);
    const roundT = draft + airTime(sim, textBytes(sim, gamma), up) + srvEst.wait_s + verify + airTime(sim, textBytes(sim, per), down);
    const rounds = (o - 1) / per;
    dc.prefill(N);
    const energy =
      dc.energy_j + rounds * (draftE + sim.upEnergy(r, textBytes(sim, gamma), up) + sim.downEnergy(textBytes(sim, per), down)) + sim.radio.tail_power_w * sim.radio.tail_time_s;
    return setEstimate(out, ttft, ttft + rounds * roundT, energy);
  },
  start(sim, r) {
    const q = sim.req;
    sim.uplink(r, textBytes(sim, q.prompt[r]!), UP_PROMPT);
    const dc = sim.deviceCost(r, draftArch(sim));
    const t = dc.prefill(q.prompt[r]!);
    sim.deviceRun(r, t, dc.energy_j, DRAFT_PREFILL);
  },
  onStage(sim, r, stage) {
    const q = sim.req;
    switch (stage) {
      case UP_PROMPT: {
        const N = q.prompt[r]!;
        const why = sim.serverPrefill(r, N, 0, sim.models[q.model[r]!]!.arch.layers, 0, N + q.output[r]! + sim.spec.speculative.gamma + 1);
        if (why !== null) sim.reject(r, why);
        break;
      }
      case DOWN_FIRST:
        q.generated[r] = 1;
        sim.firstToken(r);
        q.flags[r] = q.flags[r]! | FLAG_A;
        if (q.flags[r]! & FLAG_B) round(sim, r);
        break;
      case DRAFT_PREFILL:
        q.flags[r] = q.flags[r]! | FLAG_B;
        if (q.flags[r]! & FLAG_A) round(sim, r);
        break;
      case DRAFT:
        sim.uplink(r, textBytes(sim, q.srvGamma[r]!), UP_DRAFT);
        break;
      case UP_DRAFT:
        sim.serverVerify(r, q.srvGamma[r]!);
        break;
      case DOWN_VERIFIED:
        q.generated[r] = q.generated[r]! + q.roundTokens[r]!;
        round(sim, r);
        break;
    }
  },
  onServer(sim, r, ev) {
    const q = sim.req;
    if (ev === SRV_PREFILL_DONE) {
      sim.downlink(r, textBytes(sim, 1), DOWN_FIRST);
      return;
    }
    if (ev !== SRV_VERIFY_DONE) return;
    const g = q.srvGamma[r]!;
    const { alpha, gamma } = sim.spec.speculative;
    const rng = sim.acceptRng(r);
    let n = 0;
    while (n < g && rng.next() < alpha) n++;
    // KV keeps the verified input token and the accepted drafts.
    q.srvCtx[r] = q.srvCtx[r]! + n + 1;
    const left = q.output[r]! - q.generated[r]!;
    const produced = Math.min(n + 1, left);
    // A full round: gamma drafts with room for all gamma + 1 tokens; judged before the draw, so the rounds
    // near the end of a reply are not kept only when they accept few drafts (which biased the mean low).
    if (g === gamma && gamma + 1 <= left) sim.specRound(n + 1);
    q.rounds[r] = q.rounds[r]! + 1;
    q.roundTokens[r] = produced;
    sim.downlink(r, textBytes(sim, produced), DOWN_VERIFIED);
  },
};

inferenceModes.register('speculative', 'draft model on the phone proposes gamma tokens, the edge model verifies them in one batched pass', speculative);
