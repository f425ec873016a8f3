/**
 * Future-event list: a binary min-heap on typed arrays keyed by (time, seq).
 *
 * `seq` is the insertion counter, so events scheduled for the same time leave
 * the heap in FIFO order, which makes runs deterministic. Each heap entry points
 * at a payload slot; payload storage (target object, kind, arg) lives in
 * parallel arrays owned by the engine and is recycled through a free list, so a
 * steady-state run allocates nothing per event.
 */
export class EventHeap {
  private time: Float64Array;
  private seq: Float64Array;
  private slot: Int32Array;
  private n = 0;

  constructor(initialCapacity = 1024) {
    this.time = new Float64Array(initialCapacity);
    this.seq = new Float64Array(initialCapacity);
    this.slot = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest entry; +Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.time[0]! : Number.POSITIVE_INFINITY;
  }

  /** Payload slot of the earliest entry; -1 when empty. */
  peekSlot(): number {
    return this.n > 0 ? this.slot[0]! : -1;
  }

  push(t: number, s: number, payloadSlot: number): void {
    if (this.n === this.time.length) this.grow();
    const time = this.time;
    const seq = this.seq;
    const slot = this.slot;
    // Sift up with a hole, so each level costs one move instead of a swap.
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = time[p]!;
      if (pt < t || (pt === t && seq[p]! < s)) break;
      time[i] = pt;
      seq[i] = seq[p]!;
      slot[i] = slot[p]!;
      i = p;
    }
    time[i] = t;
    seq[i] = s;
    slot[i] = payloadSlot;
  }

  /** Remove the earliest entry and return its payload slot (-1 when empty). */
  pop(): number {
    const n = this.n;
    if (n === 0) return -1;
    const time = this.time;
    const seq = this.seq;
    const slot = this.slot;
    const top = slot[0]!;
    const last = n - 1;
    this.n = last;
    if (last === 0) return top;
    const t = time[last]!;
    const s = seq[last]!;
    const sl = slot[last]!;
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < last) {
        const ct = time[c]!;
        const rt = time[r]!;
        if (rt < ct || (rt === ct && seq[r]! < seq[c]!)) c = r;
      }
      const ct = time[c]!;
      if (t < ct || (t === ct && s < seq[c]!)) break;
      time[i] = ct;
      seq[i] = seq[c]!;
      slot[i] = slot[c]!;
      i = c;
    }
    time[i] = t;
    seq[i] = s;
    slot[i] = sl;
    return top;
  }

  clear(): void {
    this.n = 0;
  }

  private grow(): void {
    const cap = this.time.length * 2;
    const time = new Float64Array(cap);
    time.set(this.time);
    const seq = new Float64Array(cap);
    seq.set(this.seq);
    const slot = new Int32Array(cap);
    slot.set(this.slot);
    this.time = time;
    this.seq = seq;
    this.slot = slot;
  }
}
