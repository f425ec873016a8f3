import { EventHeap } from './heap.ts';
import { Rng, RngFactory } from './rng.ts';

/**
 * Something that receives events. Entities are long-lived objects that
 * implement `handle`; the `kind` and `arg` numbers tell them what happened, so
 * scheduling an event allocates no closure.
 */
export interface EventTarget {
  handle(kind: number, arg: number): void;
  /** Optional label in event traces (default: the class name). */
  readonly traceName?: string;
  /** Optional names of `kind` values in event traces. */
  readonly traceKinds?: readonly string[];
}

/** Observer of every delivered event (event traces); null when tracing is off. */
export type EventHook = (time_s: number, target: EventTarget, kind: number, arg: number) => void;

/** Opaque handle of a scheduled event, for `cancel`. */
export type EventId = number;

const SLOT_BITS = 2 ** 31;

/**
 * The discrete-event engine: a clock, a future-event list and named random
 * streams. It knows nothing of the models that run on it.
 */
export class Engine {
  /** Current simulated time, in seconds. */
  now = 0;
  /** Called before each delivered event when set (event traces). One null check per event otherwise. */
  onEvent: EventHook | null = null;
  /** Events delivered so far (cancelled ones are not counted). */
  eventsProcessed = 0;

  private readonly heap: EventHeap;
  private readonly rngs: RngFactory;
  private seqCounter = 0;
  /** seqCounter modulo SLOT_BITS, kept incrementally (a float `%` per event is slow). */
  private seqLowCounter = 0;
  private stopped = false;

  // Payload slots, recycled through a free list.
  private targets: (EventTarget | null)[] = [];
  private kinds: Int32Array;
  private args: Float64Array;
  private seqLow: Float64Array;
  private live: Uint8Array;
  private freeSlots: Int32Array;
  private freeTop = 0;
  private slotCount = 0;

  constructor(seed: number | string = 1, initialCapacity = 1024) {
    this.heap = new EventHeap(initialCapacity);
    this.rngs = new RngFactory(seed);
    this.kinds = new Int32Array(initialCapacity);
    this.args = new Float64Array(initialCapacity);
    this.seqLow = new Float64Array(initialCapacity);
    this.live = new Uint8Array(initialCapacity);
    this.freeSlots = new Int32Array(initialCapacity);
  }

  get seed(): number | string {
    return this.rngs.seed;
  }

  /** Number of pending (scheduled, not yet delivered) entries, cancelled ones included. */
  get pending(): number {
    return this.heap.size;
  }

  /** The named random stream, e.g. `rng("user:17:arrivals")`; the same object for the same name. */
  rng(name: string): Rng {
    return this.rngs.get(name);
  }

  /**
   * A fresh named stream that is not kept, for draws made once while building (a user's position,
   * device or initial shadowing): with a million users, kept streams would cost about 0.5 kB each.
   * It draws what `rng(name)` would; ask for its name once, by one method only.
   */
  rngOnce(name: string): Rng {
    return this.rngs.fresh(name);
  }

  /** Schedule `target.handle(kind, arg)` after `delay_s` seconds. */
  schedule(delay_s: number, target: EventTarget, kind = 0, arg = 0): EventId {
    if (!(delay_s >= 0) || delay_s === Number.POSITIVE_INFINITY) throw new RangeError(`schedule: delay must be finite and >= 0 s, got ${delay_s}`);
    return this.push(this.now + delay_s, target, kind, arg);
  }

  /** Schedule at absolute time `time_s` (>= now). */
  scheduleAt(time_s: number, target: EventTarget, kind = 0, arg = 0): EventId {
    if (!(time_s >= this.now)) throw new RangeError(`scheduleAt: time ${time_s} s is before now (${this.now} s)`);
    return this.push(time_s, target, kind, arg);
  }

  /**
   * Cancel a pending event. Returns false when it was already delivered or
   * cancelled. Cancellation is lazy: the heap entry stays and is skipped.
   */
  cancel(id: EventId): boolean {
    const slot = Math.floor(id / SLOT_BITS);
    const low = id - slot * SLOT_BITS;
    if (slot >= this.slotCount || this.live[slot] !== 1 || this.seqLow[slot] !== low) return false;
    this.live[slot] = 2; // cancelled: freed when popped
    this.targets[slot] = null;
    return true;
  }

  /** Stop `run` after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Deliver events in (time, seq) order until the list is empty, `stop()` is
   * called, or the next event lies after `until_s`. The clock ends at
   * `until_s` when that is finite and the run was not stopped early.
   */
  run(until_s = Number.POSITIVE_INFINITY): void {
    this.stopped = false;
    const heap = this.heap;
    while (!this.stopped && heap.size > 0) {
      const t = heap.peekTime();
      if (t > until_s) break;
      const slot = heap.pop();
      const state = this.live[slot];
      const target = this.targets[slot];
      const kind = this.kinds[slot]!;
      const arg = this.args[slot]!;
      this.release(slot);
      if (state !== 1 || target === null || target === undefined) continue;
      this.now = t;
      this.eventsProcessed++;
      if (this.onEvent !== null) this.onEvent(t, target, kind, arg);
      target.handle(kind, arg);
    }
    if (!this.stopped && until_s !== Number.POSITIVE_INFINITY && this.now < until_s) this.now = until_s;
  }

  /** Deliver exactly the next event, if any. Returns false when none remain. */
  step(): boolean {
    const heap = this.heap;
    while (heap.size > 0) {
      const t = heap.peekTime();
      const slot = heap.pop();
      const state = this.live[slot];
      const target = this.targets[slot];
      const kind = this.kinds[slot]!;
      const arg = this.args[slot]!;
      this.release(slot);
      if (state !== 1 || target === null || target === undefined) continue;
      this.now = t;
      this.eventsProcessed++;
      if (this.onEvent !== null) this.onEvent(t, target, kind, arg);
      target.handle(kind, arg);
      return true;
    }
    return false;
  }

  private push(t: number, target: EventTarget, kind: number, arg: number): EventId {
    const slot = this.alloc();
    const seq = this.seqCounter++;
    const low = this.seqLowCounter;
    this.seqLowCounter = low === SLOT_BITS - 1 ? 0 : low + 1;
    this.targets[slot] = target;
    this.kinds[slot] = kind;
    this.args[slot] = arg;
    this.seqLow[slot] = low;
    this.live[slot] = 1;
    this.heap.push(t, seq, slot);
    return slot * SLOT_BITS + low;
  }

  private alloc(): number {
    if (this.freeTop > 0) return this.freeSlots[--this.freeTop]!;
    const slot = this.slotCount++;
    if (slot >= this.kinds.length) this.growSlots();
    this.targets.push(null);
    return slot;
  }

  private release(slot: number): void {
    this.live[slot] = 0;
    this.targets[slot] = null;
    this.freeSlots[this.freeTop++] = slot;
  }

  private growSlots(): void {
    const cap = this.kinds.length * 2;
    const kinds = new Int32Array(cap);
    kinds.set(this.kinds);
    const args = new Float64Array(cap);
    args.set(this.args);
    const seqLow = new Float64Array(cap);
    seqLow.set(this.seqLow);
    const live = new Uint8Array(cap);
    live.set(this.live);
    const free = new Int32Array(cap);
    free.set(this.freeSlots);
    this.kinds = kinds;
    this.args = args;
    this.seqLow = seqLow;
    this.live = live;
    this.freeSlots = free;
  }
}
