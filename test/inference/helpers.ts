/** Small inference scenarios built in-process, with access to the running model. */
import { Engine } from '../../sim/engine/engine.ts';
import { buildInference } from '../../sim/inference/domain.ts';
import type { InferenceSim } from '../../sim/inference/sim.ts';
import { Recorder } from '../../sim/metrics/recorder.ts';
import { topologyDomain } from '../../sim/network/network.ts';
import { scenarioSchema } from '../../sim/scenario/schema.ts';
import { World } from '../../sim/world/world.ts';

/**
 * One edge server at the origin and `users` phones 20 m away; no shadowing,
 * no fading, zero radio latency and a 1 GHz-wide cell (an ideal channel)
 * unless overridden; fixed prompt and output lengths.
 */
export function base(users = 1): Record<string, unknown> {
  return {
    name: 'inference-test',
    seed: 1,
    duration: '10 min',
    topology: {
      area: '1 km',
      servers: { layout: 'list', positions: [[0, 0]], device: 'a100-80gb', bandwidth: '1 GHz' },
      users: { count: users, placement: 'list', positions: Array.from({ length: users }, () => [20, 0]), device: 'snapdragon-8-gen-3' },
      channel: { shadowing_sigma: '0 dB', fading: 'none' },
      radio: { latency: '0 s' },
    },
    inference: {
      mode: 'edge',
      model: 'llama-2-7b',
      // a draft with the target's tokenizer (Llama-2's 32,000 tokens), as speculative decoding needs
      speculative: { draft_model: 'tinyllama-1.1b' },
      requests: {
        arrivals: 'closed',
        think_time: '1 s',
        prompt_tokens: { dist: 'fixed', value: 128 },
        output_tokens: { dist: 'fixed', value: 64 },
      },
    },
  };
}

/** Deep merge where a distribution (an object with `dist`) or a list replaces the base value whole. */
function merge(base: unknown, over: unknown): unknown {
  const plain = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!plain(base) || !plain(over) || 'dist' in over) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}

export interface SimRun {
  metrics: Record<string, number>;
  sim: InferenceSim;
  engine: Engine;
}

export function simulate(over: Record<string, unknown>, users = 1, prepare?: (sim: InferenceSim) => void): SimRun {
  const scenario = scenarioSchema.parse(merge(base(users), over));
  const engine = new Engine(scenario.seed);
  const recorder = new Recorder(null);
  const world = new World(engine, recorder, scenario as unknown as Record<string, unknown>, scenario.duration, scenario.warmup);
  topologyDomain.build(world, scenario.topology!);
  const sim = buildInference(world, scenario.inference!);
  prepare?.(sim);
  engine.run(scenario.duration);
  world.finish();
  return { metrics: recorder.finish(), sim, engine };
}
