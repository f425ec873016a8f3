/**
 * Building blocks on top of the {@link Engine}: a FIFO multi-server queue, a
 * processor-sharing link and a timer. They are event targets themselves
 * (`handle(kind, arg)`), keep their state in typed arrays and allocate nothing
 * per event in steady state.
 */
import type { Engine, EventId, EventTarget } from './engine.ts';
import { TimeWeighted } from './stats.ts';

// ---------------------------------------------------------------- FifoServer

export interface FifoListener {
  /** A job got a server after waiting `wait_s` in the queue (0 when served at once). */
  onStart?(job: number, wait_s: number): void;
  /** A job finished its service. */
  onDone(job: number): void;
}

const FIFO_DONE = 0;

/**
 * `c` identical servers in front of one unbounded FIFO queue (the G/G/c
 * station). Each job brings its own service time. Jobs are numbers chosen by
 * the caller (ids); the queue is a ring buffer on typed arrays that grows by
 * doubling.
 *
 * Callbacks run inside the engine's event: `onDone` is called before the next
 * queued job is started, so a listener may call `request` from `onDone`
 * (closed loops) without jumping the queue.
 */
const FIFO_TRACE_KINDS: readonly string[] = ['service-done'];

export class FifoServer implements EventTarget {
  /** Event kind names in traces. */
  readonly traceKinds = FIFO_TRACE_KINDS;
  readonly servers: number;
  /** Jobs that completed service since the last `resetStats`. */
  completed = 0;
  /** Jobs that started service since the last `resetStats`. */
  started = 0;
  /** Sum of queue waits (s) of the jobs started since the last `resetStats`. */
  totalWait_s = 0;

  private readonly engine: Engine;
  private readonly listener: FifoListener;
  private readonly onStart: boolean;
  private busyCount = 0;
  // Ring buffer: job id, service time, enqueue time.
  private qJob: Float64Array;
  private qService: Float64Array;
  private qSince: Float64Array;
  private qHead = 0;
  private qLen = 0;
  private readonly queueTw: TimeWeighted;
  private readonly busyTw: TimeWeighted;

  constructor(engine: Engine, servers: number, listener: FifoListener, initialQueueCapacity = 64) {
    if (!(Number.isInteger(servers) && servers >= 1)) {
      throw new RangeError(`FifoServer: servers must be an integer >= 1, got ${servers}`);
    }
    this.engine = engine;
    this.servers = servers;
    this.listener = listener;
    this.onStart = typeof listener.onStart === 'function';
    let cap = 4;
    while (cap < initialQueueCapacity) cap *= 2;
    this.qJob = new Float64Array(cap);
    this.qService = new Float64Array(cap);
    this.qSince = new Float64Array(cap);
    this.queueTw = new TimeWeighted(engine.now, 0);
    this.busyTw = new TimeWeighted(engine.now, 0);
  }

  /** Jobs waiting (not in service). */
  get queueLength(): number {
    return this.qLen;
  }

  /** Servers currently busy. */
  get busy(): number {
    return this.busyCount;
  }

  /** Submit `job` needing `service_s` seconds of one server. */
  request(job: number, service_s: number): void {
    if (!(service_s >= 0)) throw new RangeError(`FifoServer.request: service time must be >= 0 s, got ${service_s}`);
    if (this.busyCount < this.servers && this.qLen === 0) {
      this.begin(job, service_s, 0);
      return;
    }
    if (this.qLen === this.qJob.length) this.growQueue();
    const mask = this.qJob.length - 1;
    const i = (this.qHead + this.qLen) & mask;
    this.qJob[i] = job;
    this.qService[i] = service_s;
    this.qSince[i] = this.engine.now;
    this.qLen++;
    this.queueTw.set(this.engine.now, this.qLen);
  }

  handle(_kind: number, job: number): void {
    const now = this.engine.now;
    this.busyCount--;
    this.busyTw.set(now, this.busyCount);
    this.completed++;
    this.listener.onDone(job);
    // Fill freed servers from the queue (onDone may have queued more jobs).
    while (this.busyCount < this.servers && this.qLen > 0) {
      const h = this.qHead;
      const j = this.qJob[h]!;
      const s = this.qService[h]!;
      const since = this.qSince[h]!;
      this.qHead = (h + 1) & (this.qJob.length - 1);
      this.qLen--;
      this.queueTw.set(now, this.qLen);
      this.begin(j, s, now - since);
    }
  }

