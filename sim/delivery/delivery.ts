/**
 * Model delivery in the event loop. A request (user, model) is served by the
 * in-range server with the best downlink among those holding every block the
 * user needs; when none does, by the in-range server lacking the fewest bytes,
 * whose missing blocks come over the backhaul (only those, from the nearest
 * holders or the cloud, see caching/online/fetch.ts).
 *
 * A transmission carries some blocks from one server to one user (unicast) or
 * to a group (multicast, at the worst member's rate). The bytes the server
 * holds go at once; the fetched bytes follow when both the first part and the
 * fetch are done. A request completes when all its transmissions have.
 *
 * Request and transmission state live in recycled slots of plain arrays; the
 * network calls back `onTransferDone(tag)` (tag = 2 * tx + part) and the
 * fetcher `onFetched(tx)`, so no closure is made per event.
 */
import type { Engine, EventTarget } from '../engine/engine.ts';
import type { Rng } from '../engine/rng.ts';
import { QuantileSketch } from '../engine/stats.ts';
import type { CachingService } from '../caching/domain.ts';
import type { FetchWaiter } from '../caching/online/fetch.ts';
import type { RequestSink } from '../caching/online/requests.ts';
import type { Table } from '../metrics/recorder.ts';
import type { NetworkService, TransferOwner } from '../network/api.ts';
import type { MobilityService } from '../network/mobility.ts';
import type { DeliveryMode, DeliveryOps } from './modes/common.ts';
import type { DeliverySpec } from './schema.ts';

/**
 * Columns of downloads.csv, one row per completed download. `request` is the
 * request's id: its arrival order from 0 over the whole run (warm-up
 * included), unique in the file; rows come in completion order.
 */
export const DOWNLOAD_COLUMNS = [
  'request',
  'user',
  'model',
  'server',
  'arrival_s',
  'download_latency_s',
  'mode',
  'group_size',
  'bytes',
  'edge_bytes',
  'backhaul_bytes',
  'edge_served',
  'hit',
] as const;

const WINDOW = 0;

const DELIVERY_TRACE_KINDS: readonly string[] = ['batching-window'];

export class Delivery implements EventTarget, TransferOwner, FetchWaiter, RequestSink, DeliveryOps {
  /** Event kind names in traces. */
  readonly traceKinds = DELIVERY_TRACE_KINDS;
  // Results (requests completing at or after warm-up).
  completed = 0;
  hits = 0;
  edgeServed = 0;
  deadlineMisses = 0;
  multicastServed = 0;
  bytesNeeded = 0;
  bytesFromEdge = 0;
  arrived = 0;
  readonly latency = new QuantileSketch();
  latencySum = 0;

  private readonly S: number;
  private readonly B: number;
  private readonly range_m: number;
  private readonly deadline_s: number;
  private readonly family: Int32Array;
  private readonly families: number;
  /** Per user x family: 0 not drawn yet, 1 lacks the base, 2 holds it. */
  private readonly holds: Uint8Array;
  private readonly holdRng: Rng[] = [];
  private readonly shared: Uint8Array;

  // Request slots (recycled); rqId is the request's own id (arrival order from 0, never reused).
  private rqId: number[] = [];
  private rqUser: number[] = [];
  private rqModel: number[] = [];
  private rqServer: number[] = [];
  private rqArrive: number[] = [];
  private rqEdge: number[] = [];
  private rqHeld: number[] = [];
  private rqPending: number[] = [];
  private rqBytes: number[] = [];
  private rqEdgeBytes: number[] = [];
  private rqGroup: number[] = [];
  private rqLive: number[] = [];
  private freeRq: number[] = [];

  // Transmission slots.
  private txServer: number[] = [];
  private txReqs: number[][] = [];
  private txUsers: number[][] = [];
  private txMissing: number[][] = [];
  private txPresentBytes: number[] = [];
  private txMissingBytes: number[] = [];
  private txFetch: number[] = [];
  private txFirstDone: number[] = [];
  private txSecondStarted: number[] = [];
  private freeTx: number[] = [];

