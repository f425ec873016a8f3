import { getHeapStatistics } from 'node:v8';
import type { Rng } from '../engine/rng.ts';
import { gridPoints, nearest, pointsFromList, poissonPoints, uniformPoints, withinRange, type Points } from './geometry.ts';
import { DEFAULT_SERVER_COUNT, DEFAULT_USER_COUNT, type TopologySpec } from './schema.ts';

/**
 * Refuse, before building, a population whose per-user state cannot fit this process's heap:
 * about 1.2 kB per user (positions, serving cell, kept random streams, arrival source; the
 * million-user benchmark measures 2.5 kB of RSS per user with 64 cells) plus 16 bytes per user
 * and cell (mean gain and shadowing). The estimate is a lower bound, so only runs that would
 * surely exhaust the heap, after minutes, are refused.
 */
function checkHeap(users: number, servers: number): void {
  const need = users * (1200 + 16 * servers);
  const limit = getHeapStatistics().heap_size_limit;
  if (need <= limit) return;
  const gb = (b: number) => (b / 1e9).toFixed(1);
  throw new RangeError(
    `topology.users.count: ${users} users with ${servers} cells need at least ${gb(need)} GB of heap (about 1.2 kB per user plus 16 bytes per user and cell); this Node process has ${gb(limit)} GB. Lower the count, or raise the limit: NODE_OPTIONS=--max-old-space-size=${Math.ceil((need * 1.5) / 1e6)} (MB)`,
  );
}

/** Where base stations (with edge servers) and users are, and who serves whom. */
export class Topology {
  readonly servers: Points;
  /** User positions; mobility updates them in place. */
  readonly users: { x: Float64Array; y: Float64Array };
  /** Index of the serving server per user: the nearest, unless the network re-chooses it (`association: strongest`). */
  readonly serving: Int32Array;

  constructor(
    readonly spec: TopologySpec,
    rngFor: (name: string) => Rng,
  ) {
    const side = spec.area;
    const s = spec.servers;
    if (s.layout === 'list') {
      if (!s.positions) throw new Error('topology.servers.positions is required for layout: list');
      this.servers = pointsFromList(s.positions);
    } else if (s.layout === 'ppp') {
      const p = poissonPoints(rngFor('topology:servers:positions'), s.density ?? (s.count ?? DEFAULT_SERVER_COUNT) / (side * side), side);
      this.servers = p.x.length > 0 ? p : gridPoints(1, side);
    } else {
      this.servers = gridPoints(s.count ?? DEFAULT_SERVER_COUNT, side);
    }
    const u = spec.users;
    checkHeap(u.placement === 'list' ? (u.positions?.length ?? 0) : (u.count ?? DEFAULT_USER_COUNT), this.servers.x.length);
    if (u.placement === 'list') {
      if (!u.positions) throw new Error('topology.users.positions is required for placement: list');
      this.users = pointsFromList(u.positions);
    } else {
      // One stream per user, so adding users never moves existing ones.
      const n = u.count ?? DEFAULT_USER_COUNT;
      const x = new Float64Array(n);
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const p = uniformPoints(rngFor(`user:${i}:position`), 1, side);
        x[i] = p.x[0]!;
        y[i] = p.y[0]!;
      }
      this.users = { x, y };
    }
    this.serving = new Int32Array(this.userCount);
    for (let i = 0; i < this.userCount; i++) this.updateServing(i);
  }

  get serverCount(): number {
    return this.servers.x.length;
  }

  get userCount(): number {
    return this.users.x.length;
  }

  /** Recompute the serving server of `user` (after it moved). Returns true when it changed. */
  updateServing(user: number): boolean {
    const s = nearest(this.servers, this.users.x[user]!, this.users.y[user]!);
    const changed = s !== this.serving[user];
    this.serving[user] = s;
    return changed;
  }

  /** Make `server` the serving server of `user`. Returns true when it changed. */
  setServing(user: number, server: number): boolean {
    const changed = server !== this.serving[user];
    this.serving[user] = server;
    return changed;
  }

  /** Servers within the coverage range of `user`, nearest first (all servers when range is unlimited). */
  inRange(user: number): number[] {
    const r = this.spec.servers.range ?? Number.POSITIVE_INFINITY;
    return withinRange(this.servers, this.users.x[user]!, this.users.y[user]!, r);
  }

  /** Distance in metres between a user and a server. */
  distance(user: number, server: number): number {
    return Math.hypot(this.users.x[user]! - this.servers.x[server]!, this.users.y[user]! - this.servers.y[server]!);
  }
}
