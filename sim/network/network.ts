import type { Engine, EventTarget } from '../engine/engine.ts';
import { PsLink, type PsListener, type ShareEfficiency } from '../engine/resources.ts';
import type { Rng } from '../engine/rng.ts';
import type { Domain, World } from '../world/world.ts';
import { CLOUD, type NetworkService } from './api.ts';
import type { TransferOwner } from '../world/owner.ts';
import { CQI_TABLE_1, correlatedShadowingDb, dbToLinear, drawGain, noisePowerW, shadowingDb, snr, spectralEfficiency, type LinkConfig, type PathLossModel } from './channel.ts';
import { topologySchema, type TopologySpec } from './schema.ts';
import { buildMobility } from './mobility.ts';
import { Topology } from './topology.ts';

/** Event kinds: a flow's hop latency elapsed; a zero-hop flow (same node) is done. */
const START = 0;
const SAME_NODE = 1;
const NO_ROUTE: readonly number[] = [];

/** Port that forwards one link's completions to the network with the link index. */
class LinkPort implements PsListener {
  constructor(
    private readonly net: Network,
    private readonly link: number,
  ) {}
  onFlowDone(flow: number): void {
    this.net.linkDone(this.link, flow);
  }
}

/**
 * The shared network: one downlink and one uplink processor-sharing resource
 * per cell (OFDMA: the cell's bandwidth is split equally among active flows,
 * each converting its share at its own spectral efficiency; on the downlink the
 * base station's power is split with the band, so a user's SNR does not depend
 * on its share; on the uplink the band is split among phones, not flows, and
 * each phone keeps its full power on its share, whatever number of transfers it
 * runs: n phones each get (B/n) log2(1 + n SNR), divided among their transfers.
 * With an MCS table, a phone whose SNR on its share is below the lowest MCS
 * transmits on the narrower band where it reaches it, as a power-limited UE
 * is given fewer resource blocks), and a backhaul of full-duplex
 * processor-sharing links between servers and the cloud (one link per
 * direction). Multi-hop backhaul transfers are store-and-forward, hop by hop.
 * Every transfer first waits the one-way latency of its hop. A downlink user
 * below the lowest MCS is not scheduled and takes no share; its transfer waits
 * (domains check coverage before they send).
 *
 * Channel: path loss of the configured model (a random UMa LOS state fixed per
 * (user, server) pair by a uniform draw from `user:<u>:los`), log-normal
 * shadowing drawn per (user, server) pair from `user:<u>:shadowing` and, as the
 * user moves, correlated over distance (Gudmundson's exponential model with
 * `shadowing_correlation` as the decorrelation distance; fresh innovations from
 * `user:<u>:shadowing-walk`, the same displacement for every cell), and
 * optional Rayleigh block fading drawn per transfer from `user:<u>:fading`.
 * Receiver noise: the device's noise figure on the downlink, the base
 * station's on the uplink.
 */
const NETWORK_TRACE_KINDS: readonly string[] = ['transfer-start', 'same-node-done'];