  // Multicast batching per server.
  private readonly batch: number[][];
  private readonly windowOpen: Uint8Array;

  // Scratch.
  private readonly need: number[] = [];
  private readonly blockCount: Int32Array;
  private readonly mark: Uint8Array;
  private readonly famGroups: number[][];

  constructor(
    private readonly engine: Engine,
    private readonly net: NetworkService,
    private readonly caching: CachingService,
    private readonly mobility: MobilityService,
    private readonly mode: DeliveryMode,
    private readonly spec: DeliverySpec,
    private readonly table: Table | null,
    private readonly warmup_s: number,
  ) {
    const cat = caching.catalog;
    this.S = net.serverCount;
    this.B = cat.blockCount;
    this.range_m = caching.reach.range_m;
    this.deadline_s = caching.spec.demand.deadline;
    const famIdx = new Map<string, number>();
    this.family = Int32Array.from(cat.models, (m) => {
      let f = famIdx.get(m.family);
      if (f === undefined) famIdx.set(m.family, (f = famIdx.size));
      return f;
    });
    this.families = famIdx.size;
    this.holds = new Uint8Array(spec.holds_base > 0 ? net.userCount * this.families : 0);
    if (spec.holds_base > 0) for (let u = 0; u < net.userCount; u++) this.holdRng.push(engine.rng(`user:${u}:holds-base`));
    this.shared = Uint8Array.from(cat.blocks, (_, b) => (cat.isShared(b) ? 1 : 0));
    this.batch = Array.from({ length: this.S }, () => []);
    this.windowOpen = new Uint8Array(this.S);
    this.blockCount = new Int32Array(this.B);
    this.mark = new Uint8Array(this.B);
    this.famGroups = Array.from({ length: this.families }, () => []);
  }

  // ------------------------------------------------------------ arrivals

  request(user: number, model: number): void {
    this.arrived++;
    this.mobility.refresh(user);
    const rq = this.freeRq.pop() ?? this.rqUser.length;
    this.rqId[rq] = this.arrived - 1;
    const held = this.holdsBase(user, model) ? 1 : 0;
    const server = this.chooseServer(user, model, held);
    const edge = this.lacking(server, model, held) === 0;
    this.rqUser[rq] = user;
    this.rqModel[rq] = model;
    this.rqServer[rq] = server;
    this.rqArrive[rq] = this.engine.now;
    this.rqEdge[rq] = edge ? 1 : 0;
    this.rqHeld[rq] = held;
    this.rqPending[rq] = 0;
    this.rqGroup[rq] = 1;
    this.rqLive[rq] = 1;
    // Bytes the user needs, and how many of them the server has now.
    let bytes = 0;
    let edgeBytes = 0;
    const store = this.caching.store;
    for (const b of this.caching.catalog.models[model]!.blocks) {
      if (held === 1 && this.shared[b] === 1) continue;
      const s = store.blockSize(b);
      bytes += s;
      if (store.hasBlock(server, b)) edgeBytes += s;
    }
    this.rqBytes[rq] = bytes;
    this.rqEdgeBytes[rq] = edgeBytes;
    this.caching.record(server, model, edge, this.engine.now);
    this.mode.arrive(this, rq);
  }

  private holdsBase(user: number, model: number): boolean {
    if (this.holds.length === 0) return false;
    const k = user * this.families + this.family[model]!;
    if (this.holds[k] === 0) this.holds[k] = this.holdRng[user]!.next() < this.spec.holds_base ? 2 : 1;
    return this.holds[k] === 2;
  }

  /** Bytes of what the user needs that server `n` lacks. */
  private lacking(n: number, model: number, held: number): number {
    const store = this.caching.store;
    if (held === 0) return store.missingBytes(n, model);
    if (store.hasModel(n, model)) return 0;
    let s = 0;
    for (const b of this.caching.catalog.models[model]!.blocks) if (this.shared[b] === 0 && !store.hasBlock(n, b)) s += store.blockSize(b);
    return s;
  }

