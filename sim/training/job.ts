/**
 * One training job in the event loop: clients, their devices and data, the
 * round loop, and a small interpreter that runs each entity's "program" (a
 * list of device compute, radio, backhaul and edge-server steps) one step at a
 * time. Schemes (sim/training/schemes.ts) only decide which programs run when.
 *
 * Entities: clients 0..C-1, edge sites C..C+S-1 (aggregation, backhaul to the
 * cloud), the cloud C+S. Each entity has at most one step in flight; a
 * transfer's or job's tag is the entity index, so nothing is allocated per
 * event.
 *
 * Moving users: a radio step goes through the cell that serves the user when
 * the step is issued, while server steps stay at the entity's home site (fixed
 * at launch). Data uplinked through another cell cross the backhaul from that
 * cell to the home site before the next step (or straight to the aggregation
 * node when the next step sends them there), and data for the downlink cross
 * from where they are to the serving cell first. These backhaul legs are
 * counted as backhaul bytes; without mobility there are none.
 */
import type { Engine, EventId, EventTarget } from '../engine/engine.ts';
import type { Table } from '../metrics/recorder.ts';
import { CLOUD, type NetworkService } from '../network/api.ts';
import { STATIC_MOBILITY, type MobilityService } from '../network/mobility.ts';
import type { ComputeJob, EdgeSites } from '../world/compute.ts';
import type { World } from '../world/world.ts';
import type { ModelArch } from '../workload/types.ts';
import { effectiveSteps, type LearningCurve, type ProgressKind } from './progress.ts';
import type { JobSpec, TrainingSpec } from './schema.ts';
import type { TransferOwner } from '../world/owner.ts';

// Step kinds of a program (triplets: kind, amount, extra).
export const DEV = 0; // device compute: amount s, extra J
export const UP = 1; // radio uplink to the serving cell: amount bytes, extra = of which smashed data
export const DOWN = 2; // radio downlink from the serving cell: amount bytes, extra = of which smashed data
export const SRV = 3; // job on the home edge site: amount s of work
export const BH_TO_AGG = 4; // backhaul (where the entity's data are) -> aggregation node: amount bytes (skipped when they coincide)
export const BH_FROM_AGG = 5; // backhaul aggregation node -> the client's serving cell (a site's home)
export const WAIT = 6; // a plain delay (cloud work): amount s
/** Internal: a backhaul leg the interpreter inserts for a moved user (never in a program). */
const RELAY = 7;

/** Builds the Float64Array triplets of a program segment. */
export class Steps {
  private readonly a: number[] = [];
  add(kind: number, amount: number, extra = 0): this {
    if (amount > 0) this.a.push(kind, amount, extra);
    return this;
  }
  build(): Float64Array {
    return Float64Array.from(this.a);
  }
}

/** What an entity runs: `pre`, then `body` `reps` times, then `post`. */
export class Program {
  constructor(
    readonly pre: Float64Array,
    readonly body: Float64Array = EMPTY,
    readonly reps = 0,
    readonly post: Float64Array = EMPTY,
  ) {}
}
const EMPTY = new Float64Array(0);

/** A training scheme bound to one job. */
export interface Scheme {
  readonly progress: ProgressKind;
  /** Sample clients per round with training.sampling_fraction (fl, hfl); else every feasible client joins. */
  readonly sampled: boolean;
  /** Check memory, cut layers and reserve server memory; build programs. Called once. */
  prepare(job: TrainingJob): void;
  startRound(job: TrainingJob, participants: Int32Array, n: number): void;
  /** The program of entity `e` finished. */
  entityDone(job: TrainingJob, e: number): void;
  /** The round deadline passed (only with stragglers: drop). */
  onDeadline?(job: TrainingJob): void;
}

const K_TIMER = 0;
const K_NEXT = 1;
const K_DEADLINE = 2;
// Round counters.
const C_UP = 0; // radio uplink bytes
const C_DOWN = 1; // radio downlink bytes
const C_BH = 2; // backhaul bytes (end to end, once per transfer)
const C_SMASH = 3; // smashed data uplinked
const C_SPLIT = 4; // split traffic of batches (smashed data, gradients, labels)
const C_BATCHES = 5;
const C_ENERGY = 6; // device energy, J
const N_COUNTERS = 7;
const P_NONE = 0;
const P_TIMER = 1;
const P_FLOW = 2;
const P_JOB = 3;

