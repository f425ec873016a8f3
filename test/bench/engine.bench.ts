/**
 * Engine benchmarks (issue 2, item 7):
 * - mm1: an M/M/1 queue (rho = 0.8) built from FifoServer, 1e7 events;
 *   events/s, time-average queue length vs rho^2/(1-rho), peak RSS.
 * - memory: RSS after 1e6 and after 1e7 events of the same M/M/1 run
 *   (flat memory: the ratio should stay within 10%).
 * - hold: the classic hold model, future-event list pre-filled to N = 1e5,
 *   each event schedules one new event at now + Exp(1).
 * Run directly (`node --import tsx test/bench/engine.bench.ts`) it prints one
 * JSON line; `npm run bench` runs it in its own process.
 */
import { Engine, type EventTarget } from '../../sim/engine/engine.ts';
import { FifoServer } from '../../sim/engine/resources.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import { exponential } from '../../sim/engine/variates.ts';
import { MarkovSource } from '../engine/markov-source.ts';
import { runIfMain } from './harness.ts';

const MM1_EVENTS = 1e7;
const MM1_CHECKPOINT = 1e6;
const MM1_WARMUP = 1e5;
const HOLD_N = 1e5;
const HOLD_EVENTS = 1e7;

const sink = { onDone(): void {} };

function rss(): number {
  return process.memoryUsage.rss();
}

/** CPU seconds (user + system) since `c0`: robust to other processes sharing the cores. */
function cpuSince(c0: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1e6;
}

function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function mm1(): Record<string, unknown> {
  const lambda = 0.8;
  const mu = 1;
  const rho = lambda / mu;
  const engine = new Engine(1);
  const server = new FifoServer(engine, 1, sink);
  const src = new MarkovSource(engine, server, lambda, mu);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  src.limit = MM1_WARMUP;
  engine.run();
  server.resetStats();
  src.limit = MM1_CHECKPOINT;
  engine.run();
  const rss1 = rss();
  src.limit = MM1_EVENTS;
  engine.run();
  const wall_s = (performance.now() - t0) / 1000;
  const cpu_s = cpuSince(c0);
  const rss2 = rss();
  const lq = server.meanQueueLength();
  const theory = (rho * rho) / (1 - rho);
  return {
    mm1: {
      events: engine.eventsProcessed,
      wall_s,
      events_per_s: engine.eventsProcessed / wall_s,
      cpu_s,
      events_per_cpu_s: engine.eventsProcessed / cpu_s,
      rho,
      mean_queue_length: lq,
      theory_queue_length: theory,
      rel_error: lq / theory - 1,
      within_2pct: Math.abs(lq / theory - 1) <= 0.02,
      utilization: server.utilization(),
      peak_rss_bytes: peakRss(),
    },
    memory: {
      rss_at_1e6_bytes: rss1,
      rss_at_1e7_bytes: rss2,
      ratio: rss2 / rss1,
      flat_within_10pct: Math.abs(rss2 / rss1 - 1) <= 0.1,
    },
  };
}

class Hold implements EventTarget {
  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
  ) {}
  handle(): void {
    this.engine.schedule(exponential(this.rng, 1), this);
  }
}

export function hold(): Record<string, unknown> {
  const engine = new Engine(1, HOLD_N * 2);
  const rng = engine.rng('hold:0:delay');
  const h = new Hold(engine, rng);
  for (let i = 0; i < HOLD_N; i++) engine.schedule(exponential(rng, 1), h);
  // Warm up so the heap reaches its steady-state shape, then time.
  const warm = engine.eventsProcessed + HOLD_N;
  while (engine.eventsProcessed < warm) engine.step();
  const start = engine.eventsProcessed;
  // run(until) in slices: HOLD_N events per unit time on average.
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  engine.run(engine.now + HOLD_EVENTS / HOLD_N);
  const wall_s = (performance.now() - t0) / 1000;
  const cpu_s = cpuSince(c0);
  const events = engine.eventsProcessed - start;
  return {
    hold: {
      n: HOLD_N,
      events,
      wall_s,
      events_per_s: events / wall_s,
      cpu_s,
      events_per_cpu_s: events / cpu_s,
      pending: engine.pending,
    },
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const a = mm1();
  const b = hold();
  return { ...a, ...b, peak_rss_bytes: peakRss() };
}

runIfMain(import.meta.url, run);
