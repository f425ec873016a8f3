/** Helpers shared by the execution modes. */
import type { ModelArch } from '../../workload/types.ts';
import type { Estimate } from '../registry.ts';
import type { InferenceSim } from '../sim.ts';

/** Bytes of text for `tokens` tokens on the air (prompt upload, streamed reply). */
export function textBytes(sim: InferenceSim, tokens: number): number {
  return tokens * sim.spec.requests.text_bytes_per_token;
}

/**
 * Bytes of the hidden states of `tokens` tokens crossing a cut, in the
 * configured activation format: fp16 2 B per element; int8 1 B and int4
 * 0.5 B per element plus one fp16 scale per token (per-token symmetric
 * quantization).
 */
export function actBytes(sim: InferenceSim, arch: ModelArch, tokens: number): number {
  switch (sim.spec.split.compression) {
    case 'fp16':
      return tokens * arch.hidden * 2;
    case 'int8':
      return tokens * (arch.hidden + 2);
    case 'int4':
      return tokens * (arch.hidden / 2 + 2);
  }
}

/** Seconds to move `bytes` at `rate_bps` after the one-way radio latency. */
export function airTime(sim: InferenceSim, bytes: number, rate_bps: number): number {
  return sim.radio.latency_s + (rate_bps > 0 ? (bytes * 8) / rate_bps : Number.POSITIVE_INFINITY);
}

/** Battery check shared by the modes that compute on the device. */
export function batteryReason(sim: InferenceSim, r: number): string | null {
  return sim.battery(sim.req.user[r]!) <= 0 ? 'battery-empty' : null;
}

/** The edge engine check shared by the modes that use the server. */
export function edgeReason(sim: InferenceSim, r: number): string | null {
  const server = sim.req.server[r]!;
  if (server < 0) return 'no-edge-server';
  if (!sim.net.inCoverage(sim.req.user[r]!, server)) return 'out-of-coverage';
  return sim.engineOf(r) === null ? 'model-not-resident' : null;
}

export function setEstimate(out: Estimate, ttft_s: number, e2e_s: number, energy_j: number): boolean {
  out.ttft_s = ttft_s;
  out.e2e_s = e2e_s;
  out.device_energy_j = energy_j;
  return Number.isFinite(e2e_s);
}

/** Scratch for engine estimates. */
export const srvEst = { ttft_s: 0, tpot_s: 0, wait_s: 0 };