const TRAINING_TRACE_KINDS: readonly string[] = ['timer', 'next', 'deadline'];

export class TrainingJob implements EventTarget, TransferOwner {
  /** Event kind names in traces. */
  readonly traceKinds = TRAINING_TRACE_KINDS;
  readonly engine: Engine;
  readonly net: NetworkService;
  readonly sites: EdgeSites;
  /** Clients, edge sites, cloud. */
  readonly C: number;
  readonly S: number;
  readonly cloudEntity: number;
  /** Per client: user index, device, unit, usable memory, samples, optimizer steps per round. */
  readonly user: Int32Array;
  readonly device: string[];
  readonly unit: string[];
  readonly memory_bytes: Float64Array;
  readonly samples: Int32Array;
  readonly steps: Int32Array;
  /** Per client, set by the scheme: memory its part needs, cut layer (-1 none), feasibility. */
  readonly need_bytes: Float64Array;
  readonly cut: Int32Array;
  readonly reason: string[];
  /** Where FedAvg / centralized training happens: a server index or CLOUD. */
  aggNode: number;

  // Interpreter state per entity.
  private readonly prog: (Program | null)[];
  private readonly seg: Int8Array;
  private readonly pc: Int32Array;
  private readonly rep: Int32Array;
  private readonly home: Int32Array;
  private readonly pend: Int8Array;
  private readonly pendId: Float64Array;
  private readonly opKind: Int8Array;
  private readonly opAmt: Float64Array;
  private readonly opExtra: Float64Array;
  private readonly opBody: Uint8Array;
  private readonly opStart: Float64Array;
  /** Node of the step in flight: the cell of a radio step, the destination of a backhaul step. */
  private readonly opNode: Int32Array;
  /** Node (server or CLOUD) holding the entity's data: where its last uplink landed, or the source of its next downlink. */
  private readonly at: Int32Array;
  /** Bytes uplinked through a cell other than home that still have to reach the home site (or the aggregation node). */
  private readonly carry: Float64Array;

  // Totals per client.
  readonly upBytes: Float64Array;
  readonly downBytes: Float64Array;
  readonly energy_j: Float64Array;
  readonly roundsIn: Int32Array;
  readonly roundsDropped: Int32Array;

  // Round state.
  round = 0;
  private roundStart = 0;
  private participants = 0;
  private dropped = 0;
  /** Counters of the round in progress (indexed by C_UP...) and their sums over completed rounds. */
  private readonly r = new Float64Array(N_COUNTERS);
  private readonly sum = new Float64Array(N_COUNTERS);
  private deadlineEv: EventId = -1;
  private readonly pickBuf: Int32Array;
  private readonly feasibleList: Int32Array;
  private feasibleCount = 0;

  // Run totals.
  roundsDone = 0;
  private sumRoundTime = 0;
  /** Participants summed over completed rounds (client-rounds, dropped clients included). */
  private sumParticipants = 0;
  cumSteps = 0;
  reached_s = Number.NaN;
  roundsToTarget = Number.NaN;
  finished = false;
  /** Steps credited within the round in progress by creditSequential (sequential schemes). */
  private roundCredit = 0;
  private readonly sequential: boolean;
  private readonly mobility: MobilityService;

  /** Reused job record for server steps (their memory is reserved by the scheme beforehand). */
  private readonly srvJob: ComputeJob = { work_s: 0, memory_bytes: 0 };
  private readonly rounds: Table;
  private readonly rng;