  /** Time-average number of waiting jobs (Lq) since the last `resetStats`. */
  meanQueueLength(): number {
    return this.queueTw.mean(this.engine.now);
  }

  /** Time-average number of busy servers since the last `resetStats`. */
  meanBusy(): number {
    return this.busyTw.mean(this.engine.now);
  }

  /** Fraction of server capacity in use, time-averaged since the last `resetStats`. */
  utilization(): number {
    return this.busyTw.mean(this.engine.now) / this.servers;
  }

  /** Mean queue wait (s) of jobs started since the last `resetStats`; NaN when none. */
  meanWait(): number {
    return this.started > 0 ? this.totalWait_s / this.started : Number.NaN;
  }

  /** Start a new statistics window now (end of warm-up). The state is kept. */
  resetStats(): void {
    const now = this.engine.now;
    this.queueTw.reset(now);
    this.busyTw.reset(now);
    this.completed = 0;
    this.started = 0;
    this.totalWait_s = 0;
  }

  private begin(job: number, service_s: number, wait_s: number): void {
    this.busyCount++;
    this.busyTw.set(this.engine.now, this.busyCount);
    this.started++;
    this.totalWait_s += wait_s;
    this.engine.schedule(service_s, this, FIFO_DONE, job);
    if (this.onStart) this.listener.onStart!(job, wait_s);
  }

  private growQueue(): void {
    const cap = this.qJob.length;
    const job = new Float64Array(cap * 2);
    const service = new Float64Array(cap * 2);
    const since = new Float64Array(cap * 2);
    for (let k = 0; k < this.qLen; k++) {
      const i = (this.qHead + k) & (cap - 1);
      job[k] = this.qJob[i]!;
      service[k] = this.qService[i]!;
      since[k] = this.qSince[i]!;
    }
    this.qJob = job;
    this.qService = service;
    this.qSince = since;
    this.qHead = 0;
  }
}

// ------------------------------------------------------------------- PsLink

export interface PsListener {
  /** A flow delivered its whole size. */
  onFlowDone(flow: number): void;
}

/** Flows with remaining size below this fraction of their size are finished. */
const PS_SIZE_EPS = 1e-12;
/**
 * Flows due within this relative time of now finish in the same event. It is
 * far above float rounding of the clock (2.2e-16 relative), so a flow never
 * gets rescheduled at a time equal to now.
 */
const PS_TIME_EPS = 1e-12;

/**
 * A processor-sharing resource. The `capacity` (a rate of resource units per
 * second) is split equally among the active flows; each flow converts its
 * share at its own `efficiency`, so its rate is
 * `capacity * efficiency / n_active` (capped at the flow's `maxRate`, with the
 * resource left unused by capped flows shared among the others: max-min fair
 * water-filling in resource units).
 *
 * - A backhaul link: capacity in bit/s, efficiency 1, sizes in bits.
 * - An OFDMA cell: capacity = bandwidth in Hz, efficiency = spectral
 *   efficiency in bit/s/Hz of each user, sizes in bits.
 *
 * Rates change only when a flow joins or leaves, or on `setEfficiency`,
 * `setMaxRate` or `setCapacity`; then every flow's remaining size is brought
 * up to date (O(n_active)) and the single pending completion event is moved.
 * Flow ids are numbers chosen by the caller and must be unique among active
 * flows. A flow with efficiency 0 (a user out of coverage) is not scheduled: it
 * takes no share and waits, until `setEfficiency` raises it or it is aborted.
 *
 * Groups: flows started with the same `group` (>= 0, e.g. one phone's uplink
 * transfers) share one share between them: the capacity is split equally among
 * groups (a flow without a group is its own), and a group's share equally among
 * its flows, each converting it at the group share's efficiency. Caps
 * (water-filling) ignore groups.
 */
const PS_TRACE_KINDS: readonly string[] = ['flow-completion'];

/**
 * Efficiency of a flow as a function of the resource share it gets: `param` is
 * the flow's value given to `start`, `shareFraction` its share over the whole
 * capacity (1 when alone). For a power-limited transmitter (a phone on the
 * uplink) a narrower band concentrates the same power: the per-hertz
 * signal-to-noise ratio grows as 1 / shareFraction.
 */
