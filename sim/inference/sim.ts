/**
 * The inference domain at run time: users send LLM requests; an execution
 * mode (sim/inference/modes) drives each request through device compute,
 * radio transfers and edge-server work with the primitives below.
 *
 * - Device compute: one FIFO per user's phone (FifoServer, created lazily);
 *   times and energy from the roofline of the user's device profile.
 * - Radio: the shared network service (uplink/downlink of the user's cell,
 *   OFDMA sharing, radio latency). Device radio energy per transfer is the
 *   network's per-bit + active-power x airtime model; the RRC tail is charged
 *   per request: tail power x min(gap, tail time) between its transfers and one
 *   full tail after its last one.
 * - Edge: one BatchEngine per (server, base model), on the edge site's
 *   accelerator (sim/edge/site.ts), shared with training jobs.
 *
 * Hot path: per-request state in typed arrays (store.ts); events carry
 * (request slot x 16 + stage) numbers; no closures per event.
 */
import { pickUnit } from '../edge/site.ts';
import type { Engine, EventTarget } from '../engine/engine.ts';
import { FifoServer, type FifoListener } from '../engine/resources.ts';
import type { Rng } from '../engine/rng.ts';
import { QuantileSketch } from '../engine/stats.ts';
import { exponential } from '../engine/variates.ts';
import { defaultPrecision, storedWeightBits, unitCtx } from '../hardware/predict.ts';
import { loadProfile } from '../hardware/profiles.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import type { Table } from '../metrics/recorder.ts';
import { CLOUD, type NetworkService } from '../network/api.ts';
import type { TransferOwner } from '../world/owner.ts';
import { STATIC_MOBILITY, type MobilityService } from '../network/mobility.ts';
import { DistributionSampler } from '../common/distributions.ts';
import { getModel, kvBytesPerToken, memoryFootprint, weightBytes } from '../workload/index.ts';
import type { ModelArch, Precision } from '../workload/types.ts';
import { PassCost } from './cost.ts';
import { adaptiveRules, cutSelections, inferenceModes, type AdaptiveRule, type CutSelection, type InferenceMode } from './registry.ts';
import type { InferenceSpec } from './schema.ts';
import { BatchEngine, type ServerHost } from './server.ts';
import { createRequestStore, type RequestStore } from './store.ts';

/** A transfer's tag: r x STAGE_BITS + leg + stage, with stage < 16 (the mode's) and leg a multiple of 16. */
const STAGE_BITS = 64;
/** Stages reserved by the sim: weights download for on-device (cloud -> edge over the backhaul, edge -> phone). */
export const STAGE_WEIGHTS = 15;
const STAGE_WEIGHTS_BACKHAUL = 14;
/**
 * Legs of a transfer relayed after a handover, when the user's cell now is not r's edge server (which
 * keeps r's model and KV cache): an uplink goes over the air to the user's cell, then over the
 * backhaul to r's server; a downlink goes the other way.
 */
const LEG_UP_RADIO = 16;
const LEG_UP_BACKHAUL = 32;
const LEG_DOWN_BACKHAUL = 48;
/** Bits of a tag's remainder that hold the leg, and those that hold the stage. */
const LEG_BITS = 48;
const STAGE_MASK = 15;

/** The caching domain's block stores ("storage" service), as far as inference uses them. */
export interface WeightStore {
  hasModelId(server: number, id: string): boolean;
}

/** Request flag bits (store.flags). */
export const FLAG_ONDEVICE_FIRST = 1; // device job start sets tFirst = start + aux
export const FLAG_A = 2; // free for modes
export const FLAG_B = 4;
export const FLAG_C = 8;

export const REJECT_REASONS = [
  'privacy',
  'device-memory',
  'battery-empty',
  'edge-kv-capacity',
  'prompt-too-long',
  'model-not-resident',
  'no-edge-server',
  'out-of-coverage',
  'no-mode',
] as const;