export class Network implements NetworkService, EventTarget {
  /** Event kind names in traces. */
  readonly traceKinds = NETWORK_TRACE_KINDS;
  readonly topology: Topology;
  private readonly links: PsLink[] = [];
  private readonly linkLatency: number[] = [];
  private readonly downLink: number[] = [];
  private readonly upLink: number[] = [];
  /** One-link routes of each cell's downlink / uplink, shared by all its transfers (routes are never mutated). */
  private readonly downRoute: (readonly number[])[] = [];
  private readonly upRoute: (readonly number[])[] = [];
  /** Backhaul routes by from x (S + 1) + to, built on first use. */
  private readonly bhRoute = new Map<number, readonly number[]>();
  /** Backhaul link index by directed (from, to) node pair, CLOUD as S. */
  private readonly bhLink = new Map<number, number>();
  private readonly cfgDown: LinkConfig;
  private readonly cfgUp: LinkConfig;
  private readonly noiseDown: number;
  private readonly noiseUp: number;
  /** Mean gain (path loss + shadowing) per user x server, recomputed when users move. */
  private readonly gain: Float64Array;
  private readonly shadowDb: Float64Array;
  /** Handover margin of strongest association, linear power ratio. */
  private readonly hysteresis: number;
  /** Decorrelation distance of shadowing, m (Infinity: frozen). */
  private readonly shadowCorr_m: number;
  /** Where each user's shadowing was last updated (the displacement since drives its decorrelation). */
  private readonly shadowX: Float64Array;
  private readonly shadowY: Float64Array;
  /** Innovation streams of the shadowing walk, created on a user's first move. */
  private readonly shadowWalkRng: (Rng | undefined)[] = [];
  /** Uniform draw per user x server fixing a random LOS state (3gpp-uma, los: random). */
  private readonly losDraw: Float64Array | null;
  private readonly fadingRng: (Rng | undefined)[];
  /** Uplink group (the sending user) of each flow, -1 for downlink and backhaul flows. */
  private group: number[] = [];
  /** Radio direction of each flow (0 none, 1 downlink, 2 uplink, 3 multicast), and its user and cell (unicast). */
  private dir: number[] = [];
  private flowUser: number[] = [];
  private flowCell: number[] = [];
  /** Unicast downlinks started at efficiency 0 (the user out of coverage): re-rated when their user moves. */
  private readonly stalled: number[] = [];
  /** Lowest MCS: its linear SNR threshold and efficiency (0 without an MCS table). */
  private readonly mcsFloorSnr: number;
  private readonly mcsFloorEff: number;

  // Transfer state by flow id (recycled).
  private owner: (TransferOwner | null)[] = [];
  private tag: number[] = [];
  private route: (readonly number[])[] = [];
  private hop: number[] = [];
  /** The flow's pending engine event (latency or same-node completion), -1 while on a link. */
  private pendingEv: number[] = [];
  private sizeBits: number[] = [];
  private eff: number[] = [];
  private free: number[] = [];

  bitsDown = 0;
  bitsUp = 0;
  bitsBackhaul = 0;

