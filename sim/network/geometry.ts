/**
 * Planar geometry of base stations and users: point sets as parallel typed
 * arrays (x, y in metres), generators (grid, list, Poisson point process,
 * uniform), distances and server lookups. Pure; random draws take an `Rng`.
 */
import type { Rng } from '../engine/rng.ts';
import { poisson } from '../engine/variates.ts';

export interface Points {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

export function pointCount(p: Points): number {
  return p.x.length;
}

/** Points from a list of [x, y] pairs in metres. */
export function pointsFromList(list: readonly (readonly [number, number])[]): Points {
  const x = new Float64Array(list.length);
  const y = new Float64Array(list.length);
  list.forEach((p, i) => {
    x[i] = p[0];
    y[i] = p[1];
  });
  return { x, y };
}

/**
 * `count` points on a square grid filling a square of side `side_m`: ceil(sqrt(count))
 * columns, each point at the centre of its cell, filled row by row.
 */
export function gridPoints(count: number, side_m: number): Points {
  const per = Math.max(1, Math.ceil(Math.sqrt(count)));
  const step = side_m / per;
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = ((i % per) + 0.5) * step;
    y[i] = (Math.floor(i / per) + 0.5) * step;
  }
  return { x, y };
}

/** `count` points uniform in the square [0, side_m]^2 (a binomial point process). */
export function uniformPoints(rng: Rng, count: number, side_m: number): Points {
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = rng.next() * side_m;
    y[i] = rng.next() * side_m;
  }
  return { x, y };
}

/**
 * A homogeneous Poisson point process of `density_per_m2` in the square
 * [0, side_m]^2: a Poisson count, then uniform positions.
 */
export function poissonPoints(rng: Rng, density_per_m2: number, side_m: number): Points {
  return uniformPoints(rng, poisson(rng, density_per_m2 * side_m * side_m), side_m);
}

/** Euclidean distance in metres between point i of `a` and point j of `b`. */
export function distance(a: Points, i: number, b: Points, j: number): number {
  return Math.hypot(a.x[i]! - b.x[j]!, a.y[i]! - b.y[j]!);
}

/** Distances from every point of `from` to every point of `to`, row-major (from x to). */
export function distanceMatrix(from: Points, to: Points): Float64Array {
  const n = from.x.length;
  const m = to.x.length;
  const d = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const xi = from.x[i]!;
    const yi = from.y[i]!;
    for (let j = 0; j < m; j++) d[i * m + j] = Math.hypot(xi - to.x[j]!, yi - to.y[j]!);
  }
  return d;
}

/** Index of the point of `servers` nearest to (x, y); -1 when there are none. Ties go to the lower index. */
export function nearest(servers: Points, x: number, y: number): number {
  let best = -1;
  let bestD = Infinity;
  for (let j = 0; j < servers.x.length; j++) {
    const d = (servers.x[j]! - x) ** 2 + (servers.y[j]! - y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/** Indices of the points of `servers` within `range_m` of (x, y) (inclusive), nearest first. */
export function withinRange(servers: Points, x: number, y: number, range_m: number): number[] {
  const hits: number[] = [];
  const dist: number[] = [];
  const r2 = range_m * range_m;
  for (let j = 0; j < servers.x.length; j++) {
    const d = (servers.x[j]! - x) ** 2 + (servers.y[j]! - y) ** 2;
    if (d <= r2) {
      hits.push(j);
      dist[j] = d;
    }
  }
  return hits.sort((a, b) => dist[a]! - dist[b]! || a - b);
}
