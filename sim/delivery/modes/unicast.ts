import type { DeliveryMode } from './common.ts';

/** `unicast`: every user gets every byte it needs on its own link rate (the cell's OFDMA share). */
export const unicast: DeliveryMode = {
  arrive: (d, req) => d.unicast(req),
};