  constructor(
    private readonly engine: Engine,
    readonly spec: TopologySpec,
  ) {
    this.topology = new Topology(spec, (n) => engine.rngOnce(n));
    const S = this.serverCount;
    const ch = spec.channel;
    const pathloss: PathLossModel =
      ch.pathloss.model === 'urban-macro'
        ? { kind: 'urban-macro' }
        : ch.pathloss.model === 'log-distance'
          ? { kind: 'log-distance', pl0_db: ch.pathloss.pl0, d0_m: ch.pathloss.d0, exponent: ch.pathloss.exponent }
          : { kind: '3gpp-uma', fc_hz: ch.pathloss.carrier, h_bs_m: ch.pathloss.bs_height, h_ut_m: ch.pathloss.ue_height, los: ch.pathloss.los };
    const rate = { max_efficiency: ch.max_spectral_efficiency, mcs: ch.mcs === 'cqi-table-1' ? CQI_TABLE_1 : undefined };
    const base = {
      pathloss,
      shadowing_sigma_db: ch.shadowing_sigma,
      fading: ch.fading,
      noise_figure_db: ch.noise_figure,
      noise_density_dbm_per_hz: 10 * Math.log10(ch.noise_density) + 30,
      rate,
    };
    this.cfgDown = { ...base, bandwidth_hz: spec.servers.bandwidth, tx_power_w: spec.servers.tx_power };
    this.cfgUp = { ...base, noise_figure_db: ch.bs_noise_figure, bandwidth_hz: spec.radio.uplink_bandwidth ?? spec.servers.bandwidth, tx_power_w: spec.radio.ue_tx_power };
    this.noiseDown = noisePowerW(this.cfgDown.bandwidth_hz, this.cfgDown.noise_figure_db, base.noise_density_dbm_per_hz);
    this.noiseUp = noisePowerW(this.cfgUp.bandwidth_hz, this.cfgUp.noise_figure_db, base.noise_density_dbm_per_hz);
    this.mcsFloorSnr = rate.mcs ? dbToLinear(rate.mcs[0]!.snr_threshold_db) : 0;
    this.mcsFloorEff = rate.mcs ? rate.mcs[0]!.efficiency : 0;

    for (let s = 0; s < S; s++) {
      this.downLink.push(this.addLink(this.cfgDown.bandwidth_hz, spec.radio.latency));
      // The uplink: each phone keeps its whole transmit power on its share of the band, so a flow's
      // parameter is its full-band SNR and its efficiency log2(1 + SNR / share) (or the MCS table's).
      this.upLink.push(this.addLink(this.cfgUp.bandwidth_hz, spec.radio.latency, this.upShareEff));
      this.downRoute.push([this.downLink[s]!]);
      this.upRoute.push([this.upLink[s]!]);
    }
    const bh = spec.backhaul;
    // Full duplex: one link per direction.
    for (let s = 0; s < S; s++) {
      this.bhLink.set(this.pairKey(s, S), this.addLink(bh.cloud_capacity, bh.cloud_latency));
      this.bhLink.set(this.pairKey(S, s), this.addLink(bh.cloud_capacity, bh.cloud_latency));
    }
    if (bh.topology === 'mesh') {
      for (let a = 0; a < S; a++) {
        for (let b = 0; b < S; b++) if (a !== b) this.bhLink.set(this.pairKey(a, b), this.addLink(bh.peer_capacity, bh.peer_latency));
      }
    }

    const U = this.userCount;
    this.gain = new Float64Array(U * S);
    this.shadowDb = new Float64Array(U * S);
    this.hysteresis = dbToLinear(spec.servers.handover_hysteresis);
    // Static users never move: no walk state (it would be 16 bytes per user).
    const moving = spec.users.mobility.model !== 'static';
    this.shadowCorr_m = moving ? ch.shadowing_correlation : Number.POSITIVE_INFINITY;
    this.shadowX = moving ? Float64Array.from(this.topology.users.x) : new Float64Array(0);
    this.shadowY = moving ? Float64Array.from(this.topology.users.y) : new Float64Array(0);
    const randomLos = pathloss.kind === '3gpp-uma' && pathloss.los === 'random';
    this.losDraw = randomLos ? new Float64Array(U * S) : null;
    // fading streams are made on a user's first faded transfer (none without fading)
    this.fadingRng = new Array<Rng | undefined>(U);
    for (let u = 0; u < U; u++) {
      const shadowRng = engine.rngOnce(`user:${u}:shadowing`);
      for (let s = 0; s < S; s++) this.shadowDb[u * S + s] = shadowingDb(shadowRng, ch.shadowing_sigma);
      if (this.losDraw !== null) {
        const losRng = engine.rngOnce(`user:${u}:los`);
        for (let s = 0; s < S; s++) this.losDraw[u * S + s] = losRng.next();
      }
      this.refreshGains(u);
      this.associate(u, true);
    }
  }

  get serverCount(): number {
    return this.topology.serverCount;
  }
  get userCount(): number {
    return this.topology.userCount;
  }
  servingCell(user: number): number {
    return this.topology.serving[user]!;
  }
  cellsInRange(user: number): readonly number[] {
    return this.topology.inRange(user);
  }
  distance(user: number, server: number): number {
    return this.topology.distance(user, server);
  }
  inCoverage(user: number, server: number): boolean {
    const range = this.spec.servers.range;
    if (range !== undefined && this.topology.distance(user, server) > range) return false;
    return this.seDown(server, user, 1) > 0;
  }

  /** Recompute `user`'s mean gains after it moved; returns true when its serving cell changed. */
  moved(user: number): boolean {
    this.walkShadowing(user);
    this.refreshGains(user);
    if (this.stalled.length > 0) this.resume(user);
    return this.associate(user);
  }