  constructor(
    world: World,
    readonly spec: TrainingSpec,
    readonly arch: ModelArch,
    readonly scheme: Scheme,
    readonly curve: LearningCurve,
    clients: { user: Int32Array; device: string[]; unit: string[]; memory_bytes: Float64Array; samples: Int32Array },
    sites: EdgeSites,
  ) {
    this.engine = world.engine;
    this.net = world.need<NetworkService>('network', 'training');
    this.mobility = world.maybe<MobilityService>('mobility') ?? STATIC_MOBILITY;
    this.sequential = scheme.progress === 'sequential';
    this.sites = sites;
    this.rng = world.engine.rng('training:clients:sampling');
    const C = clients.user.length;
    this.C = C;
    this.S = sites.count;
    this.cloudEntity = C + this.S;
    this.user = clients.user;
    this.device = clients.device;
    this.unit = clients.unit;
    this.memory_bytes = clients.memory_bytes;
    this.samples = clients.samples;
    const job = spec.job;
    this.steps = new Int32Array(C);
    for (let c = 0; c < C; c++) this.steps[c] = job.local_steps ?? Math.max(1, Math.ceil((job.local_epochs * clients.samples[c]!) / job.batch));
    this.need_bytes = new Float64Array(C);
    this.cut = new Int32Array(C).fill(-1);
    this.reason = new Array<string>(C).fill('');
    this.aggNode = spec.server.site;
    if (spec.server.site >= this.S) throw new RangeError(`training.server.site ${spec.server.site} does not exist (${this.S} edge servers)`);
    const E = this.cloudEntity + 1;
    this.prog = new Array<Program | null>(E).fill(null);
    this.seg = new Int8Array(E);
    this.pc = new Int32Array(E);
    this.rep = new Int32Array(E);
    this.home = new Int32Array(E);
    this.pend = new Int8Array(E);
    this.pendId = new Float64Array(E);
    this.opKind = new Int8Array(E);
    this.opAmt = new Float64Array(E);
    this.opExtra = new Float64Array(E);
    this.opBody = new Uint8Array(E);
    this.opStart = new Float64Array(E);
    this.opNode = new Int32Array(E);
    this.at = new Int32Array(E);
    this.carry = new Float64Array(E);
    this.upBytes = new Float64Array(C);
    this.downBytes = new Float64Array(C);
    this.energy_j = new Float64Array(C);
    this.roundsIn = new Int32Array(C);
    this.roundsDropped = new Int32Array(C);
    this.pickBuf = new Int32Array(C);
    this.feasibleList = new Int32Array(C);
    this.rounds = world.recorder.table('rounds', [
      'round', 'start_s', 'end_s', 'round_time_s', 'participants', 'dropped', 'uplink_bytes', 'downlink_bytes', 'backhaul_bytes',
      'smashed_uplink_bytes', 'device_energy_j', 'device_energy_j_per_client', 'effective_steps', 'cumulative_steps', 'loss', 'reached_target',
    ]);
  }

  get jobSpec(): JobSpec {
    return this.spec.job;
  }

  /** Mark client `c` infeasible (it never participates) with a reason. */
  infeasible(c: number, reason: string): void {
    if (this.reason[c] === '') this.reason[c] = reason;
  }

  /** Record what client `c` needs on its device; marks it infeasible when above its usable memory. */
  needMemory(c: number, bytes: number, what: string): void {
    this.need_bytes[c] = bytes;
    if (bytes > this.memory_bytes[c]!) {
      this.infeasible(c, `${what} needs ${(bytes / 2 ** 30).toFixed(2)} GiB, device ${this.device[c]} has ${(this.memory_bytes[c]! / 2 ** 30).toFixed(2)} GiB usable`);
    }
  }

  feasible(c: number): boolean {
    return this.reason[c] === '';
  }

  /** Prepare the scheme, then start round 1 at time 0 (when any client is feasible). */
  start(): void {
    this.scheme.prepare(this);
    for (let c = 0; c < this.C; c++) if (this.feasible(c)) this.feasibleList[this.feasibleCount++] = c;
    if (this.feasibleCount > 0) this.engine.schedule(0, this, K_NEXT, 0);
  }

  siteEntity(s: number): number {
    return this.C + s;
  }

  /** Serving cell of client `c` now (its position brought up to date first). */
  cellOf(c: number): number {
    const u = this.user[c]!;
    this.mobility.refresh(u);
    return this.net.servingCell(u);
  }

  /**
   * Run `p` on entity `e` (client, site or cloud) with `home` as its edge site. `dataAt` is the node
   * holding its input data when that is not its home (the device part relayed by the previous
   * client of a sequential scheme, at that client's site): its first downlink crosses the backhaul from there.
   */
  launch(e: number, p: Program, home: number, dataAt = home): void {
    this.prog[e] = p;
    this.seg[e] = 0;
    this.pc[e] = 0;
    this.rep[e] = 0;
    this.home[e] = home;
    this.at[e] = dataAt;
    this.carry[e] = 0;
    this.advance(e);
  }

  /** Is entity e still running its program? */
  busy(e: number): boolean {
    return this.prog[e] !== null;
  }