export const REQUEST_COLUMNS = [
  'request', 'user', 'device', 'mode', 'model', 'server', 'cut', 'private', 'prompt_tokens', 'output_tokens',
  'arrival_s', 'ttft_s', 'tpot_s', 'e2e_s', 'device_energy_j', 'compute_energy_j', 'radio_energy_j', 'slo_met', 'status',
] as const;

/** One served model (a base model or a LoRA variant of one). */
export interface ServedModel {
  name: string;
  arch: ModelArch;
  /** Index of its base model group (shared weights and batches at the edge). */
  group: number;
  lora_rank: number;
}

/** One kind of phone: profile, unit, runtime and the costs of the models on it (lazy). */
export interface DeviceType {
  device: string;
  unit: UnitName;
  runtime: string | undefined;
  threads: number | undefined;
  precision: Precision;
  capacity_bytes: number;
  sustained_w: number;
  costs: Map<string, PassCost>;
}

export interface RadioParams {
  latency_s: number;
  tail_power_w: number;
  tail_time_s: number;
}

/** A user's request source (Poisson or closed loop). */
const USER_TRACE_KINDS: readonly string[] = ['request-arrival'];

class UserSource implements EventTarget {
  /** Event kind names in traces. */
  readonly traceKinds = USER_TRACE_KINDS;
  constructor(
    private readonly sim: InferenceSim,
    readonly user: number,
    readonly arrivals: Rng,
    readonly sizes: Rng,
  ) {}
  handle(): void {
    this.sim.arrive(this.user, this.sizes);
    if (!this.sim.closedLoop) this.sim.engine.schedule(exponential(this.arrivals, this.sim.ratePerUser), this, 0);
  }
}

/** Forwards device FIFO callbacks to the sim. */
class DevicePort implements FifoListener {
  constructor(private readonly sim: InferenceSim) {}
  onStart(job: number): void {
    this.sim.deviceStarted(job);
  }
  onDone(job: number): void {
    this.sim.deviceDone(job);
  }
}

export class InferenceSim implements TransferOwner, ServerHost {
  readonly req: RequestStore = createRequestStore();
  readonly modes: InferenceMode[] = [];
  readonly modeNames: string[] = [];
  /** Mode index of `inference.mode`. */
  readonly defaultMode: number;
  readonly cutSelection: CutSelection;
  readonly adaptiveRule: AdaptiveRule;
  readonly models: ServedModel[] = [];
  private readonly modelCdf: number[] = [];
  readonly groups: { arch: ModelArch; serverPrecision: Precision; cost: PassCost | null; kvPerTokenLayer: number }[] = [];
  readonly deviceTypes: DeviceType[] = [];
  private readonly deviceCdf: number[] = [];
  /** engines[server * groups + group], null when the model is not resident there. */
  readonly engines: (BatchEngine | null)[] = [];
  readonly closedLoop: boolean;
  readonly ratePerUser: number;
  readonly radio: RadioParams;
  readonly battery_j: number;

  // Users.
  readonly userDevice: Int32Array;
  readonly userEnergy: Float64Array;
  readonly userRequests: Int32Array;
  private readonly heat: Float64Array;
  private readonly heatT: Float64Array;
  private readonly fifos: (FifoServer | undefined)[];
  private readonly weightsState: Uint8Array; // 0 absent, 1 downloading, 2 present (user x model)
  private readonly weightWaiters = new Map<number, number[]>();
  private readonly sources: UserSource[] = [];
  private readonly port = new DevicePort(this);
  private readonly prompt: DistributionSampler;
  private readonly output: DistributionSampler;
  /** Per-user streams made on first use (most scenarios need none of them): model choice, privacy, draft acceptance. */
  private readonly modelRng: (Rng | undefined)[];
  private readonly privRng: (Rng | undefined)[];
  private readonly acceptStream: (Rng | undefined)[];
  private nextSeq = 0;
  /** Edge block stores of the caching domain, when the scenario has one. */
  storage: WeightStore | null = null;

