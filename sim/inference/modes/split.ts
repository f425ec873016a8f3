/**
 * split: the phone runs blocks [0, k), the edge server the rest. Prefill
 * uploads N x hidden activations at the cut; every decode step runs the
 * device part for the new token, uploads one hidden state, the server runs
 * its blocks (batched with other requests) and returns one token id: one
 * radio round trip per output token. Activation compression (fp16/int8/int4)
 * sets the bytes. U-shaped (split.u_shaped): the last `tail_layers` blocks
 * and the LM head also stay on the phone, so the server returns hidden
 * states and the output never leaves the device.
 *
 * The cut is chosen per request by the cutSelection policy (fixed,
 * min-latency, min-energy), from `splitEstimate`.
 */
import { kvBytesPerToken, weightBytes } from '../../workload/index.ts';
import { cutSelections, inferenceModes, SRV_PREFILL_DONE, SRV_STEP_DONE, type Estimate, type InferenceMode } from '../registry.ts';
import type { InferenceSim } from '../sim.ts';
import { actBytes, airTime, batteryReason, edgeReason, setEstimate, srvEst, textBytes } from './common.ts';

const DEV_PREFILL = 1;
const UP_ACT = 2;
const DOWN_TOKEN = 3;
const DEV_STEP = 4;
const UP_STEP = 5;
const DOWN_ACT = 6;
const DEV_TAIL = 7;

/** End of the server part: the layer count, or layers - tail_layers when U-shaped. */
export function serverEnd(sim: InferenceSim, layers: number): number {
  return sim.spec.split.u_shaped ? layers - sim.spec.split.tail_layers : layers;
}

/** Valid cuts k: the device keeps at least one block and the server at least one. */
export function cutRange(sim: InferenceSim, layers: number): [number, number] {
  return [1, serverEnd(sim, layers) - 1];
}

/** Device memory for blocks [0, k) and [k2, L) with a KV cache of `tokens`. */
function deviceBytes(sim: InferenceSim, r: number, k: number, k2: number, tokens: number): number {
  const d = sim.deviceType(r);
  const arch = sim.models[sim.req.model[r]!]!.arch;
  let b = weightBytes(arch, d.precision, { from: 0, to: k }) + kvBytesPerToken(arch, d.precision.kv_bytes, { from: 0, to: k }) * tokens;
  if (k2 < arch.layers) b += weightBytes(arch, d.precision, { from: k2, to: arch.layers }) + kvBytesPerToken(arch, d.precision.kv_bytes, { from: k2, to: arch.layers }) * tokens;
  return b;
}

/** Do the phone's blocks and their KV cache at cut k (and tail from k2) fit the phone's memory for request r? */
function fitsDevice(sim: InferenceSim, r: number, k: number, k2: number): boolean {
  return deviceBytes(sim, r, k, k2, sim.req.prompt[r]! + sim.req.output[r]!) <= sim.deviceType(r).capacity_bytes;
}

/** Expected outcome of request r split at cut k, now (mean output length); false when infeasible (no engine, or the phone's part does not fit). */
export function splitEstimate(sim: InferenceSim, r: number, k: number, out: Estimate): boolean {
  const q = sim.req;
  const arch = sim.models[q.model[r]!]!.arch;
  const L = arch.layers;
  const k2 = serverEnd(sim, L);
  const e = sim.engineOf(r);
  if (e === null || !fitsDevice(sim, r, k, k2)) return false;
  const dc = sim.deviceCost(r, arch);
  const N = q.prompt[r]!;
  const o = Math.max(1, Math.round(sim.meanOutput));
  const up = sim.rateUp(r);
  const down = sim.rateDown(r);
  const mid = N + o / 2;
  let t = dc.prefill(N, 0, 0, k);
  let E = dc.energy_j;
  t += airTime(sim, actBytes(sim, arch, N), up);
  E += sim.upEnergy(r, actBytes(sim, arch, N), up);
  e.estimate(N, k, k2, srvEst);
  t += srvEst.ttft_s;
  // per output token after the first: device head step, uplink, server step, return
  let step = dc.time(0, k, 1, mid + 1, mid + 1, 0);
  E += dc.energy_j * (o - 1);
  step += airTime(sim, actBytes(sim, arch, 1), up) + srvEst.tpot_s + srvEst.wait_s;
  E += sim.upEnergy(r, actBytes(sim, arch, 1), up) * (o - 1);
  if (k2 < L) {
    t += airTime(sim, actBytes(sim, arch, N), down) + dc.prefill(N, 0, k2, L);
    E += dc.energy_j + sim.downEnergy(actBytes(sim, arch, N), down);
    step += airTime(sim, actBytes(sim, arch, 1), down) + dc.time(k2, L, 1, mid + 1, mid + 1, 1);
    E += (dc.energy_j + sim.downEnergy(actBytes(sim, arch, 1), down)) * (o - 1);
  } else {
    t += airTime(sim, textBytes(sim, 1), down);
    step += airTime(sim, textBytes(sim, 1), down);
    E += sim.downEnergy(textBytes(sim, 1), down) * o;
  }
  // the radio stays in its tail between round trips
  E += sim.radio.tail_power_w * (Math.min(step, sim.radio.tail_time_s) * (o - 1) + sim.radio.tail_time_s);
  return setEstimate(out, t, t + (o - 1) * step, E);
}

