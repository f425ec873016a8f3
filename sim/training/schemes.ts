/**
 * Training schemes (registry `trainingScheme`, scenario key training.scheme).
 * Each is a small state machine over the programs of sim/training/job.ts:
 *
 * - centralized: every client uploads its raw data once (round 1), the edge
 *   server (training.server.site) trains the whole model on the pool.
 * - fl: FedAvg. Per round the sampled clients download the trainable
 *   parameters, run their local steps, upload; the aggregator (an edge
 *   server, or the cloud over the backhaul) averages. Deadline with
 *   stragglers dropped or waited for.
 * - hfl: clients aggregate at their serving edge every tau1 local rounds
 *   (one "round" here = one edge aggregation); every tau2 edge rounds the
 *   edges exchange models with the cloud over the backhaul. Between cloud
 *   aggregations progress is credited per site (hierarchicalEffectiveSteps).
 * - sl: vanilla split learning at the cut: clients take turns; per batch
 *   device forward, smashed data (+ labels) up, server forward+backward,
 *   gradients down, device backward; the device-side trainable part is
 *   relayed (up, then down to the next client).
 * - sfl: split learning with clients in parallel and FedAvg of the
 *   device-side parts every round.
 * - psl: parallel, no device-side aggregation.
 * - ushape: head and tail on the device (labels stay there), the middle on
 *   the server: four transfers per batch; clients take turns like sl.
 * - With the MeZO optimizer every split scheme runs two forward passes per
 *   batch and no backward: two smashed uploads, no gradients back (mezoBatch).
 *
 * Server work runs on the edge sites (shared with inference).
 */
import { unitCtx } from '../hardware/predict.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import { phaseCost } from '../hardware/roofline.ts';
import { CLOUD } from '../network/api.ts';
import { Registry } from '../common/registry.ts';
import { trainableParams, type Peft } from '../workload/training.ts';
import { labelsBytesPerBatch, partCost, prunedJob, smashedBytesPerBatch, updateBytes, type Part, type PartCost } from './costs.ts';
import { hierarchicalEffectiveSteps } from './progress.ts';
import { BH_FROM_AGG, BH_TO_AGG, DEV, DOWN, Program, SRV, Steps, UP, WAIT, type Scheme, type TrainingJob } from './job.ts';

export const trainingSchemes = new Registry<() => Scheme>('trainingScheme', 'training.scheme');

/** Seconds of FedAvg on an edge site's accelerator: read K updates and write one, elementwise. */
export function aggregationWork_s(job: TrainingJob, site: number, updates: number, params: number): number {
  if (updates <= 0 || params <= 0) return 0;
  const s = job.sites.site(Math.max(0, site));
  const ctx = unitCtx(s.device, s.unit as UnitName, undefined, job.jobSpec.weight_bits);
  const bytes = (params * job.jobSpec.train_bits) / 8;
  return phaseCost(
    [{ name: 'fedavg', kind: 'elementwise', repeat: 1, flops: 2 * updates * params, weight_bytes: (updates + 1) * bytes, kv_read_bytes: 0, kv_write_bytes: 0, act_bytes: 0, compute_dtype: 'fp32' }],
    ctx,
  ).time_s;
}

function wholeModel(job: TrainingJob, c: number): PartCost {
  return partCost(job.arch, job.jobSpec, job.device[c]!, job.unit[c]!);
}

// ------------------------------------------------------------- centralized

class Centralized implements Scheme {
  readonly progress = 'sequential' as const;
  readonly sampled = false;
  private progs: Program[] = [];
  private pending = 0;
  private n = 0;
  private steps = 0;
  private step_s = 0;
  private trainStart = 0;