  // Statistics (requests ending after warm-up).
  readonly ttft = new QuantileSketch();
  readonly tpot = new QuantileSketch();
  readonly e2e = new QuantileSketch();
  completed = 0;
  rejected = 0;
  sloMet = 0;
  tokensOut = 0;
  deviceEnergy = 0;
  readonly rejectedBy = new Map<string, number>();
  readonly modeCount: number[] = [];
  specRounds = 0;
  /** Transfers relayed over the backhaul between the user's cell and its request's server (after a handover). */
  relayed = 0;
  specTokens = 0;
  /** Brings a user's position (and serving cell) up to date; set by the domain when users move. */
  mobility: MobilityService = STATIC_MOBILITY;

  constructor(
    readonly engine: Engine,
    readonly net: NetworkService,
    readonly spec: InferenceSpec,
    readonly userDeviceDefault: string,
    radio: RadioParams,
    private readonly table: Table,
    readonly warmup_s: number,
  ) {
    this.radio = radio;
    this.closedLoop = spec.requests.arrivals === 'closed';
    this.ratePerUser = spec.requests.rate_per_user;
    this.battery_j = spec.device.battery_capacity * spec.device.battery_voltage;
    this.prompt = new DistributionSampler(spec.requests.prompt_tokens, true);
    this.output = new DistributionSampler(spec.requests.output_tokens, true);
    for (const e of inferenceModes.list()) {
      this.modes.push(e.impl);
      this.modeNames.push(e.name);
      this.modeCount.push(0);
    }
    this.defaultMode = this.modeIndex(spec.mode);
    this.cutSelection = cutSelections.get(spec.split.cut_selection);
    this.adaptiveRule = adaptiveRules.get(spec.adaptive.rule);
    for (const r of REJECT_REASONS) this.rejectedBy.set(r, 0);

    // Served models and their base groups.
    const entries = spec.models ?? [{ model: spec.model, share: 1, name: undefined, lora_rank: undefined }];
    const groupOf = new Map<string, number>();
    let total = 0;
    for (const m of entries) {
      const arch = getModel(m.model);
      let g = groupOf.get(arch.id);
      if (g === undefined) {
        g = this.groups.length;
        groupOf.set(arch.id, g);
        const serverPrecision = defaultPrecision(spec.weight_bits);
        this.groups.push({ arch, serverPrecision, cost: null, kvPerTokenLayer: kvBytesPerToken(arch, serverPrecision.kv_bytes) / arch.layers });
      }
      this.models.push({ name: m.name ?? (m.lora_rank ? `${arch.id}+lora${m.lora_rank}` : arch.id), arch, group: g, lora_rank: m.lora_rank ?? 0 });
      total += m.share;
      this.modelCdf.push(total);
    }
    if (!(total > 0)) throw new Error('inference.models: shares must not all be 0');

    // Device mix.
    const devs = spec.devices ?? [{ device: userDeviceDefault, share: 1, unit: undefined, runtime: undefined }];
    let dTotal = 0;
    for (const d of devs) {
      const profile = loadProfile(d.device);
      const unit = pickUnit(d.device, d.unit ?? spec.device.unit);
      const runtime = d.runtime ?? spec.device.runtime;
      this.deviceTypes.push({
        device: d.device,
        unit,
        runtime,
        threads: spec.device.threads,
        // The same precision `mei-sim predict` uses: the width the unit really stores, the runtime's formats.
        precision: defaultPrecision(storedWeightBits(d.device, unit, spec.device.weight_bits), runtime),
        capacity_bytes: profile.memory.capacity.value * spec.device.memory_fraction,
        sustained_w: profile.power.sustained.value,
        costs: new Map(),
      });
      dTotal += d.share;
      this.deviceCdf.push(dTotal);
    }
    if (!(dTotal > 0)) throw new Error('inference.devices: shares must not all be 0');

    const U = net.userCount;
    this.userDevice = new Int32Array(U);
    this.userEnergy = new Float64Array(U);
    this.userRequests = new Int32Array(U);
    this.heat = new Float64Array(U);
    this.heatT = new Float64Array(U);
    this.fifos = new Array<FifoServer | undefined>(U);
    // sized up front: assigning far past the end of an empty array would make it a slow dictionary
    this.modelRng = new Array<Rng | undefined>(U);
    this.privRng = new Array<Rng | undefined>(U);
    this.acceptStream = new Array<Rng | undefined>(U);
    this.weightsState = new Uint8Array(U * this.models.length).fill(spec.device.weights === 'preloaded' ? 2 : 0);
    for (let u = 0; u < U; u++) {
      const x = engine.rngOnce(`user:${u}:device`).next() * dTotal;
      let k = 0;
      while (k < this.deviceCdf.length - 1 && x >= this.deviceCdf[k]!) k++;
      this.userDevice[u] = k;
      this.sources.push(new UserSource(this, u, engine.rng(`user:${u}:arrivals`), engine.rng(`user:${u}:request-size`)));
    }
  }