  /** Best-rate in-range holder; else the in-range server lacking the fewest bytes (best rate among equals); else the serving cell. */
  private chooseServer(user: number, model: number, held: number): number {
    const net = this.net;
    let best = -1;
    let bestLack = Infinity;
    let bestRate = -1;
    for (let n = 0; n < this.S; n++) {
      if (net.distance(user, n) > this.range_m) continue;
      const lack = this.lacking(n, model, held);
      if (lack > bestLack) continue;
      const rate = net.peakRateDown(n, user);
      if (lack < bestLack || rate > bestRate) {
        best = n;
        bestLack = lack;
        bestRate = rate;
      }
    }
    return best >= 0 ? best : net.servingCell(user);
  }

  // ------------------------------------------------------- DeliveryOps

  unicast(req: number): void {
    this.neededBlocks(req, this.need);
    this.transmit(this.rqServer[req]!, req, null, this.need);
  }

  enqueue(req: number): void {
    const n = this.rqServer[req]!;
    this.batch[n]!.push(req);
    if (this.windowOpen[n] === 0) {
      this.windowOpen[n] = 1;
      this.engine.schedule(this.spec.window, this, WINDOW, n);
    }
  }

  multicastByFamily(server: number, reqs: readonly number[]): void {
    const groups = this.famGroups;
    for (const g of groups) g.length = 0;
    for (const r of reqs) groups[this.family[this.rqModel[r]!]!]!.push(r);
    const count = this.blockCount;
    const mark = this.mark;
    const need = this.need;
    for (const members of groups) {
      if (members.length === 0) continue;
      if (members.length === 1) {
        this.unicast(members[0]!);
        continue;
      }
      // Blocks two or more members need go once, to every member needing any of them.
      for (const r of members) {
        this.neededBlocks(r, need);
        for (const b of need) count[b]!++;
      }
      const common: number[] = [];
      const recipients: number[] = [];
      for (const r of members) {
        this.neededBlocks(r, need);
        let any = false;
        for (const b of need) {
          if (count[b]! < 2) continue;
          any = true;
          if (mark[b] === 0) {
            mark[b] = 1;
            common.push(b);
          }
        }
        if (any) recipients.push(r);
      }
      if (recipients.length >= 2) {
        for (const r of recipients) this.rqGroup[r] = recipients.length;
        this.transmit(server, -1, recipients, common);
      }
      // The rest of each member's blocks, unicast.
      for (const r of members) {
        this.neededBlocks(r, need);
        let k = 0;
        for (const b of need) {
          count[b] = 0;
          if (mark[b] === 0) need[k++] = b;
        }
        need.length = k;
        if (k > 0 || this.rqPending[r] === 0) this.transmit(server, r, null, need);
      }
      for (const b of common) mark[b] = 0;
    }
  }

  /** Blocks request `req` must receive (its model's, minus a held base). */
  private neededBlocks(req: number, out: number[]): void {
    out.length = 0;
    const held = this.rqHeld[req] === 1;
    for (const b of this.caching.catalog.models[this.rqModel[req]!]!.blocks) if (!(held && this.shared[b] === 1)) out.push(b);
  }

  // ------------------------------------------------------ transmissions

  /** Send `blocks` from `server` to request `req` (unicast) or to `group` (multicast). */
  private transmit(server: number, req: number, group: number[] | null, blocks: readonly number[]): void {
    const tx = this.freeTx.pop() ?? this.txServer.length;
    if (tx === this.txServer.length) {
      this.txReqs.push([]);
      this.txUsers.push([]);
      this.txMissing.push([]);
    }
    const reqs = this.txReqs[tx]!;
    const users = this.txUsers[tx]!;
    const missing = this.txMissing[tx]!;
    reqs.length = 0;
    users.length = 0;
    missing.length = 0;
    if (group === null) reqs.push(req);
    else for (const r of group) reqs.push(r);
    for (const r of reqs) {
      users.push(this.rqUser[r]!);
      this.rqPending[r]!++;
    }
    const store = this.caching.store;
    let present = 0;
    let lacking = 0;
    for (const b of blocks) {
      if (store.hasBlock(server, b)) present += store.blockSize(b);
      else {
        missing.push(b);
        lacking += store.blockSize(b);
      }
    }
    this.txServer[tx] = server;
    this.txPresentBytes[tx] = present;
    this.txMissingBytes[tx] = lacking;
    this.txFirstDone[tx] = 0;
    this.txSecondStarted[tx] = 0;
    this.txFetch[tx] = missing.length > 0 ? this.caching.fetcher.fetch(server, missing, missing.length, this, tx, false) : 0;
    if (present > 0) this.send(tx, 0, present);
    else {
      this.txFirstDone[tx] = 1;
      this.advance(tx);
    }
  }

