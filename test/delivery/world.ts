/**
 * Builds and runs a caching + delivery world by hand (topology, mobility,
 * caching, delivery), so the tests do not depend on the root scenario schema.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { buildCaching, cachingSchema, prepareCaching, type CachingService } from '../../sim/caching/domain.ts';
import { buildDelivery, deliverySchema, type DeliveryRun } from '../../sim/delivery/domain.ts';
import { Engine, type EventTarget } from '../../sim/engine/engine.ts';
import { Recorder } from '../../sim/metrics/recorder.ts';
import { buildMobility } from '../../sim/network/mobility.ts';
import { mobilitySchema } from '../../sim/network/mobility-schema.ts';
import { Network, topologyDomain } from '../../sim/network/network.ts';
import { topologySchema, usersSchema } from '../../sim/network/schema.ts';
import { World } from '../../sim/world/world.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Doc {
  seed?: number;
  duration: number | string;
  warmup?: number | string;
  topology: Record<string, unknown>;
  caching: Record<string, unknown>;
  delivery?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface CachingRun {
  metrics: Record<string, number>;
  world: World;
  caching: CachingService;
  delivery: DeliveryRun | null;
}

/** A scenario file as a plain document (name and description dropped). */
export function loadDoc(file: string): Doc {
  return parse(readFileSync(resolve(ROOT, file), 'utf8')) as Doc;
}

/** Set `path` (dotted) in a copy of `doc`. */
export function withSet(doc: Doc, sets: Record<string, unknown>): Doc {
  const out = structuredClone(doc);
  for (const [path, v] of Object.entries(sets)) {
    const keys = path.split('.');
    let o = out as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[keys.at(-1)!] = v;
  }
  return out;
}

function seconds(x: number | string | undefined): number {
  if (x === undefined) return 0;
  return typeof x === 'number' ? x : cachingSchema.shape.report_period.parse(x);
}

/** Await the placement solvers a document needs (HiGHS for `optimal`). */
export async function prepare(doc: Doc): Promise<void> {
  await prepareCaching(cachingSchema.parse(doc.caching));
}

export function run(doc: Doc, opts: { outDir?: string | null; before?: (r: Omit<CachingRun, 'metrics'>) => void } = {}): CachingRun {
  const raw = structuredClone(doc.topology) as Record<string, Record<string, unknown>>;
  // Until topology.users has a mobility key (then the topology domain builds it), build it here.
  const hooked = 'mobility' in usersSchema.shape;
  const mob = mobilitySchema.parse(raw['users']?.['mobility'] ?? {});
  if (!hooked && raw['users']) delete raw['users']['mobility'];
  const topo = topologySchema.parse(raw);
  const caching = cachingSchema.parse(doc.caching);
  const delivery = doc.delivery !== undefined ? deliverySchema.parse(doc.delivery) : undefined;
  const engine = new Engine(doc.seed ?? 1);
  const recorder = new Recorder(opts.outDir ?? null);
  const horizon = seconds(doc.duration);
  const sections: Record<string, unknown> = { topology: topo, caching, ...(delivery ? { delivery } : {}) };
  const world = new World(engine, recorder, sections, horizon, seconds(doc.warmup));
  topologyDomain.build(world, topo);
  if (world.maybe('mobility') === undefined) buildMobility(world, world.need<Network>('network', 'test'), mob);
  const svc = buildCaching(world, caching);
  const d = delivery ? buildDelivery(world, delivery) : null;
  opts.before?.({ world, caching: svc, delivery: d });
  engine.run(horizon);
  world.finish();
  return { metrics: recorder.finish(), world, caching: svc, delivery: d };
}

/** A `before` hook feeding requests (time s, user, model) straight to the delivery engine. */
export function feed(reqs: [number, number, number][]) {
  return (r: Omit<CachingRun, 'metrics'>) => {
    const d = r.delivery!.delivery;
    const target: EventTarget = { handle: (_k, j) => d.request(reqs[j]![1], reqs[j]![2]) };
    reqs.forEach(([t], j) => r.world.engine.schedule(t, target, 0, j));
  };
}