  modeIndex(name: string): number {
    const i = this.modeNames.indexOf(name);
    if (i < 0) throw new Error(`unknown inferenceMode "${name}"; expected one of: ${this.modeNames.join(', ')}`);
    return i;
  }

  /** Server-side cost model of a group on `device`/`unit` (built by the domain). */
  setGroupCost(g: number, cost: PassCost): void {
    this.groups[g]!.cost = cost;
  }

  kvPerTokenLayer(cost: PassCost): number {
    for (const g of this.groups) if (g.cost === cost) return g.kvPerTokenLayer;
    throw new Error('unknown cost model');
  }

  start(): void {
    for (const s of this.sources) {
      const delay = this.closedLoop ? exponential(s.arrivals, 1 / Math.max(this.spec.requests.think_time, 1e-9)) : exponential(s.arrivals, this.ratePerUser);
      this.engine.schedule(this.closedLoop && this.spec.requests.think_time === 0 ? 0 : delay, s, 0);
    }
  }

  // ------------------------------------------------------------ requests

  arrive(user: number, sizes: Rng): void {
    const q = this.req;
    const r = q.alloc();
    q.seq[r] = this.nextSeq++;
    q.user[r] = user;
    // the serving cell of the user's position now, not of its last periodic update
    this.mobility.refresh(user);
    q.server[r] = this.net.serverCount > 0 ? this.net.servingCell(user) : -1;
    let m = 0;
    if (this.models.length > 1) {
      const x = (this.modelRng[user] ??= this.engine.rng(`user:${user}:model`)).next() * this.modelCdf[this.modelCdf.length - 1]!;
      while (m < this.modelCdf.length - 1 && x >= this.modelCdf[m]!) m++;
    }
    q.model[r] = m;
    q.group[r] = this.models[m]!.group;
    q.priv[r] = this.spec.requests.private_share > 0 && (this.privRng[user] ??= this.engine.rng(`user:${user}:privacy`)).next() < this.spec.requests.private_share ? 1 : 0;
    q.prompt[r] = this.prompt.sample(sizes);
    q.output[r] = this.output.sample(sizes);
    q.generated[r] = 0;
    q.cut[r] = -1;
    q.cut2[r] = -1;
    q.srvFrom[r] = 0;
    q.srvTo[r] = 0;
    q.srvCtx[r] = 0;
    q.srvLeft[r] = 0;
    q.srvPrefill[r] = 0;
    q.srvItem[r] = 0;
    q.flags[r] = 0;
    q.rounds[r] = 0;
    q.roundTokens[r] = 0;
    q.tArrival[r] = this.engine.now;
    q.tFirst[r] = -1;
    q.tEnd[r] = -1;
    q.devEnergy[r] = 0;
    q.radioEnergy[r] = 0;
    q.radioLastEnd[r] = -1;
    q.kvBytes[r] = 0;
    q.aux[r] = 0;
    q.mode[r] = this.defaultMode;
    this.userRequests[user] = this.userRequests[user]! + 1;
    const mode = this.modes[this.defaultMode]!;
    const why = mode.check(this, r);
    if (why !== null) this.reject(r, why);
    else mode.start(this, r);
  }