  /**
   * Choose the serving cell of `user` by the scenario's association rule; returns true when it changed.
   * strongest: the highest mean gain (path loss and shadowing; equal transmit powers) among the cells
   * within range, ties to the lower index; with none in range, the nearest (which then cannot serve).
   * After the first choice, a user hands over only when its cell left range or another beats it by
   * more than `handover_hysteresis` (3GPP A3 event with zero offsets, as ns-3's A3RsrpHandoverAlgorithm).
   */
  private associate(user: number, initial = false): boolean {
    if (this.spec.servers.association !== 'strongest') return this.topology.updateServing(user);
    const S = this.serverCount;
    const range = this.spec.servers.range ?? Number.POSITIVE_INFINITY;
    let best = -1;
    let bestGain = -1;
    for (let s = 0; s < S; s++) {
      const g = this.gain[user * S + s]!;
      if (g > bestGain && this.topology.distance(user, s) <= range) {
        best = s;
        bestGain = g;
      }
    }
    if (best < 0) return this.topology.updateServing(user);
    const cur = this.topology.serving[user]!;
    if (!initial && best !== cur && this.topology.distance(user, cur) <= range && bestGain <= this.gain[user * S + cur]! * this.hysteresis) return false;
    return this.topology.setServing(user, best);
  }

  /** Downlinks of `user` that waited out of coverage get the efficiency of its new position (they start once it is > 0). */
  private resume(user: number): void {
    const st = this.stalled;
    for (let i = st.length - 1; i >= 0; i--) {
      const f = st[i]!;
      if (this.owner[f] === null || this.dir[f] !== 1) {
        st[i] = st[st.length - 1]!;
        st.pop();
        continue;
      }
      if (this.flowUser[f] !== user) continue;
      const e = this.seDown(this.flowCell[f]!, user, 1);
      if (!(e > 0)) continue;
      this.eff[f] = e;
      if (this.pendingEv[f]! < 0) this.links[this.route[f]![this.hop[f]!]!]!.setEfficiency(f, e);
      st[i] = st[st.length - 1]!;
      st.pop();
    }
  }

  /** Decorrelate `u`'s shadowing over the distance it moved since the last update (every cell sees the same displacement). */
  private walkShadowing(u: number): void {
    const sigma = this.spec.channel.shadowing_sigma;
    if (sigma === 0 || this.shadowCorr_m === Number.POSITIVE_INFINITY) return;
    const { x, y } = this.topology.users;
    const moved_m = Math.hypot(x[u]! - this.shadowX[u]!, y[u]! - this.shadowY[u]!);
    if (!(moved_m > 0)) return;
    this.shadowX[u] = x[u]!;
    this.shadowY[u] = y[u]!;
    const rng = (this.shadowWalkRng[u] ??= this.engine.rng(`user:${u}:shadowing-walk`));
    const S = this.serverCount;
    for (let s = 0; s < S; s++) this.shadowDb[u * S + s] = correlatedShadowingDb(rng, this.shadowDb[u * S + s]!, moved_m, this.shadowCorr_m, sigma);
  }

  private refreshGains(u: number): void {
    const S = this.serverCount;
    for (let s = 0; s < S; s++) {
      const mean = drawGain(this.cfgDown, this.topology.distance(u, s), undefined, this.losDraw?.[u * S + s]); // no rng: mean path loss only
      this.gain[u * S + s] = mean * 10 ** (this.shadowDb[u * S + s]! / 10);
    }
  }

  private fade(user: number): number {
    return this.spec.channel.fading === 'rayleigh' ? -Math.log((this.fadingRng[user] ??= this.engine.rng(`user:${user}:fading`)).nextOpen()) : 1;
  }

  private seDown(server: number, user: number, fading: number): number {
    const g = this.gain[user * this.serverCount + server]! * fading;
    return spectralEfficiency(snr(this.cfgDown.tx_power_w, g, this.noiseDown), this.cfgDown.rate);
  }

  /** Full-band uplink SNR of a user (linear). */
  private snrUp(server: number, user: number, fading: number): number {
    const g = this.gain[user * this.serverCount + server]! * fading;
    return snr(this.cfgUp.tx_power_w, g, this.noiseUp);
  }

