import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine/engine.ts';
import { CLOUD } from '../../sim/network/api.ts';
import type { TransferOwner } from '../../sim/world/owner.ts';
import { Network } from '../../sim/network/network.ts';
import { topologySchema } from '../../sim/network/schema.ts';

function net(extra: object = {}) {
  const engine = new Engine(1);
  const spec = topologySchema.parse({
    area: '1 km',
    servers: { layout: 'list', positions: [[0, 0], [1000, 0]] },
    users: { placement: 'list', positions: [[100, 0], [100, 0], [900, 0]] },
    channel: { shadowing_sigma: 0 },
    ...extra,
  });
  return { engine, net: new Network(engine, spec) };
}

class Sink implements TransferOwner {
  done = new Map<number, number>();
  constructor(private readonly engine: Engine) {}
  onTransferDone(tag: number): void {
    this.done.set(tag, this.engine.now);
  }
}

describe('network service', () => {
  it('a lone downlink takes latency + bits / (B x log2(1 + SNR))', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    const rate = n.peakRateDown(0, 0);
    n.downlink(0, 0, 1e6, sink, 7);
    engine.run();
    expect(sink.done.get(7)).toBeCloseTo(0.005 + 8e6 / rate, 9);
    expect(n.servingCell(0)).toBe(0);
    expect(n.servingCell(2)).toBe(1);
  });

  it('two flows in one cell share its bandwidth equally (OFDMA)', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    const rate = n.peakRateDown(0, 0);
    n.downlink(0, 0, 1e6, sink, 1);
    n.downlink(0, 1, 1e6, sink, 2);
    engine.run();
    expect(sink.done.get(1)).toBeCloseTo(0.005 + (2 * 8e6) / rate, 9);
    expect(sink.done.get(2)).toBeCloseTo(sink.done.get(1)!, 12);
  });

  it('on the uplink the band is split among phones, each keeping its whole power on its share: n phones get (B/n) log2(1 + n SNR) each', () => {
    const B = 20e6; // the cell bandwidth (uplink defaults to it)
    const far = net({ users: { placement: 'list', positions: [[900, 0], [900, 0]] } });
    const snr = 2 ** (far.net.peakRateUp(0, 0) / B) - 1; // 900 m from server 0: a weak, power-limited link
    const alone = B * Math.log2(1 + snr);
    const sink = new Sink(far.engine);
    far.net.uplink(0, 0, 1e6, sink, 1);
    far.engine.run();
    expect(sink.done.get(1)).toBeCloseTo(0.005 + 8e6 / alone, 9);
    // two phones
    const two = net({ users: { placement: 'list', positions: [[900, 0], [900, 0]] } });
    const sink2 = new Sink(two.engine);
    two.net.uplink(0, 0, 1e6, sink2, 1);
    two.net.uplink(0, 1, 1e6, sink2, 2);
    two.engine.run();
    const shared = (B / 2) * Math.log2(1 + 2 * snr);
    expect(sink2.done.get(1)).toBeCloseTo(0.005 + 8e6 / shared, 9);
    expect(sink2.done.get(2)).toBeCloseTo(0.005 + 8e6 / shared, 9);
    // at low SNR two phones barely slow each other (shared / alone close to 1), unlike the downlink's halving
    expect(shared / alone).toBeGreaterThan(0.75);
    // one phone with two transfers: its power does not double; the two halve its own rate
    const one = net({ users: { placement: 'list', positions: [[900, 0], [900, 0]] } });
    const sink3 = new Sink(one.engine);
    one.net.uplink(0, 0, 1e6, sink3, 1);
    one.net.uplink(0, 0, 1e6, sink3, 2);
    one.engine.run();
    expect(sink3.done.get(1)).toBeCloseTo(0.005 + 8e6 / (alone / 2), 9);
  });

  it('the uplink uses the base station noise figure (5 dB default), the downlink the device one (9 dB)', () => {
    const a = net();
    const b = net({ channel: { shadowing_sigma: 0, bs_noise_figure: '9 dB' } });
    const snrOf = (n: Network) => 2 ** (n.peakRateUp(0, 2) / 20e6) - 1;
    expect(10 * Math.log10(snrOf(a.net) / snrOf(b.net))).toBeCloseTo(4, 6);
    expect(a.net.peakRateDown(0, 2)).toBe(b.net.peakRateDown(0, 2));
  });

  it('with the CQI table a downlink user below CQI 1 takes no share; an uplink phone below it narrows its band', () => {
    const cqi = { shadowing_sigma: 0, mcs: 'cqi-table-1' };
    // user 2 at 4 km from server 0 in a wide area: downlink SNR below -6.7 dB
    const { engine, net: n } = net({ area: '5 km', servers: { layout: 'list', positions: [[0, 0]] }, users: { placement: 'list', positions: [[100, 0], [4000, 0], [4000, 0]] }, channel: cqi });
    expect(n.peakRateDown(0, 1)).toBe(0);
    const sink = new Sink(engine);
    n.downlink(0, 0, 1e6, sink, 1); // near user
    n.downlink(0, 1, 1e6, sink, 2); // out of coverage: waits without a share
    engine.run();
    expect(sink.done.get(1)).toBeCloseTo(0.005 + 8e6 / n.peakRateDown(0, 0), 9);
    expect(sink.done.has(2)).toBe(false);
    // uplink at 4 km: below CQI 1 on the whole band, but it transmits on the narrower band that meets it
    const up = n.peakRateUp(0, 1);
    expect(up).toBeGreaterThan(0);
    expect(up).toBeLessThan(20e6 * 0.1523);
  });

  it('a multicast goes at the worst member rate, once', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    n.multicast(0, [0, 2], 1e6, sink, 3);
    engine.run();
    expect(sink.done.get(3)).toBeCloseTo(0.005 + 8e6 / n.peakRateDown(0, 2), 9);
    expect(n.bitsDown).toBe(8e6);
  });

  it('star backhaul relays server to server through the cloud, hop by hop', () => {
    const { engine, net: n } = net({ backhaul: { topology: 'star', cloud_capacity: '1 Gbit/s', cloud_latency: '10 ms' } });
    const sink = new Sink(engine);
    n.backhaul(0, 1, 125e6, sink, 4); // 1 Gbit
    n.backhaul(CLOUD, 1, 125e6, sink, 5);
    engine.run();
    // Flow 5 runs alone on cloud->1 from 10 ms to 1.01 s; flow 4 crosses 0->cloud (10 ms + 1 s),
    // then cloud->1 (10 ms + 1 s) after flow 5 has left: store-and-forward.
    expect(sink.done.get(5)).toBeCloseTo(1.01, 9);
    expect(sink.done.get(4)).toBeCloseTo(2.02, 9);
    expect(n.backhaulLatency_s(0, 1)).toBeCloseTo(0.02, 12);
  });

  it('radio byte counters count what was delivered; a downlink that waited out of coverage starts when its user moves back', () => {
    const cqi = { shadowing_sigma: 0, mcs: 'cqi-table-1' };
    const { engine, net: n } = net({ area: '5 km', servers: { layout: 'list', positions: [[0, 0]] }, users: { placement: 'list', positions: [[100, 0], [4000, 0]] }, channel: cqi });
    const sink = new Sink(engine);
    n.downlink(0, 1, 1e6, sink, 1); // out of coverage: waits
    engine.run(1);
    expect(n.bitsDown).toBe(0);
    n.topology.users.x[1] = 200; // the user walks in
    n.moved(1);
    engine.run();
    expect(sink.done.get(1)).toBeCloseTo(1 + 8e6 / n.peakRateDown(0, 1), 6);
    expect(n.bitsDown).toBe(8e6);
  });

  it('backhaul links are full duplex: opposite directions do not share a link', () => {
    const { engine, net: n } = net({ backhaul: { topology: 'mesh', peer_capacity: '1 Gbit/s', peer_latency: '0 s' } });
    const sink = new Sink(engine);
    n.backhaul(0, 1, 125e6, sink, 1);
    n.backhaul(1, 0, 125e6, sink, 2);
    n.backhaul(0, 1, 125e6, sink, 3); // the same direction does share
    engine.run();
    expect(sink.done.get(2)).toBeCloseTo(1, 9);
    expect(sink.done.get(1)).toBeCloseTo(2, 9);
    expect(sink.done.get(3)).toBeCloseTo(2, 9);
  });

  it('3gpp-uma with a random LOS state runs, with one state per user and server drawn from its own stream', () => {
    const uma = { shadowing_sigma: 0, pathloss: { model: '3gpp-uma', los: 'random' } };
    const a = net({ channel: uma }).net;
    const b = net({ channel: uma }).net;
    expect(a.peakRateDown(0, 2)).toBe(b.peakRateDown(0, 2));
    const los = net({ channel: { ...uma, pathloss: { model: '3gpp-uma', los: 'los' } } }).net;
    const nlos = net({ channel: { ...uma, pathloss: { model: '3gpp-uma', los: 'nlos' } } }).net;
    // users 0 and 1 stand at the same spot; each state is one of the two laws
    for (const u of [0, 1, 2]) expect([los.peakRateDown(0, u), nlos.peakRateDown(0, u)]).toContain(a.peakRateDown(0, u));
  });

  it('association: strongest serves each user from its highest-gain cell in range; nearest from the closest', () => {
    const spec = (association: string, range?: string) =>
      topologySchema.parse({
        area: '3 km',
        servers: { layout: 'grid', count: 9, association, ...(range ? { range } : {}) },
        users: { placement: 'uniform', count: 300 },
        channel: { shadowing_sigma: '8 dB' },
      });
    const near = new Network(new Engine(3), spec('nearest'));
    const strong = new Network(new Engine(3), spec('strongest'));
    const ranged = new Network(new Engine(3), spec('strongest', '800 m'));
    let differ = 0;
    for (let u = 0; u < 300; u++) {
      const d = (s: number) => near.distance(u, s);
      const closest = [...Array(9).keys()].reduce((a, s) => (d(s) < d(a) ? s : a), 0);
      expect(near.servingCell(u)).toBe(closest);
      const s = strong.servingCell(u);
      // the serving cell's mean downlink rate is the best of all cells (rates can tie at the top MCS)
      for (let o = 0; o < 9; o++) expect(strong.peakRateDown(s, u)).toBeGreaterThanOrEqual(strong.peakRateDown(o, u));
      if (s !== closest) differ++;
      const r = ranged.servingCell(u);
      const inRange = ranged.cellsInRange(u);
      if (inRange.length > 0) {
        expect(inRange).toContain(r);
        for (const o of inRange) expect(ranged.peakRateDown(r, u)).toBeGreaterThanOrEqual(ranged.peakRateDown(o, u));
      } else expect(r).toBe(closest);
    }
    // 8 dB shadowing makes a farther cell the strongest for some users (same draws: common random numbers)
    expect(differ).toBeGreaterThan(10);
  });

  it('association: strongest re-chooses the serving cell when a user moves', () => {
    const n = net({ servers: { layout: 'list', positions: [[0, 0], [1000, 0]], association: 'strongest' } }).net;
    expect(n.servingCell(0)).toBe(0);
    n.topology.users.x[0] = 950;
    expect(n.moved(0)).toBe(true);
    expect(n.servingCell(0)).toBe(1);
    expect(n.moved(0)).toBe(false);
  });

  it('shadowing decorrelates as a user moves (Gudmundson), and stays put when frozen', () => {
    const spec = (shadowing_correlation: string) =>
      topologySchema.parse({
        area: '2 km',
        servers: { layout: 'list', positions: [[0, 0], [2000, 0]] },
        users: { placement: 'uniform', count: 200, mobility: { model: 'random-waypoint' } },
        channel: { shadowing_sigma: '8 dB', shadowing_correlation },
      });
    // Every user walks 1 km away and back, in 1 m steps; the rate at its start point tells its shadowing.
    const roundTrip = (n: Network, u: number, step: number) => {
      const x = n.topology.users.x;
      const x0 = x[u]!;
      for (let k = 1; k <= 1000; k += step) x[u] = x0 + (x0 < 1000 ? k : -k), n.moved(u);
      for (let k = 999; k >= 0; k -= step) x[u] = x0 + (x0 < 1000 ? k : -k), n.moved(u);
    };
    const walk = new Network(new Engine(5), spec('50 m'));
    const frozen = new Network(new Engine(5), spec('frozen'));
    let changed = 0;
    for (let u = 0; u < 200; u++) {
      const before = [walk.peakRateDown(0, u), walk.peakRateDown(1, u)];
      // the same first draws under both settings (common random numbers)
      expect(frozen.peakRateDown(0, u)).toBe(before[0]);
      roundTrip(walk, u, 1);
      roundTrip(frozen, u, 1);
      expect(frozen.peakRateDown(0, u)).toBe(before[0]);
      expect(frozen.peakRateDown(1, u)).toBe(before[1]);
      if (Math.abs(walk.peakRateDown(0, u) / before[0]! - 1) > 0.01) changed++;
    }
    // 2 km of walking at a 50 m decorrelation distance leaves correlation e^-40: a fresh draw
    expect(changed).toBeGreaterThan(150);
    // a 5 cm step barely moves it (correlation 0.999)
    const small = new Network(new Engine(5), spec('50 m'));
    const r0 = small.peakRateDown(0, 0);
    small.topology.users.x[0]! += 0.05;
    small.moved(0);
    expect(Math.abs(small.peakRateDown(0, 0) / r0 - 1)).toBeLessThan(0.05);
  });

  it('association: strongest hands over only past the hysteresis margin (3GPP A3), or when the cell leaves range', () => {
    const servers = (extra: object) => ({ layout: 'list', positions: [[0, 0], [1000, 0]], association: 'strongest', ...extra });
    const walk = (n: Network, x: number) => {
      n.topology.users.x[0] = x;
      n.moved(0);
      return n.servingCell(0);
    };
    const a3 = net({ servers: servers({}) }).net; // default 3 dB
    const none = net({ servers: servers({ handover_hysteresis: '0 dB' }) }).net;
    expect(a3.servingCell(0)).toBe(0);
    // at 520 m cell 1 is 37.6 log10(520 / 480) = 1.3 dB stronger: inside the margin
    expect(walk(a3, 520)).toBe(0);
    expect(walk(none, 520)).toBe(1);
    // at 700 m it is 13.8 dB stronger
    expect(walk(a3, 700)).toBe(1);
    // and back at 480 m cell 0 is only 1.3 dB stronger: the user stays on cell 1
    expect(walk(a3, 480)).toBe(1);
    expect(walk(none, 480)).toBe(0);
    // a cell that leaves range is left at once, whatever the margin
    const ranged = net({ servers: servers({ range: '600 m', handover_hysteresis: '20 dB' }) }).net;
    expect(walk(ranged, 550)).toBe(0);
    expect(walk(ranged, 650)).toBe(1);
  });

  it('an aborted transfer never completes', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    const f = n.uplink(0, 0, 1e6, sink, 9);
    engine.run(0.01);
    // 5 ms of latency, then 5 ms at the phone's rate: that much was delivered, and only that is counted
    const sent = n.abort(f);
    expect(sent).toBeCloseTo((0.005 * n.peakRateUp(0, 0)) / 8, 3);
    expect(n.bitsUp).toBeCloseTo(sent * 8, 3);
    engine.run();
    expect(sink.done.has(9)).toBe(false);
  });

  it('a transfer aborted during its latency never starts, and its reused flow id is not disturbed', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    const rate = n.peakRateDown(0, 0);
    const f = n.downlink(0, 0, 1e6, sink, 1);
    engine.run(0.002); // inside the 5 ms radio latency
    n.abort(f);
    const g = n.downlink(0, 0, 1e6, sink, 2);
    expect(g).toBe(f); // the flow id is recycled
    engine.run();
    expect(sink.done.has(1)).toBe(false);
    expect(sink.done.get(2)).toBeCloseTo(0.002 + 0.005 + 8e6 / rate, 9);
  });

  it('a backhaul transfer to its own node completes at once and can be aborted before', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    n.backhaul(1, 1, 1e6, sink, 3);
    const f = n.backhaul(0, 0, 1e6, sink, 4);
    n.abort(f);
    engine.run();
    expect(sink.done.get(3)).toBe(0);
    expect(sink.done.has(4)).toBe(false);
    expect(n.backhaulLatency_s(1, 1)).toBe(0);
  });
});