  /** Acceptance stream of r's user (speculative decoding). */
  acceptRng(r: number): Rng {
    const u = this.req.user[r]!;
    return (this.acceptStream[u] ??= this.engine.rng(`user:${u}:acceptance`));
  }

  /** Mean output tokens of the request distribution (what a policy may assume). */
  get meanOutput(): number {
    return this.output.mean;
  }

  // ------------------------------------------------------------ device

  deviceType(r: number): DeviceType {
    return this.deviceTypes[this.userDevice[this.req.user[r]!]!]!;
  }

  /** Roofline cost model of `arch` on r's phone (cached per device type). */
  deviceCost(r: number, arch: ModelArch): PassCost {
    const d = this.deviceType(r);
    let c = d.costs.get(arch.id);
    if (c === undefined) {
      c = new PassCost(arch, d.precision, unitCtx(d.device, d.unit, d.runtime, d.precision.weight_bits, d.threads));
      d.costs.set(arch.id, c);
    }
    return c;
  }

  /** Does `arch` with a KV cache of `tokens` fit r's phone? Null when it does, else the reason. */
  deviceFits(r: number, arch: ModelArch, tokens: number, extraBytes = 0): string | null {
    const d = this.deviceType(r);
    const fp = memoryFootprint(arch, d.precision, { context: tokens, prefill_chunk: Math.min(tokens, 512) });
    return fp.total_bytes + extraBytes <= d.capacity_bytes ? null : 'device-memory';
  }

  /** Battery charge left of a user, 0..1. */
  battery(user: number): number {
    return Math.max(0, 1 - this.userEnergy[user]! / this.battery_j);
  }

  /**
   * Run `time_s` of compute on r's phone (FIFO behind its other work), then
   * call the mode's onStage(r, stage). `firstOffset_s` >= 0 marks the first
   * token at that offset after the job starts (on-device).
   */
  deviceRun(r: number, time_s: number, energy_j: number, stage: number, firstOffset_s = -1): void {
    const q = this.req;
    const u = q.user[r]!;
    let t = time_s;
    const th = this.spec.device.thermal;
    if (th) {
      const sus = this.deviceType(r).sustained_w;
      const now = this.engine.now;
      let H = this.heat[u]! - sus * Math.max(0, now - this.heatT[u]!);
      if (H < 0) H = 0;
      if (H > th.budget) {
        t /= th.throttle;
        if (firstOffset_s >= 0) firstOffset_s /= th.throttle;
      }
      H += Math.max(0, energy_j - sus * t);
      this.heat[u] = H;
      this.heatT[u] = Math.max(now, this.heatT[u]!) + t;
    }
    q.devEnergy[r] = q.devEnergy[r]! + energy_j;
    if (firstOffset_s >= 0) {
      q.flags[r] = q.flags[r]! | FLAG_ONDEVICE_FIRST;
      q.aux[r] = firstOffset_s;
    }
    let f = this.fifos[u];
    if (f === undefined) {
      f = new FifoServer(this.engine, 1, this.port, 4);
      this.fifos[u] = f;
    }
    f.request(r * STAGE_BITS + stage, t);
  }

  deviceStarted(job: number): void {
    const r = Math.floor(job / STAGE_BITS);
    const q = this.req;
    if (q.flags[r]! & FLAG_ONDEVICE_FIRST) {
      q.tFirst[r] = this.engine.now + q.aux[r]!;
      q.flags[r] = q.flags[r]! & ~FLAG_ONDEVICE_FIRST;
    }
  }

  deviceDone(job: number): void {
    const r = Math.floor(job / STAGE_BITS);
    this.modes[this.req.mode[r]!]!.onStage(this, r, job - r * STAGE_BITS);
  }

  /**
   * Make sure r's user has the weights of r's model (device.weights:
   * download). Returns true when present; otherwise downloads them over the
   * serving cell (once per user and model) and later calls onStage(r, stage).
   */
  /** Reason request r cannot run on the phone yet: its weights must come down over a radio link out of coverage. */
  weightsReason(r: number): string | null {
    const q = this.req;
    if (this.weightsState[q.user[r]! * this.models.length + q.model[r]!] !== 0) return null;
    const s = q.server[r]!;
    return s >= 0 && !this.net.inCoverage(q.user[r]!, s) ? 'out-of-coverage' : null;
  }