  private send(tx: number, part: number, bytes: number): void {
    const users = this.txUsers[tx]!;
    const server = this.txServer[tx]!;
    if (users.length === 1) this.net.downlink(server, users[0]!, bytes, this, 2 * tx + part);
    else this.net.multicast(server, users, bytes, this, 2 * tx + part);
  }

  private advance(tx: number): void {
    if (this.txFirstDone[tx] === 0 || this.txFetch[tx]! > 0 || this.txSecondStarted[tx] === 1) return;
    if (this.txMissingBytes[tx]! > 0) {
      this.txSecondStarted[tx] = 1;
      this.send(tx, 1, this.txMissingBytes[tx]!);
    } else this.finishTx(tx);
  }

  onTransferDone(tag: number): void {
    const tx = tag >> 1;
    if ((tag & 1) === 0) {
      this.txFirstDone[tx] = 1;
      this.advance(tx);
    } else this.finishTx(tx);
  }

  onFetched(tx: number): void {
    this.txFetch[tx]!--;
    this.advance(tx);
  }

  private finishTx(tx: number): void {
    const reqs = this.txReqs[tx]!;
    this.freeTx.push(tx);
    for (let j = 0; j < reqs.length; j++) {
      const r = reqs[j]!;
      if (--this.rqPending[r]! === 0) this.finishRequest(r);
    }
  }

  private finishRequest(r: number): void {
    const now = this.engine.now;
    const lat = now - this.rqArrive[r]!;
    const server = this.rqServer[r]!;
    const model = this.rqModel[r]!;
    const edge = this.rqEdge[r] === 1;
    if (!edge) this.caching.admit(server, model, now);
    const hit = edge && lat <= this.deadline_s;
    if (now >= this.warmup_s) {
      this.completed++;
      if (hit) this.hits++;
      if (edge) this.edgeServed++;
      if (lat > this.deadline_s) this.deadlineMisses++;
      if (this.rqGroup[r]! > 1) this.multicastServed++;
      this.bytesNeeded += this.rqBytes[r]!;
      this.bytesFromEdge += this.rqEdgeBytes[r]!;
      this.latency.add(lat);
      this.latencySum += lat;
    }
    if (this.table !== null) {
      this.table.row([
        this.rqId[r]!,
        this.rqUser[r]!,
        this.caching.catalog.models[model]!.id,
        server,
        this.rqArrive[r]!,
        lat,
        this.rqGroup[r]! > 1 ? 'multicast' : 'unicast',
        this.rqGroup[r]!,
        this.rqBytes[r]!,
        this.rqEdgeBytes[r]!,
        this.rqBytes[r]! - this.rqEdgeBytes[r]!,
        edge,
        hit,
      ]);
    }
    this.rqLive[r] = 0;
    this.freeRq.push(r);
  }

  /** Batching window of a server closed. */
  handle(_kind: number, server: number): void {
    this.windowOpen[server] = 0;
    const reqs = this.batch[server]!;
    this.batch[server] = [];
    if (this.mode.flush) this.mode.flush(this, server, reqs);
    else for (const r of reqs) this.unicast(r);
  }

  /** Requests still in flight at the end that are already past their deadline (counted as misses). */
  overdue(): number {
    const now = this.engine.now;
    let c = 0;
    for (let r = 0; r < this.rqLive.length; r++) if (this.rqLive[r] === 1 && now - this.rqArrive[r]! > this.deadline_s) c++;
    return c;
  }
}
