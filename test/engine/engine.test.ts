import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine, type EventTarget } from '../../sim/engine/engine.ts';
import { EventHeap } from '../../sim/engine/heap.ts';

/** Records (time, kind, arg) of every delivered event. */
class Recorder implements EventTarget {
  times: number[] = [];
  kinds: number[] = [];
  args: number[] = [];
  constructor(private readonly engine: Engine) {}
  handle(kind: number, arg: number): void {
    this.times.push(this.engine.now);
    this.kinds.push(kind);
    this.args.push(arg);
  }
}

describe('EventHeap', () => {
  it('pops in time order, FIFO among equal times, across growth', () => {
    const h = new EventHeap(2);
    // Times drawn from few values so that many ties occur.
    const n = 5000;
    const t: number[] = [];
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      t.push(x % 37);
      h.push(t[i]!, i, i);
    }
    expect(h.size).toBe(n);
    const expected = [...t.keys()].sort((a, b) => t[a]! - t[b]! || a - b);
    const got: number[] = [];
    while (h.size > 0) {
      expect(h.peekTime()).toBe(t[h.peekSlot()]!);
      got.push(h.pop());
    }
    expect(got).toEqual(expected);
    expect(h.pop()).toBe(-1);
    expect(h.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('Engine', () => {
  it('delivers same-time events in scheduling order', () => {
    const e = new Engine(1);
    const r = new Recorder(e);
    e.schedule(1, r, 0, 1);
    e.schedule(0.5, r, 0, 2);
    e.schedule(1, r, 0, 3);
    e.scheduleAt(1, r, 0, 4);
    e.schedule(0, r, 7, 5);
    e.run();
    expect(r.args).toEqual([5, 2, 1, 3, 4]);
    expect(r.times).toEqual([0, 0.5, 1, 1, 1]);
    expect(r.kinds[0]).toBe(7);
    expect(e.eventsProcessed).toBe(5);
  });

  it('cancel removes an event, once, and ids are not reused across recycling', () => {
    const e = new Engine(1);
    const r = new Recorder(e);
    const a = e.schedule(1, r, 0, 1);
    const b = e.schedule(2, r, 0, 2);
    expect(e.cancel(a)).toBe(true);
    expect(e.cancel(a)).toBe(false);
    e.run();
    expect(r.args).toEqual([2]);
    expect(e.eventsProcessed).toBe(1);
    // b was delivered; its slot gets recycled by the next schedule.
    const c = e.schedule(1, r, 0, 3);
    expect(e.cancel(b)).toBe(false);
    e.run();
    expect(r.args).toEqual([2, 3]);
    expect(e.cancel(c)).toBe(false);
  });

  it('run(until) stops before later events and leaves the clock at until', () => {
    const e = new Engine(1);
    const r = new Recorder(e);
    e.schedule(1, r, 0, 1);
    e.schedule(3, r, 0, 2);
    e.schedule(2, r, 0, 9);
    e.run(2);
    expect(r.args).toEqual([1, 9]); // events at exactly `until` are delivered
    expect(e.now).toBe(2);
    e.run(2.5);
    expect(e.now).toBe(2.5);
    expect(r.args).toEqual([1, 9]);
    e.run();
    expect(r.args).toEqual([1, 9, 2]);
    expect(e.now).toBe(3);
  });

  it('stop() ends run after the current event; step() delivers one', () => {
    const e = new Engine(1);
    const stopper: EventTarget = { handle: () => e.stop() };
    const r = new Recorder(e);
    e.schedule(1, stopper);
    e.schedule(2, r, 0, 1);
    e.run(10);
    expect(e.now).toBe(1);
    expect(r.args).toEqual([]);
    expect(e.step()).toBe(true);
    expect(r.args).toEqual([1]);
    expect(e.step()).toBe(false);
  });

  it('rejects negative delays and times in the past', () => {
    const e = new Engine(1);
    const r = new Recorder(e);
    expect(() => e.schedule(-1, r)).toThrow(RangeError);
    expect(() => e.schedule(Number.NaN, r)).toThrow(RangeError);
    e.schedule(1, r);
    e.run();
    expect(() => e.scheduleAt(0.5, r)).toThrow(RangeError);
  });

  it('property: time never goes back, ties stay FIFO, cancelled events never arrive', () => {
    // Each op schedules an event (delay from a small set, so ties are common),
    // possibly cancels an earlier one, and delivered events may spawn children.
    const op = fc.record({
      delay: fc.constantFrom(0, 0.5, 1, 1.5, 2, 3.25),
      cancelPrev: fc.boolean(),
      children: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const e = new Engine(3, 4);
        let seq = 0;
        const cancelled = new Set<number>();
        const delivered: { t: number; due: number; seq: number }[] = [];
        const due: number[] = [];
        const target: EventTarget = {
          handle(kind: number, arg: number): void {
            delivered.push({ t: e.now, due: due[arg]!, seq: arg });
            for (let k = 0; k < kind; k++) {
              const s = seq++;
              due.push(e.now + 0.25 * (k + 1));
              e.schedule(0.25 * (k + 1), target, 0, s);
            }
          },
        };
        const ids: number[] = [];
        for (const o of ops) {
          const s = seq++;
          due.push(o.delay);
          ids.push(e.schedule(o.delay, target, o.children, s));
          if (o.cancelPrev && ids.length > 1) {
            const victim = ids.length - 2;
            if (e.cancel(ids[victim]!)) cancelled.add(victim);
          }
        }
        e.run();
        for (let i = 0; i < delivered.length; i++) {
          const d = delivered[i]!;
          expect(d.t).toBe(d.due);
          expect(cancelled.has(d.seq) && d.seq < ops.length).toBe(false);
          if (i > 0) {
            const p = delivered[i - 1]!;
            expect(d.t).toBeGreaterThanOrEqual(p.t);
            // seq numbers follow scheduling order, so ties must come out increasing.
            if (d.t === p.t) expect(d.seq).toBeGreaterThan(p.seq);
          }
        }
        const topLevelDelivered = delivered.filter((d) => d.seq < ops.length).length;
        expect(topLevelDelivered).toBe(ops.length - cancelled.size);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