  ensureWeights(r: number, stage: number): boolean {
    const q = this.req;
    const u = q.user[r]!;
    const k = u * this.models.length + q.model[r]!;
    if (this.weightsState[k] === 2) return true;
    let list = this.weightWaiters.get(k);
    if (list === undefined) {
      list = [];
      this.weightWaiters.set(k, list);
    }
    list.push(r * STAGE_BITS + stage);
    if (this.weightsState[k] === 0) {
      this.weightsState[k] = 1;
      if (this.edgeHolds(r)) this.downlink(r, this.weightBytesOf(r), STAGE_WEIGHTS);
      else this.net.backhaul(CLOUD, q.server[r]!, this.weightBytesOf(r), this, r * STAGE_BITS + STAGE_WEIGHTS_BACKHAUL);
    }
    return false;
  }

  private weightBytesOf(r: number): number {
    return weightBytes(this.models[this.req.model[r]!]!.arch, this.deviceType(r).precision);
  }

  /**
   * Does r's edge server hold the model for the phone to download? Without a
   * caching domain (no "storage" service) every edge server is assumed to
   * hold it; with one, its block store decides (models outside its catalog
   * count as held), and a missing model first crosses the backhaul from the cloud.
   */
  private edgeHolds(r: number): boolean {
    if (this.storage === null) return true;
    try {
      return this.storage.hasModelId(this.req.server[r]!, this.models[this.req.model[r]!]!.arch.id);
    } catch {
      return true;
    }
  }

  private weightsArrived(r: number): void {
    const q = this.req;
    const k = q.user[r]! * this.models.length + q.model[r]!;
    this.weightsState[k] = 2;
    const list = this.weightWaiters.get(k) ?? [];
    this.weightWaiters.delete(k);
    for (const job of list) this.deviceDone(job);
  }

  // ------------------------------------------------------------ radio

  /** The cell serving r's user now: radio legs go there, while r's edge server stays the one it arrived at. */
  cellOf(r: number): number {
    const s = this.req.server[r]!;
    return s < 0 ? s : this.net.servingCell(this.req.user[r]!);
  }

  /** Peak uplink / downlink rate of r's user on its cell now, alone (bit/s). */
  rateUp(r: number): number {
    return this.net.peakRateUp(this.cellOf(r), this.req.user[r]!);
  }
  rateDown(r: number): number {
    return this.net.peakRateDown(this.cellOf(r), this.req.user[r]!);
  }

  /** Device energy to send / receive `bytes` at `rate_bps` (estimates), J. */
  upEnergy(r: number, bytes: number, rate_bps: number): number {
    return this.net.uplinkEnergy_j(this.req.user[r]!, bytes, (bytes * 8) / rate_bps);
  }
  downEnergy(bytes: number, rate_bps: number): number {
    return this.net.downlinkEnergy_j(bytes, (bytes * 8) / rate_bps);
  }

  private xferBegin(r: number, bytes: number, dir: number): void {
    const q = this.req;
    const now = this.engine.now;
    if (q.radioLastEnd[r]! >= 0) q.radioEnergy[r] = q.radioEnergy[r]! + this.radio.tail_power_w * Math.min(now - q.radioLastEnd[r]!, this.radio.tail_time_s);
    q.xferStart[r] = now;
    q.xferBytes[r] = bytes;
    q.xferDir[r] = dir;
  }

  /** Send `bytes` from r's user to r's server: over the air to the user's cell, relayed over the backhaul after a handover. */
  uplink(r: number, bytes: number, stage: number): void {
    const q = this.req;
    const s = q.server[r]!;
    const c = this.cellOf(r);
    this.xferBegin(r, bytes, 1);
    q.xferCell[r] = c;
    if (c !== s) this.relayed++;
    this.net.uplink(c, q.user[r]!, bytes, this, r * STAGE_BITS + (c === s ? 0 : LEG_UP_RADIO) + stage);
  }

