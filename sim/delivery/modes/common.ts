/**
 * Delivery modes (registry 'deliveryMode', scenario key `delivery.mode`): how
 * the requests a server will serve are turned into transmissions.
 */
import { Registry } from '../../common/registry.ts';

/** What a mode may ask of the delivery engine. */
export interface DeliveryOps {
  /** Send request `req` every block it needs, on its own link. */
  unicast(req: number): void;
  /** Hold `req` at its server until the batching window closes (then `flush` gets the batch). */
  enqueue(req: number): void;
  /**
   * Send a batch: each block once to exactly the requests needing it; blocks wanted by the same
   * two or more requests go together by multicast (at the worst member's rate), the rest unicast.
   */
  multicastShared(server: number, reqs: readonly number[]): void;
}

export interface DeliveryMode {
  /** A request arrived and its serving server is chosen. */
  arrive(d: DeliveryOps, req: number): void;
  /** The batching window of `server` closed with these requests (modes that enqueue). */
  flush?(d: DeliveryOps, server: number, reqs: readonly number[]): void;
}

export const deliveryModes = new Registry<DeliveryMode>('deliveryMode', 'delivery.mode');
