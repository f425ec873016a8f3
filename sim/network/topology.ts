import type { Rng } from '../engine/rng.ts';
import type { World, Domain } from '../world/world.ts';
import { topologySchema, type TopologySpec } from './schema.ts';

/** Where base stations (with edge servers) and users are, and who serves whom. */
export class Topology {
  readonly serverX: Float64Array;
  readonly serverY: Float64Array;
  readonly userX: Float64Array;
  readonly userY: Float64Array;
  /** Index of the serving (nearest) server per user. */
  readonly serving: Int32Array;

  constructor(
    readonly spec: TopologySpec,
    rngFor: (name: string) => Rng,
  ) {
    const side = spec.area;
    const s = spec.servers;
    const sp = serverPositions(s, side, rngFor('topology:servers:positions'));
    this.serverX = Float64Array.from(sp.map((p) => p[0]));
    this.serverY = Float64Array.from(sp.map((p) => p[1]));
    const u = spec.users;
    const n = u.placement === 'list' ? u.positions!.length : u.count;
    this.userX = new Float64Array(n);
    this.userY = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (u.placement === 'list') {
        this.userX[i] = u.positions![i]![0];
        this.userY[i] = u.positions![i]![1];
      } else {
        const r = rngFor(`user:${i}:position`);
        this.userX[i] = r.next() * side;
        this.userY[i] = r.next() * side;
      }
    }
    this.serving = new Int32Array(n);
    for (let i = 0; i < n; i++) this.serving[i] = this.nearestServer(this.userX[i]!, this.userY[i]!);
  }

  get serverCount(): number {
    return this.serverX.length;
  }

  get userCount(): number {
    return this.userX.length;
  }

  nearestServer(x: number, y: number): number {
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < this.serverX.length; j++) {
      const d = (this.serverX[j]! - x) ** 2 + (this.serverY[j]! - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    return best;
  }

  /** Distance in metres between a user and a server. */
  distance(user: number, server: number): number {
    return Math.hypot(this.userX[user]! - this.serverX[server]!, this.userY[user]! - this.serverY[server]!);
  }
}

function serverPositions(s: TopologySpec['servers'], side: number, rng: Rng): [number, number][] {
  if (s.layout === 'list') {
    if (!s.positions) throw new Error('topology.servers.positions is required for layout: list');
    return s.positions;
  }
  if (s.layout === 'ppp') {
    const density = s.density ?? s.count / (side * side);
    const mean = density * side * side;
    // Poisson count by inversion (mean is small for base stations), then uniform positions.
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    const u = rng.next();
    while (u > cdf && k < 100000) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    const n = Math.max(1, k);
    return Array.from({ length: n }, () => [rng.next() * side, rng.next() * side] as [number, number]);
  }
  const per = Math.ceil(Math.sqrt(s.count));
  const step = side / per;
  const out: [number, number][] = [];
  for (let i = 0; i < s.count; i++) out.push([(Math.floor(i % per) + 0.5) * step, (Math.floor(i / per) + 0.5) * step]);
  return out;
}

export const topologyDomain: Domain<TopologySpec> = {
  key: 'topology',
  description: 'base stations with edge servers, users, and who serves whom',
  order: 10,
  schema: topologySchema,
  build(world: World, spec: TopologySpec) {
    world.provide('topology', new Topology(spec, (name) => world.engine.rng(name)));
  },
};
