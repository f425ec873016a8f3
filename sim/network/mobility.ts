/**
 * User mobility (world service "mobility"): moves users in the topology and
 * tells the network (`moved(user)`), which recomputes the user's channel gains
 * and serving cell.
 *
 * - static: nobody moves, no events.
 * - random-waypoint: each user walks straight legs to uniform destinations in
 *   the area at a speed drawn per leg, pausing at each waypoint. Positions are
 *   exact functions of time; they are written to the topology every
 *   `update_interval` (one event per user, staggered) and whenever a domain
 *   calls `refresh(user)` (e.g. before serving a request of that user).
 * - trace: positions from a CSV file (time_s,user,x_m,y_m), applied at the
 *   listed times (one pending event: the next listed time).
 */
import { readFileSync } from 'node:fs';
import type { Engine, EventTarget } from '../engine/engine.ts';
import { csvTable } from '../common/csv.ts';
import type { Rng } from '../engine/rng.ts';
import type { MobilitySpec } from './mobility-schema.ts';
import type { Topology } from './topology.ts';

/** What mobility needs from the network: the topology and the hook that recomputes a user's gains. */
export interface MovableNetwork {
  readonly topology: Topology;
  moved(user: number): boolean;
}

export interface MobilityService {
  /** Bring `user`'s position (and gains, serving cell) up to now. */
  refresh(user: number): void;
  /** Serving-cell changes so far. */
  readonly handovers: number;
  /** Position updates applied so far. */
  readonly updates: number;
}

const TICK = 0;
const TRACE = 1;

export interface TraceRow {
  time_s: number;
  user: number;
  x_m: number;
  y_m: number;
}

/** Parse a mobility trace CSV with header `time_s,user,x_m,y_m` (any column order); rows sorted by time (stable). */
export function parseTrace(text: string, origin = 'trace'): TraceRow[] {
  const { header, records } = csvTable(text);
  const want = ['time_s', 'user', 'x_m', 'y_m'];
  if (want.some((c) => !header.includes(c))) throw new Error(`${origin}: expected a header with columns ${want.join(',')}`);
  const col = want.map((c) => header.indexOf(c));
  const rows = records.map((f, j) => {
    const [t, u, x, y] = col.map((c) => Number(f[c]));
    if (![t, u, x, y].every((v) => Number.isFinite(v)) || !Number.isInteger(u) || u! < 0) throw new Error(`${origin}: record ${j + 1} is not a valid row: "${f.join(',')}"`);
    return { time_s: t!, user: u!, x_m: x!, y_m: y! };
  });
  return rows.map((r, i) => [r, i] as const).sort((a, b) => a[0].time_s - b[0].time_s || a[1] - b[1]).map(([r]) => r);
}

export class Mobility implements EventTarget, MobilityService {
  handovers = 0;
  updates = 0;
  private readonly topo: Topology;
  private readonly side: number;
  // Random waypoint legs: from (x0, y0) at t0 to (x1, y1) at t1, paused there until tp.
  private x0!: Float64Array;
  private y0!: Float64Array;
  private t0!: Float64Array;
  private x1!: Float64Array;
  private y1!: Float64Array;
  private t1!: Float64Array;
  private tp!: Float64Array;
  private rngs: Rng[] = [];
  private trace: TraceRow[] = [];
  private cursor = 0;

  constructor(
    private readonly engine: Engine,
    private readonly net: MovableNetwork,
    readonly spec: MobilitySpec,
  ) {
    this.topo = net.topology;
    this.side = this.topo.spec.area;
    const U = this.topo.userCount;
    if (spec.model === 'random-waypoint') {
      const { x, y } = this.topo.users;
      this.x0 = Float64Array.from(x);
      this.y0 = Float64Array.from(y);
      this.x1 = Float64Array.from(x);
      this.y1 = Float64Array.from(y);
      this.t0 = new Float64Array(U);
      this.t1 = new Float64Array(U);
      this.tp = new Float64Array(U);
      for (let u = 0; u < U; u++) {
        const rng = engine.rng(`user:${u}:mobility`);
        this.rngs.push(rng);
        engine.schedule(rng.next() * spec.update_interval, this, TICK, u);
      }
    } else if (spec.model === 'trace') {
      this.trace = parseTrace(readFileSync(spec.file!, 'utf8'), spec.file);
      for (const r of this.trace) if (r.user >= U) throw new Error(`${spec.file}: user ${r.user} does not exist (${U} users)`);
      if (this.trace.length > 0) engine.scheduleAt(Math.max(0, this.trace[0]!.time_s), this, TRACE, 0);
    }
  }

  refresh(user: number): void {
    if (this.spec.model === 'random-waypoint') this.place(user);
  }

  handle(kind: number, arg: number): void {
    if (kind === TICK) {
      this.place(arg);
      this.engine.schedule(this.spec.update_interval, this, TICK, arg);
      return;
    }
    // TRACE: apply every row at this time, then wait for the next time.
    const rows = this.trace;
    const t = rows[this.cursor]!.time_s;
    const { x, y } = this.topo.users;
    while (this.cursor < rows.length && rows[this.cursor]!.time_s === t) {
      const r = rows[this.cursor++]!;
      x[r.user] = r.x_m;
      y[r.user] = r.y_m;
      this.moved(r.user);
    }
    if (this.cursor < rows.length) this.engine.scheduleAt(Math.max(this.engine.now, rows[this.cursor]!.time_s), this, TRACE, 0);
  }

  /** Random waypoint: move `u` to its position now (drawing new legs as needed). */
  private place(u: number): void {
    const now = this.engine.now;
    while (now >= this.tp[u]!) this.newLeg(u);
    const { x, y } = this.topo.users;
    const t0 = this.t0[u]!;
    const t1 = this.t1[u]!;
    const f = now >= t1 || t1 <= t0 ? 1 : (now - t0) / (t1 - t0);
    const nx = this.x0[u]! + f * (this.x1[u]! - this.x0[u]!);
    const ny = this.y0[u]! + f * (this.y1[u]! - this.y0[u]!);
    if (nx === x[u] && ny === y[u]) return;
    x[u] = nx;
    y[u] = ny;
    this.moved(u);
  }

  private newLeg(u: number): void {
    const rng = this.rngs[u]!;
    const start = this.tp[u]!;
    this.x0[u] = this.x1[u]!;
    this.y0[u] = this.y1[u]!;
    this.x1[u] = rng.next() * this.side;
    this.y1[u] = rng.next() * this.side;
    const [lo, hi] = this.spec.speed;
    const v = lo + (hi - lo) * rng.next();
    const d = Math.hypot(this.x1[u]! - this.x0[u]!, this.y1[u]! - this.y0[u]!);
    this.t0[u] = start;
    this.t1[u] = start + (v > 0 ? d / v : Number.POSITIVE_INFINITY);
    this.tp[u] = this.t1[u]! + Math.max(this.spec.pause, 1e-9);
  }

  private moved(u: number): void {
    this.updates++;
    if (this.net.moved(u)) this.handovers++;
  }
}

/** A static stand-in (no events) for worlds without a mobility section. */
export const STATIC_MOBILITY: MobilityService = { refresh() {}, handovers: 0, updates: 0 };

/** Provide the "mobility" service for a network (the topology domain calls this after building the network). */
export function buildMobility(world: { engine: Engine; provide<T>(key: string, s: T): T }, net: MovableNetwork, spec: MobilitySpec): Mobility {
  return world.provide('mobility', new Mobility(world.engine, net, spec));
}
