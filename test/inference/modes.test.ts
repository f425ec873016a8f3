/** Behaviour of the modes, the serving engine and the device model beyond the acceptance checks. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutSelections } from '../../sim/inference/registry.ts';
import { splitEstimate } from '../../sim/inference/modes/split.ts';
import { loadScenario } from '../../sim/scenario/load.ts';
import { runScenario } from '../../sim/run/run.ts';
import { tempDir } from '../helpers.ts';
import { simulate } from './helpers.ts';
import type { InferenceSim } from '../../sim/inference/sim.ts';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const poisson = { arrivals: 'poisson', rate_per_user: '6 /min', prompt_tokens: { dist: 'uniform', min: 16, max: 600 }, output_tokens: { dist: 'uniform', min: 4, max: 200 } };

/** A request of user 0 at server 0 (model 0, 300 prompt + 64 output tokens) held in the store, for estimates. */
function probeRequest(sim: InferenceSim): number {
  const q = sim.req;
  const r = q.alloc();
  q.user[r] = 0;
  q.server[r] = 0;
  q.model[r] = 0;
  q.group[r] = 0;
  q.prompt[r] = 300;
  q.output[r] = 64;
  return r;
}

describe('continuous batching engine', () => {
  it('aggregated decode runs give the same results as one event per iteration, with far fewer events', () => {
    for (const chunked_prefill of [false, true]) {
      const at = (aggregate_decode: boolean) =>
        simulate({ duration: '3 min', topology: { servers: { device: 'l4' } }, inference: { model: 'llama-3.2-3b', requests: poisson, server: { aggregate_decode, chunked_prefill, prefill_chunk: 256 } } }, 24);
      const a = at(true);
      const b = at(false);
      expect(a.metrics.requests_completed).toBe(b.metrics.requests_completed);
      expect(a.metrics.requests_completed).toBeGreaterThan(200);
      for (const k of ['ttft_p50_s', 'ttft_p95_s', 'tpot_p50_s', 'tpot_p95_s', 'e2e_p95_s', 'edge_queue_wait_mean_s']) {
        expect(rel(a.metrics[k]!, b.metrics[k]!)).toBeLessThan(1e-9);
      }
      // a merged run still in progress at the horizon is not counted
      expect(rel(a.metrics.edge_batch_mean!, b.metrics.edge_batch_mean!)).toBeLessThan(1e-2);
      expect(rel(a.sim.e2e.sum, b.sim.e2e.sum)).toBeLessThan(1e-9);
      expect(a.engine.eventsProcessed).toBeLessThan(0.7 * b.engine.eventsProcessed);
    }
  });

  it('queues admissions when the KV pages are full, and never admits more than fit', () => {
    // L4 with 60% of 24 GB: 14.4 GB - 6.4 GB weights - activations: room for a few dozen 2k-token sequences
    const long = { arrivals: 'poisson', rate_per_user: '20 /min', prompt_tokens: { dist: 'fixed', value: 1500 }, output_tokens: { dist: 'fixed', value: 500 } };
    const tight = simulate({ duration: '2 min', topology: { servers: { device: 'l4' } }, inference: { model: 'llama-3.2-3b', requests: long, server: { memory_fraction: 0.6 } } }, 64);
    const roomy = simulate({ duration: '2 min', topology: { servers: { device: 'l4' } }, inference: { model: 'llama-3.2-3b', requests: long, server: { memory_fraction: 0.95 } } }, 64);
    expect(tight.metrics.edge_queue_wait_mean_s).toBeGreaterThan(roomy.metrics.edge_queue_wait_mean_s);
    expect(tight.metrics.edge_queue_wait_mean_s).toBeGreaterThan(0.1);
    expect(tight.metrics.edge_batch_mean).toBeLessThan(roomy.metrics.edge_batch_mean);
  });

  it('chunked prefill keeps decodes flowing while long prompts arrive (lower TPOT tail)', () => {
    const mix = { arrivals: 'poisson', rate_per_user: '6 /min', prompt_tokens: { dist: 'uniform', min: 16, max: 4000 }, output_tokens: { dist: 'fixed', value: 128 } };
    const at = (chunked_prefill: boolean) =>
      simulate({ duration: '4 min', topology: { servers: { device: 'l4' } }, inference: { model: 'llama-3.2-3b', requests: mix, server: { chunked_prefill, prefill_chunk: 256 } } }, 32).metrics;
    expect(at(true).tpot_p95_s).toBeLessThan(at(false).tpot_p95_s);
  });

  it('rejects prompts longer than max_batch_tokens unless prefill is chunked', () => {
    const req = { prompt_tokens: { dist: 'fixed', value: 3000 } };
    expect(simulate({ duration: '30 s', inference: { requests: req, server: { max_batch_tokens: 2048 } } }).sim.rejectedBy.get('prompt-too-long')).toBeGreaterThan(0);
    const ok = simulate({ duration: '30 s', inference: { requests: req, server: { max_batch_tokens: 2048, chunked_prefill: true } } });
    expect(ok.metrics.requests_rejected).toBe(0);
    expect(ok.metrics.requests_completed).toBeGreaterThan(0);
  });

  it('co-resident models: LoRA variants share the base weights and batches; a model that does not fit is rejected', () => {
    const { sim, metrics } = simulate(
      {
        duration: '2 min',
        topology: { servers: { device: 'l4' } },
        inference: {
          models: [
            { model: 'llama-2-7b', share: 1 },
            { model: 'llama-2-7b', lora_rank: 8, share: 1 },
            { model: 'llama-3.2-1b', share: 1 },
            { model: 'llama-2-13b', share: 1 },
          ],
          requests: poisson,
        },
      },
      8,
    );
    expect(sim.groups.map((g) => g.arch.id)).toEqual(['llama-2-7b', 'llama-3.2-1b', 'llama-2-13b']);
    expect(sim.engines.map((e) => e !== null)).toEqual([true, true, false]); // 13.5 + 2.5 GB fit 0.9 x 24 GB; 26 GB more does not
    expect(sim.rejectedBy.get('model-not-resident')).toBeGreaterThan(0);
    expect(metrics.requests_completed).toBeGreaterThan(0);
    expect(metrics.rejected_ratio).toBeGreaterThan(0.1);
    expect(metrics.rejected_ratio).toBeLessThan(0.45);
  });
});