  /**
   * Drop client `c` from the round: abort its step in flight. What it did until
   * then is charged: the share of a device computation's energy, and for a
   * radio transfer the bytes it had delivered (the network's count) and its
   * radio energy over the time it was active.
   */
  drop(c: number): void {
    if (this.prog[c] === null) return;
    const id = this.pendId[c]!;
    const kind = this.opKind[c]!;
    if (this.pend[c] === P_TIMER) {
      this.engine.cancel(id);
      if (kind === DEV) {
        const frac = (this.engine.now - this.opStart[c]!) / this.opAmt[c]!;
        this.addEnergy(c, this.opExtra[c]! * Math.min(1, frac));
      }
    } else if (this.pend[c] === P_FLOW) {
      const sent = this.net.abort(id);
      // a transfer that sent nothing was never on the air (out of coverage, or still in its latency): no radio energy
      if ((kind === UP || kind === DOWN) && sent > 0) this.chargeRadio(c, kind, sent, this.opExtra[c]! * (sent / this.opAmt[c]!));
    } else if (this.pend[c] === P_JOB) this.sites.site(this.home[c]!).cancel(id);
    this.pend[c] = P_NONE;
    this.prog[c] = null;
    this.dropped++;
    this.roundsDropped[c]!++;
  }

  private addEnergy(c: number, j: number): void {
    this.energy_j[c]! += j;
    this.r[C_ENERGY]! += j;
  }

  /** Count `bytes` of a radio step of client `c` (UP or DOWN; `smashed` of them smashed data) with its energy over the time since it was issued. */
  private chargeRadio(c: number, kind: number, bytes: number, smashed: number): void {
    // airtime after the hop's one-way latency, as inference counts it
    const air = Math.max(0, this.engine.now - this.opStart[c]! - this.net.radioLatency_s());
    const split = this.opBody[c] === 1;
    if (kind === UP) {
      this.r[C_UP]! += bytes;
      this.upBytes[c]! += bytes;
      this.r[C_SMASH]! += smashed;
      this.addEnergy(c, this.net.uplinkEnergy_j(this.user[c]!, bytes, air));
    } else {
      this.r[C_DOWN]! += bytes;
      this.downBytes[c]! += bytes;
      this.addEnergy(c, this.net.downlinkEnergy_j(bytes, air));
    }
    if (split) this.r[C_SPLIT]! += bytes;
  }

  /**
   * Sequential schemes: `steps` optimizer steps on the whole model were done,
   * evenly spread over [from_s, to_s], in the round in progress. When they
   * reach the target, the time is interpolated to the step that reaches it
   * (the round's end is only the fallback of endRound). Federated schemes
   * progress only at aggregations and do not call this.
   */
  creditSequential(steps: number, from_s: number, to_s: number): void {
    const before = this.cumSteps + this.roundCredit;
    this.roundCredit += steps;
    const target = this.curve.steps_to_target;
    if (!Number.isNaN(this.reached_s) || before + steps < target) return;
    const f = steps > 0 ? Math.max(0, target - before) / steps : 1;
    this.reached_s = from_s + f * (to_s - from_s);
    this.roundsToTarget = this.round;
  }

  private advance(e: number): void {
    const p = this.prog[e]!;
    for (;;) {
      const s = this.seg[e]!;
      const arr = s === 0 ? p.pre : s === 1 ? p.body : p.post;
      const i = this.pc[e]!;
      if (s === 1 && this.rep[e]! >= p.reps) {
        this.seg[e] = 2;
        this.pc[e] = 0;
        continue;
      }
      if (i >= arr.length) {
        if (s === 0) {
          this.seg[e] = 1;
          this.pc[e] = 0;
          continue;
        }
        if (s === 1) {
          this.rep[e]!++;
          this.pc[e] = 0;
          if (e < this.C) {
            this.r[C_BATCHES]!++;
            // a sequential scheme's client completes one optimizer step of the whole model per batch
            if (this.sequential) this.creditSequential(1, this.engine.now, this.engine.now);
          }
          continue;
        }
        // data still waiting at another cell go on to the home site before the program ends
        if (this.carry[e]! > 0) return this.relay(e, this.carry[e]!, this.home[e]!);
        this.prog[e] = null;
        this.pend[e] = P_NONE;
        this.scheme.entityDone(this, e);
        return;
      }
      this.pc[e] = i + 3;
      if (this.issue(e, arr[i]!, arr[i + 1]!, arr[i + 2]!, s === 1)) return;
    }
  }

