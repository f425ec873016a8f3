/**
 * The acceptance checks of the inference issue, on small scenarios (see
 * helpers.ts: one edge server, phones 20 m away, an ideal channel unless a
 * test says otherwise, closed-loop users with fixed prompt/output lengths).
 */
import { describe, expect, it } from 'vitest';
import { predict } from '../../sim/hardware/predict.ts';
import { expectedTokensPerRound } from '../../sim/inference/modes/speculative.ts';
import { simulate } from './helpers.ts';

const SEEDS = [1, 2, 3];
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('consistency with predict', () => {
  it('on-device TTFT and TPOT equal `predict` within 1% (one user, idle server, ideal channel)', () => {
    for (const [device, model, unit] of [
      ['snapdragon-8-gen-3', 'llama-2-7b', 'gpu'],
      ['snapdragon-8-gen-2', 'qwen2.5-1.5b', 'cpu'],
    ] as const) {
      const { sim, metrics } = simulate({ duration: '5 min', topology: { users: { device } }, inference: { mode: 'on-device', model, device: { unit } } });
      expect(metrics.requests_completed).toBeGreaterThan(5);
      const p = predict({ device, unit, model, weight_bits: 4, prompt: 128, gen: 63 });
      expect(rel(sim.ttft.mean, p.ttft_s)).toBeLessThan(0.01);
      expect(rel(sim.tpot.mean, p.tpot_s)).toBeLessThan(0.01);
    }
  });

  it('continuous batching at batch 1 matches the single-request roofline of the server', () => {
    const { sim } = simulate({ duration: '2 min', inference: { mode: 'edge' } });
    const p = predict({ device: 'a100-80gb', unit: 'gpu', model: 'llama-2-7b', weight_bits: 16, prompt: 128, gen: 63 });
    expect(rel(sim.tpot.mean, p.tpot_s)).toBeLessThan(0.01);
    expect(rel(sim.ttft.mean, p.ttft_s)).toBeLessThan(0.01);
  });

  it('at batch 32 a 7B model on an A100 decodes 10-30x the tokens/s of batch 1', () => {
    const closed = { duration: '1 min', inference: { mode: 'edge', requests: { think_time: '0 s' } } };
    const one = simulate(closed, 1);
    const many = simulate(closed, 32);
    expect(many.metrics.edge_batch_mean).toBeGreaterThan(31);
    const ratio = (32 * one.sim.tpot.mean) / many.sim.tpot.mean;
    expect(ratio).toBeGreaterThan(10);
    expect(ratio).toBeLessThan(30);
  });
});