export type ShareEfficiency = (param: number, shareFraction: number) => number;

export class PsLink implements EventTarget {
  /** Event kind names in traces. */
  readonly traceKinds = PS_TRACE_KINDS;
  /** Total size delivered (all flows, in size units) up to the last update. */
  private servedTotal = 0;

  private readonly engine: Engine;
  private readonly listener: PsListener;
  private capacity: number;
  private n = 0;
  private cappedCount = 0;
  // Dense per-flow state, index = slot in [0, n).
  private ids: Float64Array;
  private remain: Float64Array;
  private size: Float64Array;
  private eff: Float64Array;
  private cap: Float64Array;
  private rateArr: Float64Array;
  private order: Float64Array; // start sequence, to report simultaneous completions in start order
  private grp: Float64Array; // group of the flow, -1 for none
  private startSeq = 0;
  /** Scheduled (efficiency > 0) flows per group, and the number of sharing units: groups with such flows plus ungrouped scheduled flows. */
  private readonly groupFlows = new Map<number, number>();
  private units = 0;
  private readonly slotOf = new Map<number, number>();
  private lastUpdate: number;
  private pendingEvent: EventId = -1;
  // Scratch for the flows finishing in one event: ids and start sequence.
  private doneBuf: Float64Array;
  private doneOrder: Float64Array;
  private pendingDue = Number.NaN;
  private readonly useTw: TimeWeighted;
  private readonly activeTw: TimeWeighted;

  /** Set: each flow's `efficiency` argument is a parameter of this function of its share (see ShareEfficiency). */
  private readonly effOfShare: ShareEfficiency | null;

  constructor(engine: Engine, capacity: number, listener: PsListener, initialFlows = 16, effOfShare: ShareEfficiency | null = null) {
    this.effOfShare = effOfShare;
    if (!(capacity >= 0) || !Number.isFinite(capacity)) {
      throw new RangeError(`PsLink: capacity must be finite and >= 0, got ${capacity}`);
    }
    this.engine = engine;
    this.capacity = capacity;
    this.listener = listener;
    const c = Math.max(4, initialFlows);
    this.ids = new Float64Array(c);
    this.remain = new Float64Array(c);
    this.size = new Float64Array(c);
    this.eff = new Float64Array(c);
    this.cap = new Float64Array(c);
    this.rateArr = new Float64Array(c);
    this.order = new Float64Array(c);
    this.grp = new Float64Array(c);
    this.doneBuf = new Float64Array(c);
    this.doneOrder = new Float64Array(c);
    this.lastUpdate = engine.now;
    this.useTw = new TimeWeighted(engine.now, 0);
    this.activeTw = new TimeWeighted(engine.now, 0);
  }

  /** Number of active flows. */
  get active(): number {
    return this.n;
  }

  /** Current capacity. */
  get capacityNow(): number {
    return this.capacity;
  }

  /** Total size delivered by all flows so far (in size units, e.g. bits). */
  get served(): number {
    let s = this.servedTotal;
    const dt = this.engine.now - this.lastUpdate;
    if (dt > 0) for (let i = 0; i < this.n; i++) s += Math.min(this.remain[i]!, this.rateArr[i]! * dt);
    return s;
  }

  /** Is `flow` active? */
  has(flow: number): boolean {
    return this.slotOf.has(flow);
  }

  /**
   * Start a flow of `size` units. Its rate is its equal share of the capacity
   * times `efficiency`, at most `maxRate` (units/s); flows of one `group` (>= 0) share one share.
   */
  start(flow: number, size: number, efficiency = 1, maxRate = Number.POSITIVE_INFINITY, group = -1): void {
    if (!(size >= 0) || !Number.isFinite(size)) throw new RangeError(`PsLink.start: size must be finite and >= 0, got ${size}`);
    if (!(efficiency >= 0)) throw new RangeError(`PsLink.start: efficiency must be >= 0, got ${efficiency}`);
    if (!(maxRate > 0)) throw new RangeError(`PsLink.start: maxRate must be > 0, got ${maxRate}`);
    if (this.slotOf.has(flow)) throw new Error(`PsLink.start: flow ${flow} is already active`);
    this.advance();
    if (this.n === this.ids.length) this.grow();
    const i = this.n++;
    this.ids[i] = flow;
    this.remain[i] = size;
    this.size[i] = size;
    this.eff[i] = efficiency;
    this.cap[i] = maxRate;
    this.order[i] = this.startSeq++;
    this.grp[i] = group;
    if (maxRate !== Number.POSITIVE_INFINITY) this.cappedCount++;
    this.slotOf.set(flow, i);
    this.enter(i);
    this.reallocate();
  }