describe('modes', () => {
  it('privacy: raw prompts of private requests never leave the phone', () => {
    const priv = { requests: { private_share: 1 } };
    expect(simulate({ duration: '1 min', inference: { mode: 'edge', ...priv } }).sim.rejectedBy.get('privacy')).toBeGreaterThan(0);
    expect(simulate({ duration: '1 min', inference: { mode: 'speculative', ...priv } }).metrics.requests_completed).toBe(0);
    expect(simulate({ duration: '1 min', inference: { mode: 'split', ...priv } }).metrics.rejected_ratio).toBe(0);
    const ad = simulate({ duration: '2 min', inference: { mode: 'adaptive', ...priv } }, 4);
    expect(ad.metrics.requests_completed).toBeGreaterThan(0);
    expect(ad.metrics.mode_share_edge + ad.metrics.mode_share_speculative).toBe(0);
    expect(ad.metrics.mode_share_on_device + ad.metrics.mode_share_split).toBeCloseTo(1, 12);
  });

  it('a user outside the coverage range, or below the lowest MCS, is rejected as out-of-coverage, never left hanging', () => {
    const far = { users: { positions: [[1000, 0]] } };
    const ranged = simulate({ duration: '1 min', topology: { ...far, servers: { range: '100 m' } }, inference: { mode: 'edge' } });
    expect(ranged.metrics.requests_completed).toBe(0);
    expect(ranged.sim.rejectedBy.get('out-of-coverage')).toBeGreaterThan(0);
    expect(simulate({ duration: '1 min', topology: { ...far, servers: { range: '2 km' } }, inference: { mode: 'edge' } }).metrics.requests_completed).toBeGreaterThan(0);
    // CQI table, 20 MHz, 8 km out: downlink SNR below CQI 1 (-6.7 dB); every arrival is accounted for
    const cqi = simulate({ duration: '1 min', topology: { area: '10 km', users: { positions: [[8000, 0]] }, servers: { bandwidth: '20 MHz' }, channel: { mcs: 'cqi-table-1' } }, inference: { mode: 'split' } });
    expect(cqi.sim.net.inCoverage(0, 0)).toBe(false);
    expect(cqi.metrics.requests_completed).toBe(0);
    expect(cqi.sim.rejectedBy.get('out-of-coverage')).toBe(cqi.metrics.requests_rejected);
    expect(cqi.metrics.requests_rejected).toBeGreaterThan(0);
    // on-device with weights still to download: the download cannot reach the phone either
    const dl = simulate({ duration: '1 min', topology: { area: '10 km', users: { positions: [[8000, 0]] }, servers: { bandwidth: '20 MHz' }, channel: { mcs: 'cqi-table-1' } }, inference: { mode: 'on-device', model: 'llama-3.2-1b', device: { weights: 'download' } } });
    expect(dl.metrics.requests_rejected).toBeGreaterThan(0);
    expect(dl.sim.rejectedBy.get('out-of-coverage')).toBe(dl.metrics.requests_rejected);
  });

  it('a request is sent to the cell serving its user now, not at its last periodic position update', () => {
    // two cells 1 km apart; a fast walker whose periodic updates come only every hour
    const seen = new Set<number>();
    simulate(
      {
        duration: '10 min',
        topology: {
          area: '1 km',
          servers: { layout: 'list', positions: [[0, 0], [1000, 0]], device: 'a100-80gb', bandwidth: '1 GHz' },
          users: { positions: [[10, 0]], mobility: { model: 'random-waypoint', speed: [50, 60], update_interval: '1 h' } },
        },
        inference: { mode: 'edge', requests: { think_time: '5 s' } },
      },
      1,
      (sim) => {
        const orig = sim.net.servingCell.bind(sim.net);
        (sim.net as { servingCell: (u: number) => number }).servingCell = (u: number) => {
          const c = orig(u);
          seen.add(c);
          return c;
        };
      },
    );
    expect(seen.size).toBe(2);
  });

  it('after a handover a request keeps its edge server, and its transfers go over the air to the new cell and over the backhaul', () => {
    const run = (speed: [number, number]) => {
      const calls: { up: boolean; cell: number; serving: number }[] = [];
      const out = simulate(
        {
          duration: '10 min',
          topology: {
            area: '1 km',
            servers: { layout: 'list', positions: [[0, 0], [1000, 0]], device: 'l4' },
            users: { positions: [[10, 0]], mobility: { model: 'random-waypoint', speed, update_interval: '1 s' } },
          },
          inference: { mode: 'split', requests: { think_time: '1 s', output_tokens: { dist: 'uniform', min: 300, max: 400 } } },
        },
        1,
        (sim) => {
          const net = sim.net as unknown as Record<'uplink' | 'downlink', (s: number, u: number, ...rest: unknown[]) => number>;
          for (const dir of ['uplink', 'downlink'] as const) {
            const orig = net[dir].bind(sim.net);
            net[dir] = (s: number, u: number, ...rest: unknown[]) => {
              calls.push({ up: dir === 'uplink', cell: s, serving: sim.net.servingCell(u) });
              return orig(s, u, ...rest);
            };
          }
        },
      );
      return { ...out, calls };
    };
    const moving = run([30, 40]);
    expect(moving.metrics.requests_completed).toBeGreaterThan(5);
    // every radio leg starts on the user's cell at that moment, never on a cell it has left
    expect(moving.calls.filter((c) => c.up).every((c) => c.cell === c.serving)).toBe(true);
    expect(moving.calls.length).toBeGreaterThan(100);
    expect(moving.metrics.relayed_transfers).toBeGreaterThan(0);
    expect((moving.sim.net as unknown as { bitsBackhaul: number }).bitsBackhaul).toBeGreaterThan(0);
    const still = run([1e-3, 2e-3]);
    expect(still.metrics.relayed_transfers).toBe(0);
  });

  it('on-device rejects a model that does not fit the phone, with the reason', () => {
    const big = simulate({ duration: '1 min', topology: { users: { device: 'snapdragon-865' } }, inference: { mode: 'on-device', device: { weight_bits: 16 } } });
    expect(big.metrics.requests_completed).toBe(0);
    expect(big.metrics.rejected_device_memory).toBeGreaterThan(0);
    const q4 = simulate({ duration: '1 min', topology: { users: { device: 'snapdragon-865' } }, inference: { mode: 'on-device', device: { weight_bits: 4 } } });
    expect(q4.metrics.rejected_ratio).toBe(0);
  });

  it('device.weights=download: the first on-device request waits for the weights, later ones do not', () => {
    const { sim } = simulate({ duration: '3 min', topology: { servers: { bandwidth: '20 MHz' } }, inference: { mode: 'on-device', model: 'llama-3.2-1b', device: { weights: 'download' } } });
    expect(sim.completed).toBeGreaterThan(3);
    expect(sim.ttft.max).toBeGreaterThan(5 * sim.ttft.quantile(0.5));
    // with a caching domain whose edge store lacks the model, it first crosses the backhaul from the cloud
    const dl = { duration: '3 min', topology: { servers: { bandwidth: '20 MHz' } }, inference: { mode: 'on-device', model: 'llama-3.2-1b', device: { weights: 'download' } } };
    const held = simulate(dl, 1, (s) => (s.storage = { hasModelId: () => true }));
    const cloud = simulate(dl, 1, (s) => (s.storage = { hasModelId: () => false }));
    expect(held.sim.ttft.max).toBeCloseTo(sim.ttft.max, 9);
    expect(cloud.sim.ttft.max).toBeGreaterThan(held.sim.ttft.max + 0.02); // + cloud latency and backhaul time
  });

  it('adaptive: a good channel sends requests to the edge; a 1 kbit/s uplink keeps them on the phone', () => {
    const good = simulate({ duration: '2 min', inference: { mode: 'adaptive', model: 'llama-3.2-1b', speculative: { draft_model: 'llama-3.2-1b' } } }, 4).metrics;
    expect(good.mode_share_edge).toBeGreaterThan(0.9);
    const bad = simulate(
      { duration: '2 min', topology: { radio: { uplink_bandwidth: '1 kHz', latency: '50 ms' }, channel: { max_spectral_efficiency: 1 } }, inference: { mode: 'adaptive', model: 'llama-3.2-1b', speculative: { draft_model: 'llama-3.2-1b' } } },
      4,
    ).metrics;
    expect(bad.mode_share_on_device).toBeGreaterThan(0.9);
  });

  it('cut selection: min-energy and min-latency pick the best cut of the estimate', () => {
    const { sim } = simulate({ duration: '1 s', topology: { servers: { device: 'l4' }, radio: { latency: '5 ms' } }, inference: { mode: 'split' } });
    const r = probeRequest(sim);
    const est = { ttft_s: 0, e2e_s: 0, device_energy_j: 0 };
    for (const [policy, key] of [['min-energy', 'device_energy_j'], ['min-latency', 'e2e_s']] as const) {
      const k = cutSelections.get(policy).choose(sim, r);
      splitEstimate(sim, r, k, est);
      const best = est[key];
      for (let j = 1; j < 32; j++) {
        splitEstimate(sim, r, j, est);
        expect(est[key]).toBeGreaterThanOrEqual(best);
      }
    }
    expect(cutSelections.get('fixed').choose(sim, r)).toBe(16);
  });

  it('split: a cut whose phone part does not fit the phone is infeasible for the estimate and the cut policies', () => {
    // Llama-2-7B at 16 bit (13.5 GB) on a 12 GB Snapdragon 865 phone: shallow cuts fit, deep ones do not
    const { sim } = simulate({ duration: '1 s', topology: { users: { device: 'snapdragon-865' } }, inference: { mode: 'split', device: { weight_bits: 16 } } });
    const r = probeRequest(sim);
    const est = { ttft_s: 0, e2e_s: 0, device_energy_j: 0 };
    expect(splitEstimate(sim, r, 1, est)).toBe(true);
    expect(splitEstimate(sim, r, 31, est)).toBe(false);
    for (const policy of ['min-energy', 'min-latency']) expect(splitEstimate(sim, r, cutSelections.get(policy).choose(sim, r), est)).toBe(true);
  });

  it('split: int4 activations put fewer bytes on the uplink than fp16', () => {
    const up = (compression: string) => simulate({ duration: '1 min', inference: { mode: 'split', split: { compression } } }).metrics;
    const a = up('fp16');
    const b = up('int4');
    expect(b.radio_uplink_bytes / b.requests_completed).toBeLessThan(0.3 * (a.radio_uplink_bytes / a.requests_completed));
  });

  it('battery drain follows device energy; thermal throttling slows sustained on-device work', () => {
    const base = { duration: '10 min', inference: { mode: 'on-device', model: 'llama-3.2-1b', requests: { think_time: '0 s', output_tokens: { dist: 'fixed', value: 256 } } } };
    const cool = simulate(base);
    const sum = cool.sim.userEnergy[0]!;
    expect(cool.metrics.battery_used_max_pct).toBeCloseTo((100 * sum) / cool.sim.battery_j, 9);
    expect(cool.metrics.battery_used_max_pct).toBeGreaterThan(0);
    const hot = simulate({ ...base, inference: { ...base.inference, device: { thermal: { budget: '200 J', throttle: 0.5 } } } });
    expect(hot.sim.tpot.quantile(0.95)).toBeGreaterThan(1.5 * cool.sim.tpot.quantile(0.95));
    expect(hot.metrics.requests_completed).toBeLessThan(cool.metrics.requests_completed);
  });

  it('writes requests.csv (one row per finished or rejected request, e2e_s column) and users.csv', () => {
    const d = tempDir();
    const { scenario } = loadScenario('scenarios/inference-modes.yaml', { set: ['duration=2 min', 'warmup=0 s', 'topology.users.count=8'] });
    const r = runScenario(scenario, { outDir: d });
    const rows = readFileSync(join(d, 'requests.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toContain('e2e_s');
    expect(rows[0]).toContain('ttft_s');
    expect(rows.length - 1).toBe(r.metrics.requests_completed! + r.metrics.requests_rejected!);
    // device_energy_j is the phone's whole energy (compute + radio), as in device_energy_j_per_request
    const head = rows[0]!.split(',');
    const col = (name: string) => head.indexOf(name);
    let radio = 0;
    for (const line of rows.slice(1)) {
      const c = line.split(',').map(Number);
      expect(c[col('device_energy_j')]).toBeCloseTo(c[col('compute_energy_j')]! + c[col('radio_energy_j')]!, 9);
      radio += c[col('radio_energy_j')]!;
    }
    expect(radio).toBeGreaterThan(0);
    const users = readFileSync(join(d, 'users.csv'), 'utf8').trim().split('\n');
    expect(users.length).toBe(9);
  });
});
