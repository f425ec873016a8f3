import { InputError } from '../common/errors.ts';
import { Engine } from '../engine/engine.ts';
import { Recorder } from '../metrics/recorder.ts';
import type { Scenario } from '../scenario/schema.ts';
import { DOMAINS } from './domains.ts';
import { World } from '../world/world.ts';

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

/**
 * Build every domain of the scenario into `world`. A domain that rejects its section (a layer
 * beyond the model, a site that does not exist, a runtime the unit cannot run) throws while
 * building: that is a scenario the schema could not judge alone, so it is bad input (exit 2),
 * named as such. Errors once the run has started stay internal errors.
 */
export function buildWorld(world: World, sections: Record<string, unknown>): void {
  for (const d of DOMAINS) {
    const spec = sections[d.key];
    if (spec === undefined) continue;
    try {
      d.build(world, spec as never);
    } catch (e) {
      // TypeError / ReferenceError are bugs, not scenario problems: they stay internal errors.
      if (e instanceof InputError || e instanceof TypeError || e instanceof ReferenceError || !(e instanceof Error)) throw e;
      throw new InputError(`${d.key}: the scenario cannot be built: ${(e as Error).message}`);
    }
  }
}

/** Check that a validated scenario builds (everything `run` checks before the first event), without running it. */
export function checkBuilds(scenario: Scenario): void {
  const engine = new Engine(scenario.seed);
  const sections = scenario as unknown as Record<string, unknown>;
  buildWorld(new World(engine, new Recorder(null, false), sections, scenario.duration, scenario.warmup), sections);
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
  buildWorld(world, sections);
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