  /** Remove `flow` without completing it. Returns its remaining size, or -1 when not active. */
  abort(flow: number): number {
    const i = this.slotOf.get(flow);
    if (i === undefined) return -1;
    this.advance();
    const left = this.remain[i]!;
    this.removeAt(i);
    this.reallocate();
    return left;
  }

  /** Remaining size of `flow` now; -1 when not active. */
  remaining(flow: number): number {
    const i = this.slotOf.get(flow);
    if (i === undefined) return -1;
    const left = this.remain[i]! - this.rateArr[i]! * (this.engine.now - this.lastUpdate);
    return left > 0 ? left : 0;
  }

  /** Current rate of `flow` (units/s); -1 when not active. */
  rate(flow: number): number {
    const i = this.slotOf.get(flow);
    return i === undefined ? -1 : this.rateArr[i]!;
  }

  /** Change a flow's efficiency (e.g. its channel quality changed). */
  setEfficiency(flow: number, efficiency: number): void {
    if (!(efficiency >= 0)) throw new RangeError(`PsLink.setEfficiency: efficiency must be >= 0, got ${efficiency}`);
    const i = this.slotOf.get(flow);
    if (i === undefined) throw new Error(`PsLink.setEfficiency: flow ${flow} is not active`);
    this.advance();
    this.leave(i);
    this.eff[i] = efficiency;
    this.enter(i);
    this.reallocate();
  }

  /** Change a flow's rate cap (units/s; Infinity for none). */
  setMaxRate(flow: number, maxRate: number): void {
    if (!(maxRate > 0)) throw new RangeError(`PsLink.setMaxRate: maxRate must be > 0, got ${maxRate}`);
    const i = this.slotOf.get(flow);
    if (i === undefined) throw new Error(`PsLink.setMaxRate: flow ${flow} is not active`);
    this.advance();
    if (this.cap[i] !== Number.POSITIVE_INFINITY) this.cappedCount--;
    if (maxRate !== Number.POSITIVE_INFINITY) this.cappedCount++;
    this.cap[i] = maxRate;
    this.reallocate();
  }

  /** Change the capacity (e.g. a link degrades). */
  setCapacity(capacity: number): void {
    if (!(capacity >= 0) || !Number.isFinite(capacity)) {
      throw new RangeError(`PsLink.setCapacity: capacity must be finite and >= 0, got ${capacity}`);
    }
    this.advance();
    this.capacity = capacity;
    this.reallocate();
  }

  /**
   * Time-average fraction of the capacity in use since the last `resetStats`
   * (1 whenever an uncapped flow is active).
   */
  utilization(): number {
    return this.useTw.mean(this.engine.now);
  }

  /** Time-average number of active flows since the last `resetStats`. */
  meanActive(): number {
    return this.activeTw.mean(this.engine.now);
  }

  /** Start a new statistics window now. */
  resetStats(): void {
    const now = this.engine.now;
    this.useTw.reset(now);
    this.activeTw.reset(now);
  }

  /** Completion event: every flow that is (within tolerance) finished leaves. */
  handle(_kind: number, _arg: number): void {
    this.pendingEvent = -1;
    this.advance();
    let done = 0;
    const now = this.engine.now;
    for (let i = 0; i < this.n; ) {
      const r = this.remain[i]!;
      const rate = this.rateArr[i]!;
      // Finished, or would finish within a relative hair of now.
      if (r <= PS_SIZE_EPS * this.size[i]! || (rate > 0 && r / rate <= PS_TIME_EPS * (1 + now))) {
        this.servedTotal += r;
        this.remain[i] = 0;
        if (done === this.doneBuf.length) this.growDone();
        this.doneOrder[done] = this.order[i]!;
        this.doneBuf[done++] = this.ids[i]!;
        this.removeAt(i); // moves the last flow into slot i: re-examine i
      } else i++;
    }
    if (done > 1) this.sortDone(done);
    this.reallocate();
    const listener = this.listener;
    for (let k = 0; k < done; k++) listener.onFlowDone(this.doneBuf[k]!);
  }