  /** Start a backhaul leg of `bytes` from where entity e's data are to `to` (inserted before the step at pc, which is then issued again). */
  private relay(e: number, bytes: number, to: number): void {
    this.opKind[e] = RELAY;
    this.opAmt[e] = bytes;
    this.opExtra[e] = 0;
    this.opNode[e] = to;
    this.opStart[e] = this.engine.now;
    this.pend[e] = P_FLOW;
    this.pendId[e] = this.net.backhaul(this.at[e]!, to, bytes, this, e);
  }

  /** Start one step; false when it was skipped (nothing to do). */
  private issue(e: number, kind: number, amt: number, extra: number, body: boolean): boolean {
    const home = this.home[e]!;
    // Data uplinked through another cell reach the home site first (a step to the aggregation node takes them there directly).
    if (this.carry[e]! > 0 && kind !== BH_TO_AGG) {
      this.pc[e]! -= 3;
      this.relay(e, this.carry[e]!, home);
      return true;
    }
    this.opKind[e] = kind;
    this.opAmt[e] = amt;
    this.opExtra[e] = extra;
    this.opBody[e] = body ? 1 : 0;
    this.opStart[e] = this.engine.now;
    switch (kind) {
      case DEV:
      case WAIT:
        this.pend[e] = P_TIMER;
        this.pendId[e] = this.engine.schedule(amt, this, K_TIMER, e);
        return true;
      case UP: {
        const cell = this.cellOf(e);
        this.opNode[e] = cell;
        this.pend[e] = P_FLOW;
        this.pendId[e] = this.net.uplink(cell, this.user[e]!, amt, this, e);
        return true;
      }
      case DOWN: {
        const cell = this.cellOf(e);
        if (this.at[e] !== cell) {
          // the data first cross the backhaul to the cell that serves the user now
          this.pc[e]! -= 3;
          this.relay(e, amt, cell);
          return true;
        }
        this.opNode[e] = cell;
        this.pend[e] = P_FLOW;
        this.pendId[e] = this.net.downlink(cell, this.user[e]!, amt, this, e);
        return true;
      }
      case SRV: {
        this.srvJob.work_s = amt;
        const id = this.sites.site(home).start(this.srvJob, this, e);
        this.pend[e] = P_JOB;
        this.pendId[e] = id;
        return true;
      }
      case BH_TO_AGG:
      case BH_FROM_AGG: {
        const agg = e === this.cloudEntity ? CLOUD : this.aggNode;
        const from = kind === BH_TO_AGG ? this.at[e]! : agg;
        const to = kind === BH_TO_AGG ? agg : e < this.C ? this.cellOf(e) : home;
        this.carry[e] = 0;
        this.opNode[e] = to;
        if (kind === BH_FROM_AGG) this.at[e] = to;
        if (from === to) return false;
        this.pend[e] = P_FLOW;
        this.pendId[e] = this.net.backhaul(from, to, amt, this, e);
        return true;
      }
    }
    throw new Error(`training: unknown step kind ${kind}`);
  }

  handle(kind: number, arg: number): void {
    if (kind === K_TIMER) this.complete(arg);
    else if (kind === K_NEXT) this.startRound();
    else if (kind === K_DEADLINE) {
      this.deadlineEv = -1;
      this.scheme.onDeadline?.(this);
    }
  }

  onTransferDone(tag: number): void {
    this.complete(tag);
  }

  private complete(e: number): void {
    this.pend[e] = P_NONE;
    const amt = this.opAmt[e]!;
    const kind = this.opKind[e]!;
    switch (kind) {
      case DEV:
        this.addEnergy(e, this.opExtra[e]!);
        break;
      case UP: {
        this.chargeRadio(e, UP, amt, this.opExtra[e]!);
        const cell = this.opNode[e]!;
        this.at[e] = cell;
        if (cell !== this.home[e]) this.carry[e]! += amt;
        break;
      }
      case DOWN:
        this.chargeRadio(e, DOWN, amt, 0);
        break;
      case SRV:
        this.at[e] = this.home[e]!;
        break;
      case RELAY:
        this.at[e] = this.opNode[e]!;
        this.carry[e] = 0;
        this.r[C_BH]! += amt;
        break;
      case BH_TO_AGG:
      case BH_FROM_AGG:
        this.r[C_BH]! += amt;
        break;
    }
    this.advance(e);
  }