  prepare(job: TrainingJob): void {
    const site = job.sites.site(job.spec.server.site);
    const cost = partCost(job.arch, job.jobSpec, site.device, site.unit);
    this.step_s = cost.fwd_s + cost.bwd_s;
    const ok = site.reserve(cost.peak_bytes);
    const js = job.jobSpec;
    for (let c = 0; c < job.C; c++) {
      if (!ok) job.infeasible(c, `server ${site.server} (${site.device}) cannot hold the job: ${(cost.peak_bytes / 2 ** 30).toFixed(2)} GiB`);
      const raw = job.samples[c]! * js.seq * job.spec.raw_bytes_per_token;
      this.progs.push(new Program(new Steps().add(UP, raw).add(BH_TO_AGG, raw).build()));
    }
  }

  startRound(job: TrainingJob, parts: Int32Array, n: number): void {
    this.n = n;
    this.steps = 0;
    for (let i = 0; i < n; i++) this.steps += job.steps[parts[i]!]!;
    if (job.round > 1) return this.train(job);
    this.pending = n;
    for (let i = 0; i < n; i++) job.launch(parts[i]!, this.progs[parts[i]!]!, job.cellOf(parts[i]!));
  }

  private train(job: TrainingJob): void {
    const s = job.spec.server.site;
    this.trainStart = job.engine.now;
    job.launch(job.siteEntity(s), new Program(new Steps().add(SRV, this.steps * this.step_s).build()), s);
  }

  entityDone(job: TrainingJob, e: number): void {
    if (e < job.C) {
      if (--this.pending === 0) this.train(job);
      return;
    }
    // the round's steps ran one after another in the server job just finished
    job.creditSequential(this.steps, this.trainStart, job.engine.now);
    job.endRound(this.n, this.steps);
  }
}

// ---------------------------------------------------------------------- fl

/** Per-client program of federated schemes: [backhaul down, radio down, local compute, radio up, backhaul up]. */
function fedProgram(job: TrainingJob, c: number, bytes: number, localRounds: number, backhaul: boolean): Program {
  const cost = wholeModel(job, c);
  const k = job.steps[c]! * localRounds;
  const bh = backhaul ? bytes : 0;
  return new Program(
    new Steps()
      .add(BH_FROM_AGG, bh)
      .add(DOWN, bytes)
      .add(DEV, k * (cost.fwd_s + cost.bwd_s), k * (cost.fwd_j + cost.bwd_j))
      .add(UP, bytes)
      .add(BH_TO_AGG, bh)
      .build(),
  );
}

/** Shared by fl and hfl: per-client programs, the running set, drop at the deadline. */
abstract class Federated implements Scheme {
  readonly progress = 'federated' as const;
  readonly sampled = true;
  protected progs: Program[] = [];
  protected bytes = 0;
  protected params = 0;
  protected running = new Int32Array(0);
  protected n = 0;
  protected pending = 0;
  protected finishers = 0;
  protected steps = 0;

  prepare(job: TrainingJob): void {
    this.params = trainableParams(job.arch, job.jobSpec.peft as Peft);
    this.bytes = updateBytes(job.arch, job.jobSpec);
    this.running = new Int32Array(job.C);
    for (let c = 0; c < job.C; c++) {
      job.needMemory(c, wholeModel(job, c).peak_bytes, 'the whole model');
      this.progs.push(fedProgram(job, c, this.bytes, this.localRounds(job), this.clientBackhaul()));
    }
  }

  protected localRounds(_job: TrainingJob): number {
    return 1;
  }

  /** Do client updates travel on to the aggregation node over the backhaul? */
  protected clientBackhaul(): boolean {
    return true;
  }

  startRound(job: TrainingJob, parts: Int32Array, n: number): void {
    this.n = n;
    this.pending = n;
    this.finishers = 0;
    this.steps = 0;
    this.running.set(parts.subarray(0, n));
    this.begin(job);
    for (let i = 0; i < n; i++) {
      const c = parts[i]!;
      job.launch(c, this.progs[c]!, job.cellOf(c));
    }
  }

  protected begin(_job: TrainingJob): void {}

  entityDone(job: TrainingJob, e: number): void {
    if (e >= job.C) return this.aggregated(job, e);
    this.finishers++;
    this.steps += job.steps[e]! * this.localRounds(job);
    this.clientDone(job, e);
    if (--this.pending === 0) this.aggregate(job);
  }

