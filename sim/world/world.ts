import type { z } from 'zod';
import { Engine } from '../engine/engine.ts';
import type { Recorder } from '../metrics/recorder.ts';

/**
 * The world one run simulates: the engine, the recorder, the run horizon and
 * the shared services domains provide to each other (network, edge compute
 * sites, block stores, ...). Domains are built in `order`; a later domain may
 * read services an earlier one provided, never the reverse.
 */
export class World {
  /** Shared services by key, e.g. "network", "edge-sites". Insertion-ordered. */
  private readonly services = new Map<string, unknown>();
  /** Callbacks run once when the horizon is reached, in registration order. */
  private readonly finishers: (() => void)[] = [];

  constructor(
    readonly engine: Engine,
    readonly recorder: Recorder,
    /** The validated scenario (SI units), keyed by domain. */
    readonly scenario: Readonly<Record<string, unknown>>,
    /** Simulated horizon in seconds. */
    readonly horizon_s: number,
    /** Statistics ignore what ends before this time, in seconds. */
    readonly warmup_s: number,
  ) {}

  provide<T>(key: string, service: T): T {
    if (this.services.has(key)) throw new Error(`service "${key}" is provided twice`);
    this.services.set(key, service);
    return service;
  }

  /** The service under `key`, or an error naming who should provide it. */
  need<T>(key: string, who: string): T {
    const s = this.services.get(key);
    if (s === undefined) throw new Error(`${who} needs the "${key}" service, which no domain in this scenario provides`);
    return s as T;
  }

  maybe<T>(key: string): T | undefined {
    return this.services.get(key) as T | undefined;
  }

  /** Run `fn` at the end of the run (after the engine stops), e.g. to close open intervals. */
  onFinish(fn: () => void): void {
    this.finishers.push(fn);
  }

  finish(): void {
    for (const f of this.finishers) f();
  }
}

/**
 * A domain (network, caching, delivery, inference, training) plugs into the
 * world through this interface. Its schema is the scenario section under `key`.
 */
export interface Domain<S = unknown> {
  /** Scenario key of its section, e.g. "caching". */
  readonly key: string;
  /** One line for `mei-sim list` and the scenario reference. */
  readonly description: string;
  /** Build order: lower first. network 10, caching 20, delivery 30, inference 40, training 50. */
  readonly order: number;
  /** zod schema of its scenario section (strict objects, units via `quantity`). */
  readonly schema: z.ZodType<S>;
  /**
   * Create entities, schedule first events and register metrics and tables on
   * `world.recorder`. Called only when the scenario has this section.
   */
  build(world: World, spec: S): void;
  /**
   * Optional asynchronous preparation before any world is built (e.g. loading
   * a WASM solver). `prepareScenario` awaits it once per scenario.
   */
  prepare?(spec: S): Promise<void>;
}
