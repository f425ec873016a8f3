import { Engine } from '../engine/engine.ts';
import { Recorder } from '../metrics/recorder.ts';
import type { Scenario } from '../scenario/schema.ts';
import { DOMAINS } from './domains.ts';
import { World } from './world.ts';

export interface RunOptions {
  /** Folder for CSVs and the trace (must exist); null writes no files. */
  outDir: string | null;
  trace?: boolean;
}

export interface RunResult {
  metrics: Record<string, number>;
  events: number;
  simulated_s: number;
  wall_s: number;
  tables: string[];
}

/** Await every domain's asynchronous preparation (e.g. loading the HiGHS solver) before `runScenario`. */
export async function prepareScenario(scenario: Scenario): Promise<void> {
  const sections = scenario as unknown as Record<string, unknown>;
  for (const d of DOMAINS) {
    const spec = sections[d.key];
    if (spec !== undefined && d.prepare) await d.prepare(spec as never);
  }
}

/** Build the world for a validated scenario, run it to its horizon and collect the metrics. */
export function runScenario(scenario: Scenario, opts: RunOptions): RunResult {
  const t0 = performance.now();
  const engine = new Engine(scenario.seed);
  const recorder = new Recorder(opts.outDir, opts.trace ?? false);
  const sections = scenario as unknown as Record<string, unknown>;
  const world = new World(engine, recorder, sections, scenario.duration, scenario.warmup);
  if (recorder.tracing) {
    // One JSON line per delivered event: time, entity (class or traceName), event kind, argument.
    engine.onEvent = (t, target, kind, arg) =>
      recorder.trace(t, target.traceName ?? target.constructor.name, target.traceKinds?.[kind] ?? String(kind), { arg });
  }
  for (const d of DOMAINS) {
    const spec = sections[d.key];
    if (spec !== undefined) d.build(world, spec as never);
  }
  engine.run(scenario.duration);
  world.finish();
  const metrics = recorder.finish();
  return {
    metrics,
    events: engine.eventsProcessed,
    simulated_s: engine.now,
    wall_s: (performance.now() - t0) / 1000,
    tables: recorder.tableNames(),
  };
}