/** A token reached the phone (non-U: its id came down; U: the device tail produced it). */
function tokenProduced(sim: InferenceSim, r: number): void {
  const q = sim.req;
  q.generated[r] = q.generated[r]! + 1;
  if (q.generated[r] === 1) sim.firstToken(r);
  if (q.generated[r]! >= q.output[r]!) {
    sim.serverRelease(r);
    sim.finish(r);
    return;
  }
  const arch = sim.models[q.model[r]!]!.arch;
  const c = q.prompt[r]! + q.generated[r]! - 1; // cached tokens before the new one
  const dc = sim.deviceCost(r, arch);
  const t = dc.time(0, q.cut[r]!, 1, c + 1, c + 1, 0);
  sim.deviceRun(r, t, dc.energy_j, DEV_STEP);
}

export const split: InferenceMode<InferenceSim> = {
  check(sim, r) {
    const why = batteryReason(sim, r) ?? edgeReason(sim, r);
    if (why !== null) return why;
    // the shallowest cut holds the least on the phone: if it does not fit, no cut does
    const L = sim.models[sim.req.model[r]!]!.arch.layers;
    return fitsDevice(sim, r, cutRange(sim, L)[0], serverEnd(sim, L)) ? null : 'device-memory';
  },
  estimate(sim, r, out) {
    const k = sim.cutSelection.choose(sim, r);
    return splitEstimate(sim, r, k, out);
  },
  start(sim, r) {
    const q = sim.req;
    const arch = sim.models[q.model[r]!]!.arch;
    const k = sim.cutSelection.choose(sim, r);
    const k2 = serverEnd(sim, arch.layers);
    q.cut[r] = k;
    q.cut2[r] = k2;
    if (!fitsDevice(sim, r, k, k2)) {
      sim.reject(r, 'device-memory');
      return;
    }
    const dc = sim.deviceCost(r, arch);
    const t = dc.prefill(q.prompt[r]!, 0, 0, k);
    sim.deviceRun(r, t, dc.energy_j, DEV_PREFILL);
  },
  onStage(sim, r, stage) {
    const q = sim.req;
    const arch = sim.models[q.model[r]!]!.arch;
    switch (stage) {
      case DEV_PREFILL:
        sim.uplink(r, actBytes(sim, arch, q.prompt[r]!), UP_ACT);
        break;
      case UP_ACT: {
        const N = q.prompt[r]!;
        const why = sim.serverPrefill(r, N, q.cut[r]!, q.cut2[r]!, 0, N + q.output[r]!);
        if (why !== null) sim.reject(r, why);
        break;
      }
      case DOWN_TOKEN:
      case DEV_TAIL:
        tokenProduced(sim, r);
        break;
      case DEV_STEP:
        sim.uplink(r, actBytes(sim, arch, 1), UP_STEP);
        break;
      case UP_STEP:
        sim.serverStep(r);
        break;
      case DOWN_ACT: {
        const dc = sim.deviceCost(r, arch);
        const g = q.generated[r]!;
        const N = q.prompt[r]!;
        const L = arch.layers;
        const k2 = q.cut2[r]!;
        const c = N + g - 1;
        const t = g === 0 ? dc.prefill(N, 0, k2, L) : dc.time(k2, L, 1, c + 1, c + 1, 1);
        sim.deviceRun(r, t, dc.energy_j, DEV_TAIL);
        break;
      }
    }
  },
  onServer(sim, r, ev) {
    if (ev !== SRV_PREFILL_DONE && ev !== SRV_STEP_DONE) return;
    const q = sim.req;
    const arch = sim.models[q.model[r]!]!.arch;
    if (q.cut2[r]! < arch.layers) sim.downlink(r, actBytes(sim, arch, ev === SRV_PREFILL_DONE ? q.prompt[r]! : 1), DOWN_ACT);
    else sim.downlink(r, textBytes(sim, 1), DOWN_TOKEN);
  },
};

inferenceModes.register('split', 'device runs blocks [0, k), the edge the rest; one radio round trip per output token', split);

// ------------------------------------------------------------------ cut selection

cutSelections.register('fixed', 'split.cut (default: half the blocks), clamped to a valid cut', {
  choose(sim: InferenceSim, r) {
    const L = sim.models[sim.req.model[r]!]!.arch.layers;
    const [lo, hi] = cutRange(sim, L);
    const k = sim.spec.split.cut ?? Math.floor(L / 2);
    return Math.max(lo, Math.min(hi, k));
  },
});

const est: Estimate = { ttft_s: 0, e2e_s: 0, device_energy_j: 0 };

function bestCut(sim: InferenceSim, r: number, key: keyof Estimate): number {
  const L = sim.models[sim.req.model[r]!]!.arch.layers;
  const [lo, hi] = cutRange(sim, L);
  let best = lo;
  let bestV = Number.POSITIVE_INFINITY;
  for (let k = lo; k <= hi; k++) {
    if (!splitEstimate(sim, r, k, est)) continue;
    if (est[key] < bestV) {
      bestV = est[key];
      best = k;
    }
  }
  return best;
}

cutSelections.register('min-latency', 'per request, the cut with the lowest expected end-to-end latency (current channel and server load)', {
  choose: (sim: InferenceSim, r) => bestCut(sim, r, 'e2e_s'),
});
cutSelections.register('min-energy', 'per request, the cut with the lowest expected device energy (compute + radio)', {
  choose: (sim: InferenceSim, r) => bestCut(sim, r, 'device_energy_j'),
});
