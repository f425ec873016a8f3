/**
 * Training transfers of moving users: every radio transfer goes through the
 * cell serving the user when it is issued; server steps stay at the home site,
 * and the data cross the backhaul between the two.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkService } from '../../sim/network/api.ts';
import type { TransferOwner } from '../../sim/world/owner.ts';
import type { MobilityService } from '../../sim/network/mobility.ts';
import { labelsBytesPerBatch, smashedBytesPerBatch, updateBytes } from '../../sim/training/costs.ts';
import { jobSchema } from '../../sim/training/schema.ts';
import { getModel } from '../../sim/workload/catalog.ts';
import type { World } from '../../sim/world/world.ts';
import { tempDir } from '../helpers.ts';
import { cellsWithOneUser, runTraining } from './world.ts';

const job = { model: 'llama-3.2-1b', peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] }, batch: 2, seq: 256, local_steps: 10 };
const oneRound = { max_rounds: 1, stop_at_target: false };

/** Two cells 2 km apart; the user starts next to cell 0 and is next to cell 1 from `at_s` on. */
function movingTopology(at_s: number): unknown {
  const file = join(tempDir(), 'trace.csv');
  writeFileSync(file, `time_s,user,x_m,y_m\n0,0,100,0\n${at_s},0,2100,0\n`);
  return cellsWithOneUser(2, { users: { count: 1, placement: 'list', positions: [[100, 0]], device: 'snapdragon-8-gen-3', mobility: { model: 'trace', file } } });
}

interface Radio {
  /** Radio transfers by the cell they went through; and how many went through a cell not serving the user. */
  up: number[];
  down: number[];
  stale: number;
}

/** Watch the radio transfers of a run: through which cell, and was it serving the user then? */
function watch(radio: Radio): (w: World) => void {
  return (w) => {
    const net = w.need<NetworkService>('network', 'test');
    const mob = w.need<MobilityService>('mobility', 'test');
    const up = net.uplink.bind(net);
    const down = net.downlink.bind(net);
    const check = (server: number, user: number): void => {
      mob.refresh(user);
      if (net.servingCell(user) !== server) radio.stale++;
    };
    net.uplink = (server: number, user: number, bytes: number, owner: TransferOwner, tag: number) => {
      check(server, user);
      radio.up[server] = (radio.up[server] ?? 0) + 1;
      return up(server, user, bytes, owner, tag);
    };
    net.downlink = (server: number, user: number, bytes: number, owner: TransferOwner, tag: number) => {
      check(server, user);
      radio.down[server] = (radio.down[server] ?? 0) + 1;
      return down(server, user, bytes, owner, tag);
    };
  };
}

describe('moving users', () => {
  it('sl: radio through the serving cell; smashed data and gradients cross the backhaul to and from the home site', () => {
    const spec = { scheme: 'sl', job, ...oneRound };
    const still = runTraining(cellsWithOneUser(1), spec).metrics;
    const radio: Radio = { up: [], down: [], stale: 0 };
    const r = runTraining(movingTopology(still.round_time_s! / 2), spec, { before: watch(radio) });
    expect(r.metrics.rounds_completed).toBe(1);
    expect(radio.stale).toBe(0);
    // some batches before the move, the rest after it
    expect(radio.up[0]).toBeGreaterThan(2);
    expect(radio.up[1]).toBeGreaterThan(2);
    expect(radio.up[0]! + radio.up[1]!).toBe(10);
    const js = jobSchema.parse(job);
    const a = getModel('llama-3.2-1b');
    const S = smashedBytesPerBatch(a, js, undefined, 0);
    const labels = labelsBytesPerBatch(js, 0, 4);
    // every upload through cell 1 goes on to the home site (0), every gradient for cell 1 comes from there
    expect(r.metrics.backhaul_bytes_per_round).toBe(radio.up[1]! * (S + labels) + radio.down[1]! * S);
    expect(r.metrics.uplink_bytes_per_round).toBe(10 * (S + labels));
  });

  it('fl: an update uploaded through a new cell goes from that cell to the aggregator', () => {
    const spec = { scheme: 'fl', job, ...oneRound };
    const still = runTraining(cellsWithOneUser(1), spec).metrics;
    const radio: Radio = { up: [], down: [], stale: 0 };
    // the user moves during its local steps: downloads through cell 0, uploads through cell 1
    const r = runTraining(movingTopology(still.round_time_s! / 2), spec, { before: watch(radio) });
    expect(radio.stale).toBe(0);
    expect(radio.down).toEqual([1]);
    expect(radio.up).toEqual([undefined, 1]);
    expect(r.metrics.backhaul_bytes_per_round).toBe(updateBytes(getModel('llama-3.2-1b'), jobSchema.parse(job)));
  });
});