  private startRound(): void {
    this.round++;
    this.roundStart = this.engine.now;
    this.r.fill(0);
    this.roundCredit = 0;
    this.dropped = 0;
    let n = this.feasibleCount;
    const buf = this.pickBuf;
    buf.set(this.feasibleList.subarray(0, n));
    if (this.scheme.sampled && this.spec.sampling_fraction < 1) {
      const k = Math.max(1, Math.round(this.spec.sampling_fraction * n));
      // Partial Fisher-Yates, then sort the pick so clients start in index order.
      for (let i = 0; i < k; i++) {
        const j = i + this.rng.int(n - i);
        const t = buf[i]!;
        buf[i] = buf[j]!;
        buf[j] = t;
      }
      n = k;
      buf.subarray(0, n).sort();
    }
    this.participants = n;
    for (let i = 0; i < n; i++) this.roundsIn[buf[i]!]!++;
    if (this.spec.deadline !== undefined && this.spec.stragglers === 'drop' && this.scheme.onDeadline) {
      this.deadlineEv = this.engine.schedule(this.spec.deadline, this, K_DEADLINE, 0);
    }
    this.scheme.startRound(this, buf, n);
  }

  /**
   * The scheme ends the round after `steps` optimizer steps by `finishers`
   * clients, worth `effective` sequential steps (default: effectiveSteps of the
   * scheme's progress kind).
   */
  endRound(finishers: number, steps: number, effective?: number): void {
    if (this.deadlineEv !== -1) this.engine.cancel(this.deadlineEv);
    this.deadlineEv = -1;
    const now = this.engine.now;
    const eff = effective ?? effectiveSteps(this.scheme.progress, { participants: finishers, steps, non_iid: this.spec.job.dataset.non_iid }, this.spec.progress);
    this.cumSteps += eff;
    const reached = this.cumSteps >= this.curve.steps_to_target;
    if (reached && Number.isNaN(this.reached_s)) {
      this.reached_s = now;
      this.roundsToTarget = this.round;
    }
    const rt = now - this.roundStart;
    this.roundsDone++;
    this.sumRoundTime += rt;
    const r = this.r;
    for (let i = 0; i < N_COUNTERS; i++) this.sum[i]! += r[i]!;
    this.sumParticipants += this.participants;
    this.rounds.row([
      this.round, this.roundStart, now, rt, this.participants, this.dropped, r[C_UP]!, r[C_DOWN]!, r[C_BH]!,
      r[C_SMASH]!, r[C_ENERGY]!, this.participants > 0 ? r[C_ENERGY]! / this.participants : 0, eff, this.cumSteps, this.curve.loss(this.cumSteps), reached,
    ]);
    if ((reached && this.spec.stop_at_target) || this.round >= this.spec.max_rounds) this.finished = true;
    else this.engine.schedule(0, this, K_NEXT, 0);
  }

  /**
   * Means over the completed rounds of the round totals (all clients of the
   * round together), i.e. of the rounds.csv columns round_time_s,
   * uplink_bytes, downlink_bytes, backhaul_bytes, smashed_uplink_bytes and
   * device_energy_j (NaN before the first round).
   */
  meanPerRound(what: 'time' | 'up' | 'down' | 'backhaul' | 'smashed' | 'energy'): number {
    if (this.roundsDone === 0) return Number.NaN;
    const s = this.sum;
    const v = { time: this.sumRoundTime, up: s[C_UP]!, down: s[C_DOWN]!, backhaul: s[C_BH]!, smashed: s[C_SMASH]!, energy: s[C_ENERGY]! }[what];
    return v / this.roundsDone;
  }

  /** Device energy per participating client per round (J): all device energy over all client-rounds (NaN before the first round). */
  energyPerClientRound(): number {
    return this.sumParticipants > 0 ? this.sum[C_ENERGY]! / this.sumParticipants : Number.NaN;
  }

  /** Bytes of the split traffic (smashed data, its gradients, labels) per batch. */
  splitBytesPerBatch(): number {
    return this.sum[C_BATCHES]! > 0 ? this.sum[C_SPLIT]! / this.sum[C_BATCHES]! : Number.NaN;
  }

  infeasibleCount(): number {
    return this.C - this.feasibleCount;
  }

  /** Largest memory need among feasible clients (bytes). */
  peakDeviceMemory(): number {
    let m = 0;
    for (let c = 0; c < this.C; c++) if (this.feasible(c) && this.need_bytes[c]! > m) m = this.need_bytes[c]!;
    return m;
  }
}