  onDeadline(job: TrainingJob): void {
    let dropped = 0;
    for (let i = 0; i < this.n; i++) {
      const c = this.running[i]!;
      if (job.busy(c)) {
        job.drop(c);
        dropped++;
      }
    }
    this.pending -= dropped;
    if (dropped > 0 && this.pending === 0) this.aggregate(job);
  }

  protected clientDone(_job: TrainingJob, _c: number): void {}
  protected abstract aggregate(job: TrainingJob): void;
  protected abstract aggregated(job: TrainingJob, e: number): void;
}

class Fl extends Federated {
  override prepare(job: TrainingJob): void {
    job.aggNode = job.spec.aggregator === 'cloud' ? CLOUD : job.spec.server.site;
    super.prepare(job);
  }

  protected aggregate(job: TrainingJob): void {
    const agg = job.aggNode;
    const work = aggregationWork_s(job, agg === CLOUD ? job.spec.server.site : agg, this.finishers, this.params);
    if (agg === CLOUD) job.launch(job.cloudEntity, new Program(new Steps().add(WAIT, work).build()), 0);
    else job.launch(job.siteEntity(agg), new Program(new Steps().add(SRV, work).build()), agg);
  }

  protected aggregated(job: TrainingJob): void {
    job.endRound(this.finishers, this.steps);
  }
}

class Hfl extends Federated {
  /** Per site: clients that finished this edge round, and their local steps. */
  private perSite = new Int32Array(0);
  private perSiteSteps = new Float64Array(0);
  private clientSite = new Int32Array(0);
  private sitesPending = 0;
  private phase = 0;

  override prepare(job: TrainingJob): void {
    job.aggNode = CLOUD;
    this.perSite = new Int32Array(job.S);
    this.perSiteSteps = new Float64Array(job.S);
    this.clientSite = new Int32Array(job.C);
    super.prepare(job);
  }

  protected override localRounds(job: TrainingJob): number {
    return job.spec.tau1;
  }

  protected override clientBackhaul(): boolean {
    return false;
  }

  protected override begin(job: TrainingJob): void {
    this.perSite.fill(0);
    this.perSiteSteps.fill(0);
    for (let i = 0; i < this.n; i++) this.clientSite[this.running[i]!] = job.cellOf(this.running[i]!);
  }

  protected override clientDone(job: TrainingJob, c: number): void {
    const s = this.clientSite[c]!;
    this.perSite[s]!++;
    this.perSiteSteps[s]! += job.steps[c]! * this.localRounds(job);
  }

  /** End the edge round; progress per site until the cloud merges them (hierarchicalEffectiveSteps). */
  private finish(job: TrainingJob): void {
    const cloud = job.round % job.spec.tau2 === 0;
    const eff = hierarchicalEffectiveSteps(this.perSite, this.perSiteSteps, cloud, job.jobSpec.dataset.non_iid, job.spec.progress);
    job.endRound(this.finishers, this.steps, eff);
  }

  /** Edge aggregation at every site with updates; on cloud rounds, each edge then uploads its model. */
  protected aggregate(job: TrainingJob): void {
    const cloud = job.round % job.spec.tau2 === 0;
    this.phase = 1;
    this.sitesPending = 0;
    for (let s = 0; s < job.S; s++) if (this.perSite[s]! > 0) this.sitesPending++;
    if (this.sitesPending === 0) return this.finish(job);
    for (let s = 0; s < job.S; s++) {
      if (this.perSite[s] === 0) continue;
      const st = new Steps().add(SRV, aggregationWork_s(job, s, this.perSite[s]!, this.params));
      if (cloud) st.add(BH_TO_AGG, this.bytes);
      job.launch(job.siteEntity(s), new Program(st.build()), s);
    }
  }

