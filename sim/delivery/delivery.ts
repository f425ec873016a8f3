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
 * Multicast (Wu, Zeng, Huang, IEEE TWC 2024): in a batch, each block goes once
 * to exactly the requests that need it; blocks wanted by the same set of
 * requests travel together in one transmission, by multicast when those are two
 * or more users, else by unicast (one user's two requests get shared blocks
 * once). Groups thus follow the blocks the members share, not model labels.
 *
 * A request is judged when its transmissions are issued (for multicast, when
 * the window closes; the store may have changed since it arrived): its bytes,
 * those its server has, edge-served when it has them all. A user holding the
 * base (`holds_base`) needs the model's blocks minus the base's shared blocks;
 * when that leaves nothing (it asked for the base itself), no request is made.
 *
 * Statistics count the requests that arrive at or after the warm-up; those
 * still in flight at the end are reported as censored (and as deadline misses
 * when already past the deadline).
 *
 * Request and transmission state live in recycled slots of plain arrays; the
 * network calls back `onTransferDone(tag)` (tag = 2 * tx + part) and the
 * fetcher `onFetched(tx)`, so no closure is made per event.
 */
import type { Engine, EventTarget } from '../engine/engine.ts';
import type { Rng } from '../engine/rng.ts';
import { QuantileSketch } from '../engine/stats.ts';
import type { CachingService } from '../caching/domain.ts';
import { blockGroups, type BlockGroups } from '../caching/placement/common.ts';
import type { FetchWaiter } from '../caching/online/fetch.ts';
import type { RequestSink } from '../caching/online/requests.ts';
import type { Table } from '../metrics/recorder.ts';
import type { NetworkService } from '../network/api.ts';
import type { MobilityService } from '../network/mobility.ts';
import type { DeliveryMode, DeliveryOps } from './modes/common.ts';
import type { DeliverySpec } from './schema.ts';
import type { TransferOwner } from '../world/owner.ts';