  /** Send `bytes` from r's server to r's user: relayed over the backhaul to the user's cell after a handover. */
  downlink(r: number, bytes: number, stage: number): void {
    const q = this.req;
    const s = q.server[r]!;
    const c = this.cellOf(r);
    q.xferCell[r] = c;
    if (c === s) {
      this.xferBegin(r, bytes, 0);
      this.net.downlink(s, q.user[r]!, bytes, this, r * STAGE_BITS + stage);
      return;
    }
    this.relayed++;
    q.xferBytes[r] = bytes;
    this.net.backhaul(s, c, bytes, this, r * STAGE_BITS + LEG_DOWN_BACKHAUL + stage);
  }

  onTransferDone(tag: number): void {
    const r = Math.floor(tag / STAGE_BITS);
    const sub = tag - r * STAGE_BITS;
    const leg = sub & LEG_BITS;
    const stage = sub & STAGE_MASK;
    const q = this.req;
    if (leg === LEG_DOWN_BACKHAUL) {
      // the relayed downlink reached the user's cell: now over the air
      const bytes = q.xferBytes[r]!;
      this.xferBegin(r, bytes, 0);
      this.net.downlink(q.xferCell[r]!, q.user[r]!, bytes, this, r * STAGE_BITS + stage);
      return;
    }
    if (leg === LEG_UP_BACKHAUL) {
      // the relayed uplink reached r's server (its radio leg was accounted when it ended)
      this.afterTransfer(r, stage);
      return;
    }
    if (stage === STAGE_WEIGHTS_BACKHAUL) {
      this.downlink(r, this.weightBytesOf(r), STAGE_WEIGHTS);
      return;
    }
    const now = this.engine.now;
    const air = Math.max(0, now - q.xferStart[r]! - this.radio.latency_s);
    const bytes = q.xferBytes[r]!;
    const e = q.xferDir[r] === 1 ? this.net.uplinkEnergy_j(q.user[r]!, bytes, air) : this.net.downlinkEnergy_j(bytes, air);
    q.radioEnergy[r] = q.radioEnergy[r]! + e;
    q.radioLastEnd[r] = now;
    if (leg === LEG_UP_RADIO) {
      this.net.backhaul(q.xferCell[r]!, q.server[r]!, bytes, this, r * STAGE_BITS + LEG_UP_BACKHAUL + stage);
      return;
    }
    this.afterTransfer(r, stage);
  }

  private afterTransfer(r: number, stage: number): void {
    if (stage === STAGE_WEIGHTS) {
      this.weightsArrived(r);
      return;
    }
    this.modes[this.req.mode[r]!]!.onStage(this, r, stage);
  }

  // ------------------------------------------------------------ edge server

  /** The batch engine serving r's model at r's server, or null when it is not resident there. */
  engineOf(r: number): BatchEngine | null {
    const s = this.req.server[r]!;
    if (s < 0) return null;
    return this.engines[s * this.groups.length + this.req.group[r]!] ?? null;
  }

  /**
   * Queue r at its edge server for prefill of `tokens` over blocks [from, to),
   * then (when `decode` > 0) continuous decode of that many tokens. KV pages
   * for `kvTokens` are reserved at admission. Returns a rejection reason or null.
   */
  serverPrefill(r: number, tokens: number, from: number, to: number, decode: number, kvTokens: number): string | null {
    const e = this.engineOf(r);
    if (e === null) return this.req.server[r]! < 0 ? 'no-edge-server' : 'model-not-resident';
    const q = this.req;
    q.srvFrom[r] = from;
    q.srvTo[r] = to;
    q.srvCtx[r] = 0;
    q.srvPrefill[r] = tokens;
    q.srvLeft[r] = decode;
    q.kvBytes[r] = e.kvBytes(kvTokens, from, to);
    return e.enqueue(r);
  }