  /**
   * Uplink efficiency on a share of the band: the same power over share x noise. Below the lowest
   * MCS the phone uses the part of its share where its SNR meets that MCS (efficiency relative to the share).
   */
  private readonly upShareEff = (snrFull: number, share: number): number => {
    const se = spectralEfficiency(snrFull / share, this.cfgUp.rate);
    if (se > 0 || this.mcsFloorSnr === 0) return se;
    return (snrFull / this.mcsFloorSnr / share) * this.mcsFloorEff;
  };

  peakRateDown(server: number, user: number): number {
    return this.cfgDown.bandwidth_hz * this.seDown(server, user, 1);
  }
  peakRateUp(server: number, user: number): number {
    return this.cfgUp.bandwidth_hz * this.upShareEff(this.snrUp(server, user, 1), 1);
  }
  radioLatency_s(): number {
    return this.spec.radio.latency;
  }
  backhaulLatency_s(from: number, to: number): number {
    const route = this.routeOf(from, to);
    let t = 0;
    for (let i = 0; i < route.length; i++) t += this.linkLatency[route[i]!]!;
    return t;
  }
  uplinkEnergy_j(_user: number, bytes: number, airtime_s: number): number {
    const r = this.spec.radio;
    return bytes * 8 * r.uplink_power_per_bit + r.active_power * airtime_s;
  }
  /** Device energy to receive `bytes` over `airtime_s`, J. */
  downlinkEnergy_j(bytes: number, airtime_s: number): number {
    const r = this.spec.radio;
    return bytes * 8 * r.downlink_power_per_bit + r.active_power * airtime_s;
  }
  /** RRC tail energy after a burst, J. */
  tailEnergy_j(): number {
    return this.spec.radio.tail_power * this.spec.radio.tail_time;
  }

  downlink(server: number, user: number, bytes: number, owner: TransferOwner, tag: number): number {
    const e = this.seDown(server, user, this.fade(user));
    const f = this.begin(this.downRoute[server]!, bytes, e, owner, tag, -1, 1);
    this.flowUser[f] = user;
    this.flowCell[f] = server;
    if (!(e > 0)) this.stalled.push(f);
    return f;
  }

  uplink(server: number, user: number, bytes: number, owner: TransferOwner, tag: number): number {
    return this.begin(this.upRoute[server]!, bytes, this.snrUp(server, user, this.fade(user)), owner, tag, user, 2);
  }

  multicast(server: number, users: readonly number[], bytes: number, owner: TransferOwner, tag: number): number {
    let worst = Infinity;
    for (const u of users) worst = Math.min(worst, this.seDown(server, u, this.fade(u)));
    return this.begin(this.downRoute[server]!, bytes, users.length > 0 ? worst : 0, owner, tag, -1, 3);
  }

  /** Count `bits` delivered by radio flow `flow` (the byte counters count what was sent, when it was sent). */
  private countRadio(flow: number, bits: number): void {
    const d = this.dir[flow]!;
    if (d === 2) this.bitsUp += bits;
    else if (d !== 0) this.bitsDown += bits;
  }

  backhaul(from: number, to: number, bytes: number, owner: TransferOwner, tag: number): number {
    const route = this.routeOf(from, to);
    this.bitsBackhaul += bytes * 8 * route.length;
    return this.begin(route, bytes, 1, owner, tag);
  }

  abort(flow: number): number {
    if (this.owner[flow] === null || this.owner[flow] === undefined) return 0;
    const ev = this.pendingEv[flow]!;
    const size = this.sizeBits[flow]!;
    let left = size;
    // Waiting for a hop's latency (or a same-node completion): drop that event, so a later
    // transfer that reuses this flow id is not started or finished by it.
    if (ev >= 0) this.engine.cancel(ev);
    else left = Math.max(0, this.links[this.route[flow]![this.hop[flow]!]!]!.abort(flow));
    this.countRadio(flow, size - left);
    this.release(flow);
    return (size - left) / 8;
  }