  protected aggregated(job: TrainingJob, e: number): void {
    if (e === job.cloudEntity) {
      this.phase = 2;
      for (let s = 0; s < job.S; s++) if (this.perSite[s]! > 0) this.sitesPending++;
      for (let s = 0; s < job.S; s++) {
        if (this.perSite[s]! > 0) job.launch(job.siteEntity(s), new Program(new Steps().add(BH_FROM_AGG, this.bytes).build()), s);
      }
      return;
    }
    if (--this.sitesPending > 0) return;
    if (this.phase === 1 && job.round % job.spec.tau2 === 0) {
      let sites = 0;
      for (let s = 0; s < job.S; s++) if (this.perSite[s]! > 0) sites++;
      const work = aggregationWork_s(job, job.spec.server.site, sites, this.params);
      job.launch(job.cloudEntity, new Program(new Steps().add(WAIT, work).build()), 0);
      return;
    }
    this.finish(job);
  }
}

// ------------------------------------------------------- split learning

/** Cut-layer choice (registry `cutSelection`): the first device block above the cut, per client. */
export type CutSelection = (job: TrainingJob, c: number, ushape: boolean) => number;
export const cutSelections = new Registry<CutSelection>('cutSelection', 'training.split.cut.mode');

function maxCut(job: TrainingJob, ushape: boolean): number {
  return job.arch.layers - (ushape ? job.spec.split.tail_layers : 0) - 1;
}

cutSelections.register('fixed', 'the same cut layer for every client (training.split.cut.layer)', (job, _c, ushape) => {
  const cut = job.spec.split.cut;
  const k = cut.mode === 'fixed' ? cut.layer : 1;
  const max = maxCut(job, ushape);
  if (k > max) throw new RangeError(`training.split.cut.layer ${k} leaves no blocks on the server (${job.arch.id} has ${job.arch.layers}; at most ${max})`);
  return k;
});

cutSelections.register('min-latency', 'per client: the cut with the least estimated batch time (device + server compute + transfers at the current peak rates) that fits its memory', (job, c, ushape) => {
  const u = job.user[c]!;
  const cell = job.cellOf(c);
  const rate = Math.min(job.net.peakRateUp(cell, u), job.net.peakRateDown(cell, u));
  const S = smashedOf(job);
  let best = 1;
  let bestT = Number.POSITIVE_INFINITY;
  for (let k = 1; k <= maxCut(job, ushape); k++) {
    const p = splitParts(job, c, k, ushape);
    if (p.need > job.memory_bytes[c]!) continue;
    const t = p.dev_s + p.srv.fwd_s + p.srv.bwd_s + ((ushape ? 4 * S : 2 * S + labelsOf(job)) * 8) / rate;
    if (t < bestT) {
      bestT = t;
      best = k;
    }
  }
  return best;
});

function smashedOf(job: TrainingJob): number {
  return smashedBytesPerBatch(job.arch, job.jobSpec, job.spec.split.compression, job.spec.split.prune_ratio);
}

/** Labels uploaded with a batch: one per kept token (the server computes the loss on the tokens it receives). */
function labelsOf(job: TrainingJob): number {
  return labelsBytesPerBatch(job.jobSpec, job.spec.split.prune_ratio, job.spec.split.labels_bytes_per_token);
}

interface SplitParts {
  head: PartCost;
  tail: PartCost | null;
  srv: PartCost;
  /** Device memory of head (+ tail). */
  need: number;
  /** Device compute per batch, s. */
  dev_s: number;
  headTrains: boolean;
  /** Trainable parameters on the device (relayed / aggregated), bytes. */
  devBytes: number;
}

/**
 * Costs of the parts at cut k. With token pruning (training.split.prune_ratio)
 * the head runs forward and backward on the full sequences (it produces every
 * token's representation before pruning, and the gradients of the kept tokens
 * reach all tokens through its attention layers), while the server part and a
 * U-shaped tail see only the kept tokens: their compute, activations and the
 * gradients sent back shrink with the ratio.
 */
