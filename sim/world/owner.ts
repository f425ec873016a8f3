/**
 * Who hears that a transfer or a compute job finished: the network (sim/network/api.ts) and the
 * edge compute sites (./compute.ts) call `owner.onTransferDone(tag)`. The owner is a long-lived
 * entity and `tag` its own number (e.g. a request slot), so a completion allocates no closure.
 */
export interface TransferOwner {
  onTransferDone(tag: number): void;
}
