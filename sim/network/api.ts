/**
 * The network service every domain shares (caching downloads, inference
 * uploads and token streams, training smashed data), so they contend for the
 * same cells and backhaul links. Provided under the world service key
 * "network" by the topology domain; implemented in sim/network/network.ts.
 *
 * Transfers complete by calling `owner.onTransferDone(tag)`; the owner is a
 * long-lived entity and `tag` its own number (e.g. a request slot), so a
 * transfer allocates no closure.
 */
import type { TransferOwner } from '../world/owner.ts';

/** Node ids on the backhaul graph: edge servers are 0..S-1; the cloud origin is CLOUD. */
export const CLOUD = -1;

export interface NetworkService {
  readonly serverCount: number;
  readonly userCount: number;
  /** The server whose cell currently serves `user` (changes as users move). */
  servingCell(user: number): number;
  /** Servers whose cells can reach `user` (within range), nearest first. */
  cellsInRange(user: number): readonly number[];
  /** Distance in metres, now. */
  distance(user: number, server: number): number;
  /**
   * Can `server`'s cell serve `user` now: within the coverage range (when one is set) and, with an MCS
   * table, above its lowest MCS on the mean downlink channel (the uplink narrows its band instead).
   */
  inCoverage(user: number, server: number): boolean;

  /** Downlink unicast of `bytes` from `server`'s cell to `user`, sharing the cell (OFDMA). Returns a flow id. */
  downlink(server: number, user: number, bytes: number, owner: TransferOwner, tag: number): number;
  /** Uplink of `bytes` from `user` to `server`'s cell. */
  uplink(server: number, user: number, bytes: number, owner: TransferOwner, tag: number): number;
  /** One multicast transmission decodable by every member: rate of the worst member. */
  multicast(server: number, users: readonly number[], bytes: number, owner: TransferOwner, tag: number): number;
  /** Backhaul transfer between nodes (server index or CLOUD), over processor-sharing links. */
  backhaul(from: number, to: number, bytes: number, owner: TransferOwner, tag: number): number;
  /**
   * Cancel a transfer; its owner is not called. Returns the bytes its current hop had delivered
   * (0 while it waited for the hop's latency); the radio byte counters keep only those.
   */
  abort(flow: number): number;

  /** Rate `user` would get on the downlink/uplink of `server` if alone, bit/s (current channel). */
  peakRateDown(server: number, user: number): number;
  peakRateUp(server: number, user: number): number;
  /** One-way latency of the radio hop (scheduling + propagation), s. */
  radioLatency_s(): number;
  /** One-way backhaul latency between nodes, s. */
  backhaulLatency_s(from: number, to: number): number;
  /** Device radio energy to send `bytes` over `airtime_s`: per-bit energy + active power x airtime, J. */
  uplinkEnergy_j(user: number, bytes: number, airtime_s: number): number;
  /** Device radio energy to receive `bytes` over `airtime_s`, J. */
  downlinkEnergy_j(bytes: number, airtime_s: number): number;
}