function splitParts(job: TrainingJob, c: number, k: number, ushape: boolean): SplitParts {
  const a = job.arch;
  const js = job.jobSpec;
  const above = prunedJob(js, job.spec.split.prune_ratio);
  const L = a.layers;
  const t = ushape ? job.spec.split.tail_layers : 0;
  const home = job.sites.site(job.cellOf(c));
  const headPart: Part = { from: 0, to: k };
  const tailPart: Part = { from: L - t, to: L };
  const head = partCost(a, js, job.device[c]!, job.unit[c]!, headPart);
  const tail = ushape ? partCost(a, above, job.device[c]!, job.unit[c]!, tailPart) : null;
  const srv = partCost(a, above, home.device, home.unit, { from: k, to: L - t });
  const headTrains = head.trainable_params > 0;
  return {
    head,
    tail,
    srv,
    need: head.peak_bytes + (tail?.peak_bytes ?? 0),
    dev_s: head.fwd_s + head.bwd_s + (tail ? tail.fwd_s + tail.bwd_s : 0),
    headTrains,
    devBytes: updateBytes(a, js, headPart) + (ushape ? updateBytes(a, js, tailPart) : 0),
  };
}

const EMPTY = new Float64Array(0);

/** MeZO under split learning: bytes of the projected gradient (one fp32 scalar) sent to the part that did not compute the loss. */
export const LOSS_SCALAR_BYTES = 4;

type SplitMode = 'sequential' | 'parallel-fedavg' | 'parallel';

class Split implements Scheme {
  readonly progress;
  readonly sampled = false;
  private body: Program[] = [];
  /** Sequential: relay of the device part from the previous client (pre) and to the next one (post). */
  private relayIn: Float64Array[] = [];
  private relayOut: Float64Array[] = [];
  private devBytes = new Float64Array(0);
  /** Per client: the edge site that holds its server part (its serving cell at the start; it stays there when the user moves). */
  private site = new Int32Array(0);
  private order = new Int32Array(0);
  private n = 0;
  private next = 0;
  private pending = 0;
  private steps = 0;
  private firstEver = true;
  /** Site of the client launched last (sequential schemes), where the relayed device part waits. */
  private prevSite = -1;

  constructor(
    private readonly mode: SplitMode,
    private readonly ushape: boolean,
  ) {
    this.progress = mode === 'sequential' ? ('sequential' as const) : ('federated' as const);
  }

  prepare(job: TrainingJob): void {
    if (this.mode === 'parallel-fedavg') job.aggNode = job.spec.server.site;
    const select = cutSelections.get(job.spec.split.cut.mode);
    const S = smashedOf(job);
    const labels = this.ushape ? 0 : labelsOf(job);
    this.devBytes = new Float64Array(job.C);
    this.site = Int32Array.from({ length: job.C }, (_, c) => job.cellOf(c));
    this.order = new Int32Array(job.C);
    // Device parts, cuts and device memory.
    const parts: SplitParts[] = [];
    for (let c = 0; c < job.C; c++) {
      const k = select(job, c, this.ushape);
      job.cut[c] = k;
      const p = splitParts(job, c, k, this.ushape);
      parts.push(p);
      job.needMemory(c, p.need, this.ushape ? `head+tail (blocks 0-${k} and top ${job.spec.split.tail_layers})` : `device part (blocks 0-${k})`);
    }
    this.reserveServers(job, parts);
    for (let c = 0; c < job.C; c++) {
      const p = parts[c]!;
      const devTrains = p.devBytes > 0;
      this.devBytes[c] = p.devBytes;
      const body = (job.jobSpec.optimizer === 'mezo' ? this.mezoBatch(p, S, labels) : this.batch(p, S, labels)).build();
      const reps = job.steps[c]!;
      const pre = new Steps();
      const post = new Steps();
      if (devTrains && this.mode === 'sequential') {
        pre.add(DOWN, p.devBytes);
        post.add(UP, p.devBytes);
      } else if (devTrains && this.mode === 'parallel-fedavg') {
        pre.add(BH_FROM_AGG, p.devBytes).add(DOWN, p.devBytes);
        post.add(UP, p.devBytes).add(BH_TO_AGG, p.devBytes);
      }
      this.relayIn.push(pre.build());
      this.relayOut.push(post.build());
      this.body.push(new Program(this.relayIn[c]!, body, reps, this.relayOut[c]!));
    }
  }

