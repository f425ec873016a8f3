/**
 * Moving blocks over the backhaul to an edge server: for placement (the blocks
 * are stored on arrival) and for requests that miss (the blocks pass through
 * the serving server; keeping them is the replacement policy's call).
 *
 * Each missing block comes from its nearest holder: the server holding it with
 * the lowest backhaul latency to the destination, or the cloud origin when
 * that is nearer (in a star backhaul a peer is two hops via the cloud, so the
 * cloud always wins). Blocks from one source travel as one transfer (a job).
 * A block already on its way to a server is not sent twice: later requests
 * wait for the job that carries it.
 */
import { CLOUD, type NetworkService } from '../../network/api.ts';
import type { TransferOwner } from '../../world/owner.ts';
import type { BlockStores } from './store.ts';

export interface FetchWaiter {
  /** One job this waiter waits on has delivered its blocks. */
  onFetched(tag: number): void;
}

export class Fetcher implements TransferOwner {
  /** Bytes sent over the backhaul (each transfer counted once, whatever its hops). */
  bytesTotal = 0;
  bytesPlacement = 0;
  /** Backhaul bytes into each server. */
  readonly bytesInto: Float64Array;

  private readonly S: number;
  private readonly B: number;
  /** One-way latency (S+1) x (S+1), cloud at index S. */
  private readonly lat: Float64Array;
  /** Job + 1 carrying each server x block, 0 when none. */
  private readonly inflight: Int32Array;
  // Jobs (recycled).
  private jobServer: number[] = [];
  private jobBlocks: number[][] = [];
  private jobBytes: number[] = [];
  private jobPlacement: boolean[] = [];
  private jobHead: number[] = [];
  private jobStamp: number[] = [];
  private freeJobs: number[] = [];
  // Waiter nodes (linked lists per job, recycled).
  private nodeNext: number[] = [];
  private nodeOwner: (FetchWaiter | null)[] = [];
  private nodeTag: number[] = [];
  private freeNode = -1;
  private stamp = 0;
  // Scratch.
  private todo: number[] = [];
  private src: number[] = [];

  constructor(
    private readonly net: NetworkService,
    private readonly store: BlockStores,
  ) {
    const S = (this.S = store.servers);
    this.B = store.B;
    this.bytesInto = new Float64Array(S);
    this.lat = new Float64Array((S + 1) * (S + 1));
    for (let a = 0; a <= S; a++) {
      for (let b = 0; b <= S; b++) this.lat[a * (S + 1) + b] = a === b ? 0 : net.backhaulLatency_s(a === S ? CLOUD : a, b === S ? CLOUD : b);
    }
    this.inflight = new Int32Array(S * this.B);
  }

  /** Is block `b` on its way to server `n`? */
  inFlight(n: number, b: number): boolean {
    return this.inflight[n * this.B + b] !== 0;
  }

  /** The nearest source of block `b` for server `n`: a server index or CLOUD. */
  source(n: number, b: number): number {
    const S = this.S;
    let best = CLOUD;
    let bestLat = this.lat[S * (S + 1) + n]!;
    const present = this.store.present;
    const B = this.B;
    for (let s = 0; s < S; s++) {
      if (s === n || present[s * B + b] === 0) continue;
      const l = this.lat[s * (S + 1) + n]!;
      if (l < bestLat) {
        bestLat = l;
        best = s;
      }
    }
    return best;
  }

  /**
   * Bring `count` blocks (`blocks[0..count)`) to server `n`. Blocks present
   * there are skipped. `waiter.onFetched(tag)` is called once per job waited
   * on; returns how many (0: nothing to wait for). `placement`: store the
   * blocks on arrival (space is reserved now) instead of passing them through.
   */
  fetch(n: number, blocks: ArrayLike<number>, count: number, waiter: FetchWaiter | null, tag: number, placement: boolean): number {
    const stamp = ++this.stamp;
    const B = this.B;
    const todo = this.todo;
    todo.length = 0;
    let waited = 0;
    for (let j = 0; j < count; j++) {
      const b = blocks[j]!;
      const k = n * B + b;
      if (this.store.present[k] === 1) continue;
      const job = this.inflight[k]! - 1;
      if (job >= 0) {
        if (waiter !== null && this.jobStamp[job] !== stamp) {
          this.jobStamp[job] = stamp;
          this.addWaiter(job, waiter, tag);
          waited++;
        }
      } else todo.push(b);
    }
    if (todo.length === 0) return waited;
    const src = this.src;
    src.length = 0;
    for (let j = 0; j < todo.length; j++) src.push(this.source(n, todo[j]!));
    for (let j = 0; j < todo.length; j++) {
      const s = src[j]!;
      if (s === -2) continue;
      const job = this.newJob(n, placement);
      const list = this.jobBlocks[job]!;
      let bytes = 0;
      for (let m = j; m < todo.length; m++) {
        if (src[m] !== s) continue;
        const b = todo[m]!;
        src[m] = -2;
        list.push(b);
        bytes += this.store.blockSize(b);
        this.inflight[n * B + b] = job + 1;
      }
      this.jobBytes[job] = bytes;
      this.jobStamp[job] = stamp;
      if (placement) {
        this.store.reserve(n, bytes);
        this.bytesPlacement += bytes;
      }
      this.bytesTotal += bytes;
      this.bytesInto[n]! += bytes;
      if (waiter !== null) {
        this.addWaiter(job, waiter, tag);
        waited++;
      }
      this.net.backhaul(s, n, bytes, this, job);
    }
    return waited;
  }

  onTransferDone(job: number): void {
    const n = this.jobServer[job]!;
    const blocks = this.jobBlocks[job]!;
    const B = this.B;
    const store = this.store;
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j]!;
      const k = n * B + b;
      if (this.inflight[k] === job + 1) this.inflight[k] = 0;
      // Kept when a cached model needs it (placement, or a model cached while it travelled).
      if (store.refs[k]! > 0) store.addBlock(n, b);
    }
    if (this.jobPlacement[job]) store.unreserve(n, this.jobBytes[job]!);
    // Release the job before notifying (waiters may start new fetches).
    let node = this.jobHead[job]!;
    this.jobHead[job] = -1;
    blocks.length = 0;
    this.freeJobs.push(job);
    while (node !== -1) {
      const next = this.nodeNext[node]!;
      const owner = this.nodeOwner[node]!;
      const tag = this.nodeTag[node]!;
      this.nodeOwner[node] = null;
      this.nodeNext[node] = this.freeNode;
      this.freeNode = node;
      owner.onFetched(tag);
      node = next;
    }
  }

  private newJob(n: number, placement: boolean): number {
    const job = this.freeJobs.pop() ?? this.jobServer.length;
    if (job === this.jobServer.length) {
      this.jobBlocks.push([]);
      this.jobHead.push(-1);
      this.jobStamp.push(0);
      this.jobBytes.push(0);
      this.jobPlacement.push(false);
      this.jobServer.push(0);
    }
    this.jobServer[job] = n;
    this.jobPlacement[job] = placement;
    this.jobHead[job] = -1;
    return job;
  }

  private addWaiter(job: number, owner: FetchWaiter, tag: number): void {
    let node = this.freeNode;
    if (node === -1) {
      node = this.nodeNext.length;
      this.nodeNext.push(-1);
      this.nodeOwner.push(null);
      this.nodeTag.push(0);
    } else this.freeNode = this.nodeNext[node]!;
    this.nodeOwner[node] = owner;
    this.nodeTag[node] = tag;
    this.nodeNext[node] = this.jobHead[job]!;
    this.jobHead[job] = node;
  }
}
