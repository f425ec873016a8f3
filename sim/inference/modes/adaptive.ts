/**
 * adaptive: per request, choose among `adaptive.modes` using the current
 * channel, server queue and battery. Every candidate that passes its own
 * check is estimated (Estimate: TTFT, end-to-end latency, device energy) and
 * the adaptiveRule policy picks one; the request then runs in that mode.
 * A new rule is one `adaptiveRules.register(...)` line.
 */
import { adaptiveRules, inferenceModes, type AdaptiveChoice, type Estimate, type InferenceMode } from '../registry.ts';
import type { InferenceSim } from '../sim.ts';

const scratch: Estimate[] = [];
const names: string[] = [];
const idx: number[] = [];
const choice: AdaptiveChoice = { modes: names, estimates: scratch, battery: 1, uplink_bps: 0, server_queue: 0 };

export const adaptive: InferenceMode<InferenceSim> = {
  check() {
    return null;
  },
  estimate() {
    return false;
  },
  start(sim, r) {
    const q = sim.req;
    names.length = 0;
    idx.length = 0;
    let firstWhy: string | null = null;
    let n = 0;
    for (const name of sim.spec.adaptive.modes) {
      const i = sim.modeIndex(name);
      const m = sim.modes[i]!;
      const why = m.check(sim, r);
      if (why !== null) {
        firstWhy ??= why;
        continue;
      }
      if (scratch.length <= n) scratch.push({ ttft_s: 0, e2e_s: 0, device_energy_j: 0 });
      if (!m.estimate(sim, r, scratch[n]!)) continue;
      names.push(name);
      idx.push(i);
      n++;
    }
    if (n === 0) {
      sim.reject(r, firstWhy ?? 'no-mode');
      return;
    }
    choice.battery = sim.battery(q.user[r]!);
    choice.uplink_bps = q.server[r]! >= 0 ? sim.rateUp(r) : 0;
    choice.server_queue = sim.engineOf(r)?.queueLength ?? 0;
    const k = sim.adaptiveRule.choose(sim, r, choice);
    q.mode[r] = idx[Math.max(0, Math.min(n - 1, k))]!;
    sim.modes[q.mode[r]!]!.start(sim, r);
  },
  onStage() {},
  onServer() {},
};

inferenceModes.register('adaptive', 'per request, the adaptiveRule picks among adaptive.modes from estimates (channel, queue, battery)', adaptive);

function argmin(c: AdaptiveChoice, key: keyof Estimate): number {
  let best = 0;
  for (let i = 1; i < c.modes.length; i++) if (c.estimates[i]![key] < c.estimates[best]![key]) best = i;
  return best;
}

adaptiveRules.register('min-latency', 'lowest expected end-to-end latency', { choose: (_s, _r, c) => argmin(c, 'e2e_s') });
adaptiveRules.register('min-ttft', 'lowest expected time to first token', { choose: (_s, _r, c) => argmin(c, 'ttft_s') });
adaptiveRules.register('min-energy', 'lowest expected device energy', { choose: (_s, _r, c) => argmin(c, 'device_energy_j') });
adaptiveRules.register('battery-aware', 'lowest latency, or lowest device energy once the battery is below adaptive.battery_reserve', {
  choose: (sim: InferenceSim, _r, c) => argmin(c, c.battery < sim.spec.adaptive.battery_reserve ? 'device_energy_j' : 'e2e_s'),
});