  /**
   * One batch with backpropagation. Only activations count as smashed data (the
   * `extra` of an UP step): gradient uploads of U-shaped learning are split
   * traffic but not smashed data.
   */
  private batch(p: SplitParts, S: number, labels: number): Steps {
    const b = new Steps().add(DEV, p.head.fwd_s, p.head.fwd_j);
    if (this.ushape) {
      const t = p.tail!;
      b.add(UP, S, S).add(SRV, p.srv.fwd_s).add(DOWN, S, S).add(DEV, t.fwd_s + t.bwd_s, t.fwd_j + t.bwd_j).add(UP, S, 0).add(SRV, p.srv.bwd_s);
    } else {
      b.add(UP, S + labels, S).add(SRV, p.srv.fwd_s + p.srv.bwd_s);
    }
    if (p.headTrains) b.add(DOWN, S, 0).add(DEV, p.head.bwd_s, p.head.bwd_j);
    return b;
  }

  /**
   * One batch with MeZO (zeroth-order): two forward passes with +/- the same
   * seeded perturbation and no backward, so per pass the smashed data go up
   * (and in U-shaped learning the server's output comes back down to the tail,
   * which computes the loss); no activation gradient travels. The side that did
   * not compute the loss receives the projected gradient, one fp32 scalar
   * (LOSS_SCALAR_BYTES), and every part applies its update (bwd_s of a MeZO
   * part is its optimizer update alone). Labels go up once per batch. A frozen
   * head is not perturbed, so both passes would send the same smashed data: the
   * phone computes and sends them once, and the server runs both passes on them.
   */
  private mezoBatch(p: SplitParts, S: number, labels: number): Steps {
    const b = new Steps();
    for (let pass = 0; pass < 2; pass++) {
      const sendHead = pass === 0 || p.headTrains;
      if (sendHead) b.add(DEV, p.head.fwd_s / 2, p.head.fwd_j / 2);
      if (this.ushape) {
        const t = p.tail!;
        if (sendHead) b.add(UP, S, S);
        b.add(SRV, p.srv.fwd_s / 2).add(DOWN, S, S).add(DEV, t.fwd_s / 2, t.fwd_j / 2);
      } else {
        if (sendHead) b.add(UP, S + (pass === 0 ? labels : 0), S);
        b.add(SRV, p.srv.fwd_s / 2 + (pass === 1 ? p.srv.bwd_s : 0));
      }
    }
    if (this.ushape) {
      const t = p.tail!;
      if (p.srv.trainable_params > 0) b.add(UP, LOSS_SCALAR_BYTES).add(SRV, p.srv.bwd_s);
      b.add(DEV, p.head.bwd_s + t.bwd_s, p.head.bwd_j + t.bwd_j);
    } else if (p.headTrains) {
      b.add(DOWN, LOSS_SCALAR_BYTES).add(DEV, p.head.bwd_s, p.head.bwd_j);
    }
    return b;
  }