  serverStep(r: number): void {
    this.engineOf(r)!.submitStep(r);
  }

  serverVerify(r: number, gamma: number): void {
    this.engineOf(r)!.submitVerify(r, gamma);
  }

  serverRelease(r: number): void {
    this.engineOf(r)?.release(r);
  }

  serverEvent(r: number, ev: number): void {
    this.modes[this.req.mode[r]!]!.onServer(this, r, ev);
  }

  // ------------------------------------------------------------ outcomes

  /** r's user received its first token now. */
  firstToken(r: number): void {
    if (this.req.tFirst[r]! < 0) this.req.tFirst[r] = this.engine.now;
  }

  private counted(): boolean {
    return this.engine.now >= this.warmup_s;
  }

  /** r's user has the whole reply now. */
  finish(r: number): void {
    const q = this.req;
    const now = this.engine.now;
    q.tEnd[r] = now;
    if (q.tFirst[r]! < 0) q.tFirst[r] = now;
    if (q.radioLastEnd[r]! >= 0) q.radioEnergy[r] = q.radioEnergy[r]! + this.radio.tail_power_w * this.radio.tail_time_s;
    const o = q.output[r]!;
    const ttft = q.tFirst[r]! - q.tArrival[r]!;
    const e2e = now - q.tArrival[r]!;
    const tpot = o > 1 ? (now - q.tFirst[r]!) / (o - 1) : 0;
    const energy = q.devEnergy[r]! + q.radioEnergy[r]!;
    const u = q.user[r]!;
    this.userEnergy[u] = this.userEnergy[u]! + energy;
    const ok = ttft <= this.spec.requests.slo_ttft && tpot <= this.spec.requests.slo_tpot;
    if (this.counted()) {
      this.completed++;
      this.ttft.add(ttft);
      if (o > 1) this.tpot.add(tpot);
      this.e2e.add(e2e);
      this.tokensOut += o;
      this.deviceEnergy += energy;
      if (ok) this.sloMet++;
      this.modeCount[q.mode[r]!]!++;
    }
    this.row(r, ttft, tpot, e2e, ok, 'ok');
    this.release(r);
  }

  reject(r: number, reason: string): void {
    const q = this.req;
    if (this.counted()) {
      this.rejected++;
      this.rejectedBy.set(reason, (this.rejectedBy.get(reason) ?? 0) + 1);
    }
    const energy = q.devEnergy[r]! + q.radioEnergy[r]!;
    const u = q.user[r]!;
    this.userEnergy[u] = this.userEnergy[u]! + energy;
    this.row(r, null, null, null, false, reason);
    this.release(r);
  }

  private row(r: number, ttft: number | null, tpot: number | null, e2e: number | null, ok: boolean, status: string): void {
    const q = this.req;
    this.table.row([
      q.seq[r]!,
      q.user[r]!,
      this.deviceType(r).device,
      this.modeNames[q.mode[r]!]!,
      this.models[q.model[r]!]!.name,
      q.server[r]!,
      q.cut[r]! >= 0 ? q.cut[r]! : null,
      q.priv[r] === 1,
      q.prompt[r]!,
      q.output[r]!,
      q.tArrival[r]!,
      ttft,
      tpot,
      e2e,
      // device_energy_j is the phone's whole energy for the request, as the summary's device_energy_j_per_request
      q.devEnergy[r]! + q.radioEnergy[r]!,
      q.devEnergy[r]!,
      q.radioEnergy[r]!,
      ok,
      status,
    ]);
  }

  private release(r: number): void {
    const u = this.req.user[r]!;
    this.req.free(r);
    if (this.closedLoop) {
      const s = this.sources[u]!;
      const tt = this.spec.requests.think_time;
      this.engine.schedule(tt > 0 ? exponential(s.arrivals, 1 / tt) : 0, s, 0);
    }
  }

  /** Speculative statistics: one verification round that produced `tokens` (full rounds only). */
  specRound(tokens: number): void {
    if (!this.counted()) return;
    this.specRounds++;
    this.specTokens += tokens;
  }
}
