import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine/engine.ts';
import { CLOUD, type TransferOwner } from '../../sim/network/api.ts';
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

  it('on the uplink each phone keeps its whole power on its share of the band: n flows get (B/n) log2(1 + n SNR) each', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    const B = 20e6; // the cell bandwidth (uplink defaults to it)
    const snr = 2 ** (n.peakRateUp(0, 2) / B) - 1; // user 2: 900 m from server 0, a weak, power-limited link
    n.uplink(0, 2, 1e6, sink, 1);
    engine.run();
    expect(sink.done.get(1)).toBeCloseTo(0.005 + 8e6 / (B * Math.log2(1 + snr)), 9);
    const { engine: e2, net: n2 } = net();
    const sink2 = new Sink(e2);
    n2.uplink(0, 2, 1e6, sink2, 1);
    n2.uplink(0, 2, 1e6, sink2, 2);
    e2.run();
    const shared = (B / 2) * Math.log2(1 + 2 * snr);
    expect(sink2.done.get(1)).toBeCloseTo(0.005 + 8e6 / shared, 9);
    // at low SNR two phones barely slow each other (shared / alone close to 1), unlike the downlink's halving
    expect(shared / (B * Math.log2(1 + snr))).toBeGreaterThan(0.75);
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

  it('an aborted transfer never completes', () => {
    const { engine, net: n } = net();
    const sink = new Sink(engine);
    const f = n.uplink(0, 0, 1e6, sink, 9);
    engine.run(0.01);
    n.abort(f);
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