  /**
   * Server memory per site: the weights of its largest server part once, then
   * per client its state and activations (clients in parallel), or the largest
   * such share once (clients take turns). Clients are admitted in index order;
   * those that no longer fit are reported infeasible.
   */
  private reserveServers(job: TrainingJob, parts: readonly SplitParts[]): void {
    const weights = new Float64Array(job.S);
    const extra = new Float64Array(job.S);
    for (let c = 0; c < job.C; c++) {
      const s = this.site[c]!;
      if (!job.feasible(c)) continue;
      weights[s] = Math.max(weights[s]!, parts[c]!.srv.weights_bytes);
      if (this.mode === 'sequential') extra[s] = Math.max(extra[s]!, parts[c]!.srv.peak_bytes - parts[c]!.srv.weights_bytes);
    }
    const gib = (b: number) => (b / 2 ** 30).toFixed(2);
    for (let s = 0; s < job.S; s++) {
      if (weights[s] === 0) continue;
      const site = job.sites.site(s);
      const ok = site.reserve(weights[s]! + extra[s]!);
      for (let c = 0; c < job.C; c++) {
        if (this.site[c] !== s || !job.feasible(c)) continue;
        const own = parts[c]!.srv.peak_bytes - parts[c]!.srv.weights_bytes;
        if (!ok) job.infeasible(c, `server ${s} (${site.device}) cannot hold the server part: ${gib(weights[s]! + extra[s]!)} GiB`);
        else if (this.mode !== 'sequential' && !site.reserve(own)) {
          job.infeasible(c, `server ${s} (${site.device}) has no memory left for this client's server part (${gib(own)} GiB)`);
        }
      }
    }
  }

  startRound(job: TrainingJob, parts: Int32Array, n: number): void {
    this.n = n;
    this.steps = 0;
    this.order.set(parts.subarray(0, n));
    if (this.mode === 'sequential') {
      this.next = 0;
      return this.launchNext(job);
    }
    this.pending = n;
    for (let i = 0; i < n; i++) job.launch(parts[i]!, this.body[parts[i]!]!, this.site[parts[i]!]!);
  }

  /**
   * Sequential: the next client in turn. It receives the device part relayed
   * from the previous client and hands it on at the end, unless it is alone
   * (and the very first client starts from the initial model).
   */
  private launchNext(job: TrainingJob): void {
    const c = this.order[this.next++]!;
    const b = this.body[c]!;
    const relay = this.n > 1;
    const p = new Program(relay && !this.firstEver ? this.relayIn[c]! : EMPTY, b.body, b.reps, relay ? this.relayOut[c]! : EMPTY);
    this.firstEver = false;
    // the device part comes from the previous client's site (where its relayed upload went)
    job.launch(c, p, this.site[c]!, relay && this.prevSite >= 0 ? this.prevSite : this.site[c]!);
    this.prevSite = this.site[c]!;
  }

  entityDone(job: TrainingJob, e: number): void {
    if (e >= job.C) return job.endRound(this.n, this.steps);
    this.steps += job.steps[e]!;
    if (this.mode === 'sequential') {
      if (this.next < this.n) this.launchNext(job);
      else job.endRound(this.n, this.steps);
      return;
    }
    if (--this.pending > 0) return;
    if (this.mode === 'parallel') return job.endRound(this.n, this.steps);
    const s = job.spec.server.site;
    const params = (this.devBytes[e]! * 8) / job.jobSpec.train_bits;
    const work = aggregationWork_s(job, s, this.n, params);
    job.launch(job.siteEntity(s), new Program(new Steps().add(SRV, work).build()), s);
  }
}

trainingSchemes
  .register('centralized', 'upload raw data once, train the whole model on the edge server', () => new Centralized())
  .register('fl', 'FedAvg: sampled clients download, train locally, upload; edge (or cloud) aggregation; deadline with stragglers dropped or waited', () => new Fl())
  .register('hfl', 'hierarchical FL: edge aggregation every tau1 local rounds, cloud aggregation every tau2 edge rounds over the backhaul', () => new Hfl())
  .register('sl', 'vanilla split learning: clients take turns, device part relayed between them', () => new Split('sequential', false))
  .register('sfl', 'split-federated: clients in parallel, FedAvg of the device parts every round', () => new Split('parallel-fedavg', false))
  .register('psl', 'parallel split learning: clients in parallel, no device-side aggregation', () => new Split('parallel', false))
  .register('ushape', 'U-shaped split learning: head and tail on the device (labels stay), four transfers per batch, clients take turns', () => new Split('sequential', true));