/**
 * Columns of downloads.csv, one row per completed download (warm-up arrivals
 * included). `request` is the request's id: its arrival order from 0 over the
 * whole run (warm-up included), unique in the file; rows come in completion
 * order. `group_size` is the largest multicast group (distinct users) the
 * request was in (1: unicast only). `bytes`, `edge_bytes` (of those, held by
 * the server when the request was sent), `backhaul_bytes` = bytes - edge_bytes.
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
  // Results: requests arriving at or after the warm-up.
  completed = 0;
  hits = 0;
  edgeServed = 0;
  deadlineMisses = 0;
  multicastServed = 0;
  bytesNeeded = 0;
  bytesFromEdge = 0;
  /** Requests that arrived at or after the warm-up. */
  arrived = 0;
  /**
   * Requests not issued (after the warm-up) because the user already holds every block of the
   * model (a base it holds, see `holds_base`): no download, in no statistic.
   */
  alreadyHeld = 0;
  /** Requests that arrived over the whole run (the next request id). */
  private seq = 0;
  readonly latency = new QuantileSketch();
  latencySum = 0;

  private readonly S: number;
  private readonly B: number;
  private readonly range_m: number;
  private readonly deadline_s: number;
  /** Index of each model's base model (the unit of `holds_base` draws). */
  private readonly baseOf: Int32Array;
  private readonly bases: number;
  /** Per user x base: 0 not drawn yet, 1 lacks the base, 2 holds it. */
  private readonly holds: Uint8Array;
  private readonly holdRng: Rng[] = [];
  /** Blocks of each model a user holding its base still needs (its blocks minus `held`). */
  private readonly heldNeed: Int32Array[];
  /** Per user: stamp of the transmission being built (distinct receivers). */
  private readonly userStamp: Int32Array;
  private stamp = 0;

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
  /** 1 when the request arrived at or after the warm-up (it counts in the statistics). */
  private rqCounted: number[] = [];
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

  // Multicast scratch: blocks merged by identical model sets (groups); per group
  // touched by a batch, the batch positions needing it as a linked list of nodes.
  private readonly groups: BlockGroups;
  /** Groups of each model a user holding its base still needs. */
  private readonly heldGroups: Int32Array[];
  private readonly gHead: Int32Array;
  private readonly gTail: Int32Array;
  private readonly gCount: Int32Array;
  private readonly nodeNext: number[] = [];
  private readonly nodeMember: number[] = [];
  private readonly touched: number[] = [];
  private readonly members: number[] = [];

  // Scratch.
  private readonly need: number[] = [];

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
    const baseIdx = new Map<string, number>();
    this.baseOf = Int32Array.from(cat.models, (m) => {
      let f = baseIdx.get(m.base);
      if (f === undefined) baseIdx.set(m.base, (f = baseIdx.size));
      return f;
    });
    this.bases = baseIdx.size;
    this.holds = new Uint8Array(spec.holds_base > 0 ? net.userCount * this.bases : 0);
    if (spec.holds_base > 0) for (let u = 0; u < net.userCount; u++) this.holdRng.push(engine.rng(`user:${u}:holds-base`));
    this.heldNeed = cat.models.map((m) => m.blocks.filter((b) => !m.held.includes(b)));
    this.userStamp = new Int32Array(net.userCount);
    this.batch = Array.from({ length: this.S }, () => []);
    this.windowOpen = new Uint8Array(this.S);
    // Groups split so that, for every model, a group is wholly held with the base or not at all.
    this.groups = blockGroups(cat, (b) => {
      let key = '';
      for (const i of cat.blocks[b]!.models) if (cat.models[i]!.held.includes(b)) key += `${i},`;
      return key;
    });
    this.heldGroups = this.groups.modelGroups.map((gs, i) => gs.filter((g) => !cat.models[i]!.held.includes(this.groups.blocks[g]![0]!)));
    this.gHead = new Int32Array(this.groups.count).fill(-1);
    this.gTail = new Int32Array(this.groups.count).fill(-1);
    this.gCount = new Int32Array(this.groups.count);
  }

  // ------------------------------------------------------------ arrivals

  request(user: number, model: number): void {
    const counted = this.engine.now >= this.warmup_s;
    const held = this.holdsBase(user, model) ? 1 : 0;
    if (held === 1 && this.heldNeed[model]!.length === 0) {
      // It holds the whole model: nothing to download, so no request (the planner gives such
      // pairs no demand either).
      if (counted) this.alreadyHeld++;
      return;
    }
    if (counted) this.arrived++;
    this.mobility.refresh(user);
    const rq = this.freeRq.pop() ?? this.rqUser.length;
    this.rqId[rq] = this.seq++;
    this.rqCounted[rq] = counted ? 1 : 0;
    this.rqUser[rq] = user;
    this.rqModel[rq] = model;
    this.rqServer[rq] = this.chooseServer(user, model, held);
    this.rqArrive[rq] = this.engine.now;
    this.rqEdge[rq] = 0;
    this.rqHeld[rq] = held;
    this.rqPending[rq] = 0;
    this.rqGroup[rq] = 1;
    this.rqLive[rq] = 1;
    this.rqBytes[rq] = 0;
    this.rqEdgeBytes[rq] = 0;
    this.mode.arrive(this, rq);
  }

  /**
   * Judge request `rq` as its transmissions are issued (a multicast one waits up to a window, in
   * which replacement may have changed the store): the bytes it needs, how many of them its
   * server has now, and whether that is all of them (an edge hit when in time).
   */
  private judge(rq: number): void {
    const server = this.rqServer[rq]!;
    const model = this.rqModel[rq]!;
    const store = this.caching.store;
    const blocks = this.rqHeld[rq] === 1 ? this.heldNeed[model]! : this.caching.catalog.models[model]!.blocks;
    let bytes = 0;
    let edgeBytes = 0;
    let lacking = 0;
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j]!;
      const s = store.blockSize(b);
      bytes += s;
      if (store.hasBlock(server, b)) edgeBytes += s;
      else lacking += s;
    }
    const edge = lacking === 0;
    this.rqBytes[rq] = bytes;
    this.rqEdgeBytes[rq] = edgeBytes;
    this.rqEdge[rq] = edge ? 1 : 0;
    this.caching.record(server, model, edge, this.engine.now);
  }

  /** Does the user already hold the (shared) blocks of the model's base? Drawn once per user and base model. */
  private holdsBase(user: number, model: number): boolean {
    if (this.holds.length === 0) return false;
    const k = user * this.bases + this.baseOf[model]!;
    if (this.holds[k] === 0) this.holds[k] = this.holdRng[user]!.next() < this.spec.holds_base ? 2 : 1;
    return this.holds[k] === 2;
  }

  /** Bytes of what the user needs that server `n` lacks. */
  private lacking(n: number, model: number, held: number): number {
    const store = this.caching.store;
    if (held === 0 || store.hasModel(n, model)) return store.missingBytes(n, model);
    const need = this.heldNeed[model]!;
    let s = 0;
    for (let j = 0; j < need.length; j++) if (!store.hasBlock(n, need[j]!)) s += store.blockSize(need[j]!);
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
    this.judge(req);
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

  multicastShared(server: number, reqs: readonly number[]): void {
    if (reqs.length === 0) return;
    if (reqs.length === 1) {
      this.unicast(reqs[0]!);
      return;
    }
    const G = this.groups;
    const { gHead, gTail, gCount, nodeNext, nodeMember, touched, members, need } = this;
    // Hold every request until all its transmissions are issued (a transmission with nothing
    // to send completes at once and must not finish the request early).
    for (let j = 0; j < reqs.length; j++) {
      this.judge(reqs[j]!);
      this.rqPending[reqs[j]!]!++;
    }
    // Who needs each block group: batch positions, ascending.
    let nodes = 0;
    touched.length = 0;
    for (let j = 0; j < reqs.length; j++) {
      const r = reqs[j]!;
      const gs = this.rqHeld[r] === 1 ? this.heldGroups[this.rqModel[r]!]! : G.modelGroups[this.rqModel[r]!]!;
      for (let t = 0; t < gs.length; t++) {
        const g = gs[t]!;
        if (gCount[g] === 0) {
          touched.push(g);
          gHead[g] = nodes;
        } else nodeNext[gTail[g]!] = nodes;
        nodeMember[nodes] = j;
        nodeNext[nodes] = -1;
        gTail[g] = nodes;
        gCount[g]!++;
        nodes++;
      }
    }
    // Groups with the same members next to each other (largest sets first): each run of them is
    // one transmission, multicast when two or more users need it, else unicast (one user's two
    // requests for the same blocks get them once).
    touched.sort(this.byMembers);
    for (let s = 0; s < touched.length; ) {
      const g0 = touched[s]!;
      let e = s + 1;
      while (e < touched.length && this.sameMembers(g0, touched[e]!)) e++;
      need.length = 0;
      for (let t = s; t < e; t++) for (const b of G.blocks[touched[t]!]!) need.push(b);
      members.length = 0;
      for (let nd = gHead[g0]!; nd !== -1; nd = nodeNext[nd]!) members.push(reqs[nodeMember[nd]!]!);
      if (members.length >= 2) this.transmit(server, -1, members, need);
      else this.transmit(server, members[0]!, null, need);
      s = e;
    }
    for (const g of touched) {
      gCount[g] = 0;
      gHead[g] = -1;
      gTail[g] = -1;
    }
    for (let j = 0; j < reqs.length; j++) {
      const r = reqs[j]!;
      if (--this.rqPending[r]! === 0) this.finishRequest(r);
    }
  }

  /** Same requests need groups `a` and `b` in the current batch. */
  private sameMembers(a: number, b: number): boolean {
    if (this.gCount[a] !== this.gCount[b]) return false;
    let x = this.gHead[a]!;
    let y = this.gHead[b]!;
    while (x !== -1) {
      if (this.nodeMember[x] !== this.nodeMember[y!]) return false;
      x = this.nodeNext[x]!;
      y = this.nodeNext[y]!;
    }
    return true;
  }

  /** Order of touched groups: more members first, then by member positions, then by index. */
  private readonly byMembers = (a: number, b: number): number => {
    const d = this.gCount[b]! - this.gCount[a]!;
    if (d !== 0) return d;
    let x = this.gHead[a]!;
    let y = this.gHead[b]!;
    while (x !== -1) {
      const m = this.nodeMember[x]! - this.nodeMember[y]!;
      if (m !== 0) return m;
      x = this.nodeNext[x]!;
      y = this.nodeNext[y]!;
    }
    return a - b;
  };

  /** Blocks request `req` must receive (its model's, minus a held base). */
  private neededBlocks(req: number, out: number[]): void {
    out.length = 0;
    const model = this.rqModel[req]!;
    const blocks = this.rqHeld[req] === 1 ? this.heldNeed[model]! : this.caching.catalog.models[model]!.blocks;
    for (let j = 0; j < blocks.length; j++) out.push(blocks[j]!);
  }

  // ------------------------------------------------------ transmissions

  /**
   * Send `blocks` from `server` to request `req`, or to the requests of `group`: by multicast
   * when they are two or more users (each user receives once), else by unicast.
   */
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
    const stamp = ++this.stamp;
    for (const r of reqs) {
      const u = this.rqUser[r]!;
      if (this.userStamp[u] !== stamp) {
        this.userStamp[u] = stamp;
        users.push(u);
      }
      this.rqPending[r]!++;
    }
    if (users.length >= 2) for (const r of reqs) if (this.rqGroup[r]! < users.length) this.rqGroup[r] = users.length;
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
    // A user holding the base received (and the server passed on) only the blocks beyond it.
    if (!edge) this.caching.admit(server, model, now, this.rqHeld[r] === 0);
    const hit = edge && lat <= this.deadline_s;
    if (this.rqCounted[r] === 1) {
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
    if (this.mode.flush) this.mode.flush(this, server, reqs);
    else for (const r of reqs) this.unicast(r);
    reqs.length = 0;
  }

  /** Counted requests still in flight at the end that are already past their deadline (counted as misses). */
  overdue(): number {
    const now = this.engine.now;
    let c = 0;
    for (let r = 0; r < this.rqLive.length; r++) if (this.rqLive[r] === 1 && this.rqCounted[r] === 1 && now - this.rqArrive[r]! > this.deadline_s) c++;
    return c;
  }

  /** Counted requests still in flight at the end (right-censored: not in the latency statistics). */
  inFlight(): number {
    let c = 0;
    for (let r = 0; r < this.rqLive.length; r++) if (this.rqLive[r] === 1 && this.rqCounted[r] === 1) c++;
    return c;
  }
}