describe('sanity orderings, every seed', () => {
  it('7B on a mid-range phone with a good channel: edge beats on-device on TTFT', () => {
    for (const seed of SEEDS) {
      const good = { seed, duration: '3 min', topology: { servers: { bandwidth: '20 MHz' }, users: { device: 'snapdragon-865' }, radio: { latency: '5 ms' } } };
      const dev = simulate({ ...good, inference: { mode: 'on-device' } });
      const edge = simulate({ ...good, inference: { mode: 'edge' } });
      expect(dev.metrics.requests_completed).toBeGreaterThan(0);
      expect(edge.metrics.ttft_p50_s).toBeLessThan(dev.metrics.ttft_p50_s);
      expect(edge.metrics.ttft_p95_s).toBeLessThan(dev.metrics.ttft_p95_s);
    }
  });

  it('poor channel (cell edge, ~1 Mbit/s uplink) and a small model: on-device beats edge on TTFT and device energy', () => {
    for (const seed of SEEDS) {
      // 20 MHz cell; the phone ~1.4 km out gets about 1 Mbit/s up (base station noise figure 5 dB); cell-edge HARQ retransmissions: 30 ms one way.
      const poor = {
        seed,
        duration: '3 min',
        topology: { area: '3 km', servers: { bandwidth: '20 MHz', device: 'l4' }, users: { positions: [[1400, 0]] }, radio: { latency: '30 ms' } },
      };
      const small = { model: 'qwen2.5-0.5b', requests: { prompt_tokens: { dist: 'fixed', value: 64 }, output_tokens: { dist: 'fixed', value: 128 }, think_time: '5 s' } };
      const dev = simulate({ ...poor, inference: { mode: 'on-device', ...small } });
      const edge = simulate({ ...poor, inference: { mode: 'edge', ...small } });
      const up = edge.sim.net.peakRateUp(0, 0);
      expect(up).toBeGreaterThan(0.5e6);
      expect(up).toBeLessThan(2e6);
      expect(dev.metrics.ttft_p50_s).toBeLessThan(edge.metrics.ttft_p50_s);
      expect(dev.metrics.device_energy_j_per_request).toBeLessThan(edge.metrics.device_energy_j_per_request);
    }
  });

  it('split decode is bounded below by the per-token radio round trip', () => {
    for (const seed of SEEDS) {
      for (const u_shaped of [false, true]) {
        const { metrics, sim } = simulate({ seed, duration: '2 min', topology: { radio: { latency: '10 ms' } }, inference: { mode: 'split', split: { u_shaped } } });
        expect(metrics.requests_completed).toBeGreaterThan(0);
        const rtt = 2 * sim.radio.latency_s;
        expect(sim.tpot.quantile(0)).toBeGreaterThanOrEqual(rtt);
        // and the round trip is most of it on an idle A100 with a flagship phone
        expect(metrics.tpot_p50_s).toBeLessThan(rtt + 0.2);
      }
    }
  });

  it('edge p95 TTFT rises with load and the throughput saturates', () => {
    for (const seed of SEEDS) {
      const at = (users: number) =>
        simulate(
          { seed, duration: '150 s', warmup: '30 s', topology: { servers: { device: 'l4' } }, inference: { model: 'llama-3.2-3b', server: { slots: 16 }, requests: { arrivals: 'poisson', rate_per_user: '12 /min' } } },
          users,
        ).metrics;
      const offered = (users: number) => users * 0.2 * 64; // tokens/s
      const [a, b, c] = [at(4), at(64), at(128)];
      expect(b.ttft_p95_s).toBeGreaterThan(a.ttft_p95_s);
      expect(c.ttft_p95_s).toBeGreaterThan(b.ttft_p95_s);
      expect(a.throughput_tok_s).toBeGreaterThan(0.5 * offered(4)); // light load: served as offered (Poisson noise)
      // beyond saturation: twice the offered load adds almost no throughput
      expect(b.throughput_tok_s).toBeLessThan(0.6 * offered(64));
      expect(c.throughput_tok_s).toBeLessThan(1.1 * b.throughput_tok_s);
      expect(c.edge_utilization).toBeGreaterThan(0.99);
    }
  });

  it('speculative beats edge TPOT when alpha is high and loses when alpha is low', () => {
    for (const seed of SEEDS) {
      const at = (mode: string, alpha: number) =>
        simulate({
          seed,
          duration: '2 min',
          topology: { servers: { device: 'l4' }, radio: { latency: '5 ms' } },
          inference: { mode, model: 'llama-2-13b', weight_bits: 8, speculative: { draft_model: 'tinyllama-1.1b', gamma: 4, alpha } },
        }).metrics.tpot_p50_s;
      const edge = at('edge', 0.9);
      expect(at('speculative', 0.9)).toBeLessThan(edge);
      expect(at('speculative', 0.3)).toBeGreaterThan(edge);
    }
  });
});

describe('speculative decoding', () => {
  it('tokens per round are unbiased on short replies (a round counts as full before its draw)', () => {
    // 10-token replies, gamma 4, alpha 0.9: judging a round full by its outcome gave 3.87 against 4.10
    const alpha = 0.9;
    const gamma = 4;
    const { sim, metrics } = simulate({
      duration: '10 min',
      inference: { mode: 'speculative', model: 'llama-2-7b', requests: { output_tokens: { dist: 'fixed', value: 10 }, prompt_tokens: { dist: 'fixed', value: 32 } }, speculative: { draft_model: 'tinyllama-1.1b', alpha, gamma } },
    });
    expect(sim.specRounds).toBeGreaterThan(500);
    expect(rel(metrics.spec_tokens_per_round, expectedTokensPerRound(alpha, gamma))).toBeLessThan(0.025);
  });

  it('tokens per round and TPOT follow (1 - alpha^(gamma+1)) / (1 - alpha)', () => {
    for (const [alpha, gamma] of [[0.8, 4], [0.5, 3]] as const) {
      const { sim, metrics } = simulate({
        duration: '10 min',
        inference: { mode: 'speculative', model: 'llama-2-7b', requests: { output_tokens: { dist: 'fixed', value: 400 }, prompt_tokens: { dist: 'fixed', value: 32 } }, speculative: { draft_model: 'tinyllama-1.1b', alpha, gamma } },
      });
      const E = expectedTokensPerRound(alpha, gamma);
      expect(sim.specRounds).toBeGreaterThan(1000);
      expect(rel(metrics.spec_tokens_per_round, E)).toBeLessThan(0.03);
      // round time at the mean context: gamma draft steps + verify pass (ideal channel: no radio time)
      const d = sim.deviceTypes[0]!.costs.get('tinyllama-1.1b')!;
      const v = sim.engines[0]!.cost;
      const ctx = 32 + 200;
      const round = d.decodeRun(1, ctx, gamma) + v.time(0, v.layers, gamma + 1, (gamma + 1) * ctx + ((gamma + 1) * (gamma + 2)) / 2, ctx + gamma + 1, gamma + 1);
      expect(rel(sim.tpot.mean, round / E)).toBeLessThan(0.05);
    }
  });
});
