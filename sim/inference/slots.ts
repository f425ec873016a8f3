import type { Engine, EventTarget } from '../engine/engine.ts';
import { FifoServer } from '../engine/resources.ts';
import type { Rng } from '../engine/rng.ts';
import { QuantileSketch, Tally } from '../engine/stats.ts';
import { exponential } from '../engine/variates.ts';
import type { Table } from '../metrics/recorder.ts';
import type { Topology } from '../network/topology.ts';
import { DistributionSampler } from '../scenario/distributions.ts';
import type { World } from '../world/world.ts';
import type { InferenceSpec } from './schema.ts';

/** Seconds the edge server needs for one request of (prompt, output) tokens. */
export type ServiceTime = (promptTokens: number, outputTokens: number) => number;

const ARRIVAL = 0;
const WARMUP = 1;

/**
 * The first end-to-end model: users in cells send LLM inference requests to
 * the edge server of their cell, which serves them FIFO with `slots` parallel
 * slots. Per-request state lives in typed arrays indexed by a recycled slot,
 * so memory stays flat over long runs.
 */
export class SlotServing implements EventTarget {
  private readonly servers: FifoServer[];
  private readonly users: UserSource[];
  private readonly prompt: DistributionSampler;
  private readonly output: DistributionSampler;
  // Request slots.
  private arrival = new Float64Array(1024);
  private startT = new Float64Array(1024);
  private promptTok = new Int32Array(1024);
  private outputTok = new Int32Array(1024);
  private userOf = new Int32Array(1024);
  private seqOf = new Float64Array(1024);
  private free: number[] = [];
  private used = 0;
  private nextSeq = 0;

  readonly latency = new QuantileSketch();
  readonly wait = new Tally();
  completed = 0;
  tokensOut = 0;
  private readonly table: Table;

  constructor(
    private readonly engine: Engine,
    private readonly topo: Topology,
    spec: InferenceSpec,
    private readonly serviceTime: ServiceTime,
    table: Table,
    private readonly warmup_s: number,
  ) {
    this.table = table;
    this.prompt = new DistributionSampler(spec.requests.prompt_tokens, true);
    this.output = new DistributionSampler(spec.requests.output_tokens, true);
    this.servers = [];
    for (let j = 0; j < topo.serverCount; j++) {
      const server = j;
      this.servers.push(
        new FifoServer(engine, spec.server.slots, {
          onStart: (job) => this.onStart(job),
          onDone: (job) => this.onDone(job, server),
        }),
      );
    }
    this.users = [];
    for (let u = 0; u < topo.userCount; u++) {
      this.users.push(new UserSource(engine, this, u, spec.requests.rate_per_user, engine.rng(`user:${u}:arrivals`), engine.rng(`user:${u}:request-size`)));
    }
    if (warmup_s > 0) engine.schedule(warmup_s, this, WARMUP);
  }

  start(): void {
    for (const u of this.users) u.scheduleNext();
  }

  handle(kind: number): void {
    if (kind === WARMUP) for (const s of this.servers) s.resetStats();
  }

  /** A user's request arrives now. */
  arrive(user: number, sizeRng: Rng): void {
    const slot = this.alloc();
    const p = this.prompt.sample(sizeRng);
    const o = this.output.sample(sizeRng);
    this.arrival[slot] = this.engine.now;
    this.promptTok[slot] = p;
    this.outputTok[slot] = o;
    this.userOf[slot] = user;
    this.seqOf[slot] = this.nextSeq++;
    this.servers[this.topo.serving[user]!]!.request(slot, this.serviceTime(p, o));
  }

  private onStart(slot: number): void {
    this.startT[slot] = this.engine.now;
  }

  private onDone(slot: number, server: number): void {
    const now = this.engine.now;
    const lat = now - this.arrival[slot]!;
    if (now >= this.warmup_s) {
      this.latency.add(lat);
      this.wait.add(this.startT[slot]! - this.arrival[slot]!);
      this.completed++;
      this.tokensOut += this.outputTok[slot]!;
    }
    this.table.row([
      this.seqOf[slot]!,
      this.userOf[slot]!,
      server,
      this.arrival[slot]!,
      this.startT[slot]!,
      now,
      this.startT[slot]! - this.arrival[slot]!,
      lat,
      this.promptTok[slot]!,
      this.outputTok[slot]!,
    ]);
    this.free.push(slot);
  }

  utilization(): number {
    let s = 0;
    for (const srv of this.servers) s += srv.utilization();
    return s / this.servers.length;
  }

  meanQueueLength(): number {
    let s = 0;
    for (const srv of this.servers) s += srv.meanQueueLength();
    return s;
  }

  private alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    const slot = this.used++;
    if (slot >= this.arrival.length) this.grow();
    return slot;
  }

  private grow(): void {
    const n = this.arrival.length * 2;
    const g = <T extends Float64Array | Int32Array>(a: T, mk: new (n: number) => T): T => {
      const b = new mk(n);
      b.set(a);
      return b;
    };
    this.arrival = g(this.arrival, Float64Array);
    this.startT = g(this.startT, Float64Array);
    this.seqOf = g(this.seqOf, Float64Array);
    this.promptTok = g(this.promptTok, Int32Array);
    this.outputTok = g(this.outputTok, Int32Array);
    this.userOf = g(this.userOf, Int32Array);
  }
}

/** One user's Poisson request process. */
class UserSource implements EventTarget {
  constructor(
    private readonly engine: Engine,
    private readonly model: SlotServing,
    private readonly user: number,
    private readonly rate: number,
    private readonly arrivals: Rng,
    private readonly sizes: Rng,
  ) {}

  scheduleNext(): void {
    this.engine.schedule(exponential(this.arrivals, this.rate), this, ARRIVAL);
  }

  handle(): void {
    this.model.arrive(this.user, this.sizes);
    this.scheduleNext();
  }
}

export const REQUEST_COLUMNS = [
  'request',
  'user',
  'server',
  'arrival_s',
  'start_s',
  'end_s',
  'wait_s',
  'latency_s',
  'prompt_tokens',
  'output_tokens',
] as const;

/** Build the slot-serving model into a world and register its metrics. */
export function buildSlotServing(world: World, spec: InferenceSpec, serviceTime: ServiceTime): SlotServing {
  const topo = world.need<Topology>('topology', 'inference');
  const table = world.recorder.table('requests', REQUEST_COLUMNS);
  const m = new SlotServing(world.engine, topo, spec, serviceTime, table, world.warmup_s);
  m.start();
  const window = Math.max(world.horizon_s - world.warmup_s, 1e-12);
  const r = world.recorder;
  r.metric('requests_completed', () => m.completed);
  r.metric('latency_mean_s', () => m.latency.mean);
  r.metric('latency_p50_s', () => m.latency.quantile(0.5));
  r.metric('latency_p95_s', () => m.latency.quantile(0.95));
  r.metric('wait_mean_s', () => m.wait.mean);
  r.metric('throughput_req_s', () => m.completed / window);
  r.metric('throughput_tok_s', () => m.tokensOut / window);
  r.metric('edge_utilization', () => m.utilization());
  r.metric('queue_length_mean', () => m.meanQueueLength());
  return m;
}