  /** Utilization (time-averaged busy fraction) of each cell's downlink. */
  cellUtilization(server: number): number {
    return this.links[this.downLink[server]!]!.utilization();
  }

  /** Event: a transfer's latency elapsed (start it on its current hop), or a same-node transfer is done. */
  handle(kind: number, arg: number): void {
    const flow = arg;
    if (this.owner[flow] === null) return; // aborted while waiting
    this.pendingEv[flow] = -1;
    if (kind === SAME_NODE) {
      this.linkDone(-1, flow);
      return;
    }
    const link = this.route[flow]![this.hop[flow]!]!;
    this.links[link]!.start(flow, this.sizeBits[flow]!, this.eff[flow]!, Number.POSITIVE_INFINITY, this.group[flow]!);
  }

  /** A link finished a flow's current hop. */
  linkDone(_link: number, flow: number): void {
    const next = this.hop[flow]! + 1;
    if (next < this.route[flow]!.length) {
      this.hop[flow] = next;
      this.pendingEv[flow] = this.engine.schedule(this.linkLatency[this.route[flow]![next]!]!, this, START, flow);
      return;
    }
    const owner = this.owner[flow]!;
    const tag = this.tag[flow]!;
    this.countRadio(flow, this.sizeBits[flow]!);
    this.release(flow);
    owner.onTransferDone(tag);
  }

  private begin(route: readonly number[], bytes: number, efficiency: number, owner: TransferOwner, tag: number, group = -1, dir = 0): number {
    const flow = this.free.pop() ?? this.owner.length;
    this.owner[flow] = owner;
    this.group[flow] = group;
    this.dir[flow] = dir;
    this.tag[flow] = tag;
    this.route[flow] = route;
    this.hop[flow] = 0;
    this.sizeBits[flow] = bytes * 8;
    this.eff[flow] = efficiency;
    // Same node: nothing to send, done in a zero-delay event.
    this.pendingEv[flow] =
      route.length === 0 ? this.engine.schedule(0, this, SAME_NODE, flow) : this.engine.schedule(this.linkLatency[route[0]!]!, this, START, flow);
    return flow;
  }

  private release(flow: number): void {
    this.owner[flow] = null;
    this.free.push(flow);
  }

  private addLink(capacity: number, latency_s: number, effOfShare: ShareEfficiency | null = null): number {
    const idx = this.links.length;
    this.links.push(new PsLink(this.engine, capacity, new LinkPort(this, idx), 16, effOfShare));
    this.linkLatency.push(latency_s);
    return idx;
  }

  /** Key of the directed link from node a to node b (CLOUD as S). */
  private pairKey(a: number, b: number): number {
    return a * (this.serverCount + 1) + b;
  }

  /** Links from node `from` to node `to` (servers 0..S-1, CLOUD); built once per pair, shared (never mutated). */
  private routeOf(from: number, to: number): readonly number[] {
    const S = this.serverCount;
    const f = from === CLOUD ? S : from;
    const t = to === CLOUD ? S : to;
    if (f === t) return NO_ROUTE;
    const key = f * (S + 1) + t;
    let route = this.bhRoute.get(key);
    if (route === undefined) {
      const direct = this.bhLink.get(this.pairKey(f, t));
      // Star: via the cloud.
      route = direct !== undefined ? [direct] : [this.bhLink.get(this.pairKey(f, S))!, this.bhLink.get(this.pairKey(S, t))!];
      this.bhRoute.set(key, route);
    }
    return route;
  }
}

export const topologyDomain: Domain<TopologySpec> = {
  key: 'topology',
  description: 'base stations with edge servers, users, the radio channel and the backhaul',
  order: 10,
  schema: topologySchema,
  build(world: World, spec: TopologySpec) {
    const net = world.provide('network', new Network(world.engine, spec));
    world.provide('topology', net.topology);
    buildMobility(world, net, spec.users.mobility);
    world.recorder.metric('radio_downlink_bytes', () => net.bitsDown / 8);
    world.recorder.metric('radio_uplink_bytes', () => net.bitsUp / 8);
  },
};
