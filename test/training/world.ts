/**
 * Builds and runs a small training world by hand (topology + training
 * domains), so tests do not depend on the root scenario schema.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Engine } from '../../sim/engine/engine.ts';
import { Recorder } from '../../sim/metrics/recorder.ts';
import { topologySchema } from '../../sim/network/schema.ts';
import { topologyDomain } from '../../sim/network/network.ts';
import { buildTraining } from '../../sim/training/domain.ts';
import type { TrainingJob } from '../../sim/training/job.ts';
import { trainingSchema } from '../../sim/training/schema.ts';
import { World } from '../../sim/world/world.ts';

export interface TrainingRun {
  metrics: Record<string, number>;
  job: TrainingJob;
  world: World;
}

export function runTraining(topology: unknown, training: unknown, opts: { seed?: number; horizon_s?: number; outDir?: string | null; before?: (world: World) => void } = {}): TrainingRun {
  const engine = new Engine(opts.seed ?? 1);
  const recorder = new Recorder(opts.outDir ?? null);
  const topo = topologySchema.parse(topology);
  const spec = trainingSchema.parse(training);
  const horizon = opts.horizon_s ?? 1e9;
  const world = new World(engine, recorder, { topology: topo, training: spec }, horizon, 0);
  topologyDomain.build(world, topo);
  const job = buildTraining(world, spec);
  opts.before?.(world);
  engine.run(horizon);
  world.finish();
  return { metrics: recorder.finish(), job, world };
}

/** n cells on a line, one user 100 m from each base station (so clients do not share a cell). */
export function cellsWithOneUser(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const servers = Array.from({ length: n }, (_, i) => [i * 2000, 0]);
  const users = Array.from({ length: n }, (_, i) => [i * 2000 + 100, 0]);
  return {
    area: `${n * 2} km`,
    servers: { layout: 'list', positions: servers, device: 'l4' },
    users: { count: n, placement: 'list', positions: users, device: 'snapdragon-8-gen-3' },
    channel: { shadowing_sigma: 0 },
    ...extra,
  };
}

/** The topology and training sections of a scenario file, with `--set`-style overrides (dotted path = value). */
export function scenarioSections(file: string, sets: Record<string, unknown> = {}): { topology: unknown; training: unknown; duration: unknown } {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(sets)) {
    const path = k.split('.');
    let o = doc as Record<string, unknown>;
    for (const p of path.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
    o[path[path.length - 1]!] = v;
  }
  return { topology: doc.topology, training: doc.training, duration: doc.duration };
}
