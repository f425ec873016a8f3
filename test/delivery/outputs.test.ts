/**
 * The tables a caching + delivery run writes: servers.csv (one snapshot per
 * server per report period, the final one once) and downloads.csv (one row per
 * completed download, `request` a unique id in arrival order).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.ts';
import { feed, run, type Doc } from './world.ts';

function csv(dir: string, name: string): { head: string[]; rows: string[][] } {
  const [head, ...rows] = readFileSync(join(dir, `${name}.csv`), 'utf8').trim().split('\n');
  return { head: head!.split(','), rows: rows.map((l) => l.split(',')) };
}

/** Two servers, one user near server 0; two 10 MB models. */
function doc(duration: number, users = 1): Doc {
  return {
    seed: 1,
    duration,
    topology: {
      area: 1000,
      servers: { layout: 'list', positions: [[0, 0], [1000, 0]], bandwidth: '20 MHz' },
      users: { count: users, placement: 'list', positions: Array.from({ length: users }, (_, u) => [100 + u, 0]) },
      channel: { shadowing_sigma: 0 },
    },
    caching: {
      capacity_fraction: 1,
      report_period: 60,
      catalog: {
        blocks: [
          { id: 'A', size: '10 MB' },
          { id: 'B', size: '10 MB' },
        ],
        models: [
          { id: 'm0', blocks: ['A'] },
          { id: 'm1', blocks: ['B'] },
        ],
      },
      demand: { rate: 0, deadline: '60 s', order: 'catalog', zipf: 1 },
    },
    delivery: { mode: 'unicast' },
  };
}

describe('servers.csv', () => {
  it('writes the snapshot at the horizon once when the horizon is a multiple of the report period', () => {
    const dir = tempDir();
    run(doc(600), { outDir: dir });
    const { head, rows } = csv(dir, 'servers');
    const t = head.indexOf('time_s');
    const times = rows.map((r) => Number(r[t]));
    // 10 periods x 2 servers, no duplicate final rows
    expect(rows.length).toBe(20);
    expect(times.filter((x) => x === 600).length).toBe(2);
    const keys = rows.map((r) => `${r[t]}|${r[head.indexOf('server')]}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('adds a final snapshot at the horizon when it falls between periods', () => {
    const dir = tempDir();
    run(doc(630), { outDir: dir });
    const { head, rows } = csv(dir, 'servers');
    const times = rows.map((r) => Number(r[head.indexOf('time_s')]));
    expect(rows.length).toBe(22);
    expect(times.slice(-2)).toEqual([630, 630]);
  });
});

describe('downloads.csv', () => {
  it('identifies each request uniquely, even when request slots are recycled', () => {
    const dir = tempDir();
    // One user, requests one after another: each completes before the next arrives (same slot reused).
    const reqs: [number, number, number][] = Array.from({ length: 5 }, (_, k) => [10 + 50 * k, 0, k % 2]);
    run(doc(600), { outDir: dir, before: feed(reqs) });
    const { head, rows } = csv(dir, 'downloads');
    const id = rows.map((r) => Number(r[head.indexOf('request')]));
    expect(id).toEqual([0, 1, 2, 3, 4]);
  });

  it('request ids follow arrival order, not completion order', () => {
    const dir = tempDir();
    // user 1 is far (slower): its request 0 completes after user 0's request 1.
    const d = doc(600, 2);
    (d.topology['users'] as Record<string, unknown>)['positions'] = [[50, 0], [480, 0]];
    run(d, { outDir: dir, before: feed([[1, 1, 0], [1.001, 0, 1], [200, 0, 0]]) });
    const { head, rows } = csv(dir, 'downloads');
    const byId = new Map(rows.map((r) => [Number(r[head.indexOf('request')]), Number(r[head.indexOf('user')])]));
    expect([...byId.keys()].sort()).toEqual([0, 1, 2]);
    expect(byId.get(0)).toBe(1);
    expect(byId.get(1)).toBe(0);
    expect(byId.get(2)).toBe(0);
  });
});