  /** Bring remaining sizes up to now at the current rates. */
  private advance(): void {
    const now = this.engine.now;
    const dt = now - this.lastUpdate;
    if (dt > 0) {
      const remain = this.remain;
      const rateArr = this.rateArr;
      let served = 0;
      for (let i = 0; i < this.n; i++) {
        const r = remain[i]!;
        const d = rateArr[i]! * dt;
        if (d >= r) {
          served += r;
          remain[i] = 0;
        } else {
          served += d;
          remain[i] = r - d;
        }
      }
      this.servedTotal += served;
    }
    this.lastUpdate = now;
  }

  /** Recompute rates (water-filling when caps exist) and move the completion event. */
  private reallocate(): void {
    const n = this.n;
    const now = this.engine.now;
    const rateArr = this.rateArr;
    const eff = this.eff;
    let used = 0; // resource units in use
    if (n > 0) {
      if (this.cappedCount === 0) {
        const units = this.units;
        const share = units > 0 ? this.capacity / units : 0;
        const f = this.effOfShare;
        const grp = this.grp;
        for (let i = 0; i < n; i++) {
          const e = eff[i]!;
          if (!(e > 0)) {
            rateArr[i] = 0;
            continue;
          }
          const g = grp[i]!;
          const k = g < 0 ? 1 : this.groupFlows.get(g)!;
          rateArr[i] = (share / k) * (f === null ? e : f(e, 1 / units));
        }
        used = units > 0 ? this.capacity : 0;
      } else used = this.waterFill();
    }
    this.useTw.set(now, this.capacity > 0 ? used / this.capacity : 0);
    this.activeTw.set(now, n);
    // Earliest completion.
    let tMin = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const rate = rateArr[i]!;
      const r = this.remain[i]!;
      const t = r <= 0 ? 0 : rate > 0 ? r / rate : Number.POSITIVE_INFINITY;
      if (t < tMin) tMin = t;
    }
    const due = now + tMin;
    if (this.pendingEvent !== -1) {
      if (due === this.pendingDue) return; // already scheduled at that time
      this.engine.cancel(this.pendingEvent);
      this.pendingEvent = -1;
    }
    if (tMin !== Number.POSITIVE_INFINITY) {
      this.pendingEvent = this.engine.schedule(tMin, this, 0, 0);
      this.pendingDue = due;
    }
  }

  /**
   * Max-min fair split of the capacity in resource units: flows whose cap
   * (in resource units: maxRate / efficiency) is below the fair share get
   * their cap; the rest share what is left equally. Returns resource used.
   * Uses rateArr as scratch: -1 marks a flow not yet fixed.
   */
  private waterFill(): number {
    const n = this.n;
    const rateArr = this.rateArr;
    const eff = this.eff;
    const cap = this.cap;
    let left = this.capacity;
    let free = 0;
    for (let i = 0; i < n; i++) {
      const scheduled = eff[i]! > 0;
      rateArr[i] = scheduled ? -1 : 0;
      if (scheduled) free++;
    }
    if (free === 0) return 0;
    const f = this.effOfShare;
    const whole = this.capacity;
    for (;;) {
      const share = left / free;
      let fixedAny = false;
      for (let i = 0; i < n; i++) {
        if (rateArr[i]! >= 0) continue;
        // With a share-dependent efficiency, judged at the current fair share (an approximation for capped flows).
        const e = f === null ? eff[i]! : f(eff[i]!, whole > 0 ? share / whole : 1);
        const need = e > 0 ? cap[i]! / e : Number.POSITIVE_INFINITY; // resource to reach the cap
        if (need <= share) {
          rateArr[i] = cap[i]!;
          left -= need;
          free--;
          fixedAny = true;
        }
      }
      if (!fixedAny || free === 0) {
        if (free > 0) {
          const s = left / free;
          for (let i = 0; i < n; i++) if (rateArr[i]! < 0) rateArr[i] = s * (f === null ? eff[i]! : f(eff[i]!, whole > 0 ? s / whole : 1));
          return this.capacity;
        }
        return this.capacity - left;
      }
    }
  }

  /** Count slot `i` in its sharing unit (when scheduled). */
  private enter(i: number): void {
    if (!(this.eff[i]! > 0)) return;
    const g = this.grp[i]!;
    if (g < 0) {
      this.units++;
      return;
    }
    const k = this.groupFlows.get(g) ?? 0;
    if (k === 0) this.units++;
    this.groupFlows.set(g, k + 1);
  }

  /** Undo `enter(i)`. */
  private leave(i: number): void {
    if (!(this.eff[i]! > 0)) return;
    const g = this.grp[i]!;
    if (g < 0) {
      this.units--;
      return;
    }
    const k = this.groupFlows.get(g)!;
    if (k === 1) {
      this.groupFlows.delete(g);
      this.units--;
    } else this.groupFlows.set(g, k - 1);
  }

  private removeAt(i: number): void {
    this.leave(i);
    const last = --this.n;
    this.slotOf.delete(this.ids[i]!);
    if (this.cap[i] !== Number.POSITIVE_INFINITY) this.cappedCount--;
    if (i !== last) {
      this.ids[i] = this.ids[last]!;
      this.remain[i] = this.remain[last]!;
      this.size[i] = this.size[last]!;
      this.eff[i] = this.eff[last]!;
      this.cap[i] = this.cap[last]!;
      this.rateArr[i] = this.rateArr[last]!;
      this.order[i] = this.order[last]!;
      this.grp[i] = this.grp[last]!;
      this.slotOf.set(this.ids[i]!, i);
    }
  }

  /** Order the finished ids by start sequence (insertion sort: done is small). */
  private sortDone(done: number): void {
    const buf = this.doneBuf;
    const ord = this.doneOrder;
    for (let a = 1; a < done; a++) {
      const id = buf[a]!;
      const o = ord[a]!;
      let b = a - 1;
      while (b >= 0 && ord[b]! > o) {
        buf[b + 1] = buf[b]!;
        ord[b + 1] = ord[b]!;
        b--;
      }
      buf[b + 1] = id;
      ord[b + 1] = o;
    }
  }

  private growDone(): void {
    this.doneBuf = grown(this.doneBuf);
    this.doneOrder = grown(this.doneOrder);
  }

  private grow(): void {
    this.ids = grown(this.ids);
    this.remain = grown(this.remain);
    this.size = grown(this.size);
    this.eff = grown(this.eff);
    this.cap = grown(this.cap);
    this.rateArr = grown(this.rateArr);
    this.order = grown(this.order);
    this.grp = grown(this.grp);
  }
}

/** A copy of `a` with twice the length. */
function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

// -------------------------------------------------------------------- Timer

/**
 * A restartable one-shot timer: `set` (re)arms it, `cancel` disarms it; when
 * it fires it calls `target.handle(kind, arg)`. At most one pending event.
 */
export class Timer implements EventTarget {
  private readonly engine: Engine;
  private readonly target: EventTarget;
  private readonly kind: number;
  private id: EventId = -1;
  private due = Number.NaN;

  constructor(engine: Engine, target: EventTarget, kind = 0) {
    this.engine = engine;
    this.target = target;
    this.kind = kind;
  }

  /** Is the timer armed? */
  get active(): boolean {
    return this.id !== -1;
  }

  /** Absolute time at which it fires; NaN when not armed. */
  get dueAt(): number {
    return this.due;
  }

  /** Arm (or re-arm) to fire after `delay_s` seconds with `arg`. */
  set(delay_s: number, arg = 0): void {
    if (this.id !== -1) this.engine.cancel(this.id);
    this.id = this.engine.schedule(delay_s, this, 0, arg);
    this.due = this.engine.now + delay_s;
  }

  /** Disarm. Returns false when it was not armed. */
  cancel(): boolean {
    if (this.id === -1) return false;
    this.engine.cancel(this.id);
    this.id = -1;
    this.due = Number.NaN;
    return true;
  }

  handle(_kind: number, arg: number): void {
    this.id = -1;
    this.due = Number.NaN;
    this.target.handle(this.kind, arg);
  }
}
