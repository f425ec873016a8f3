/** The delivery modes. A new mode is one file plus one `register` line here. */
import { deliveryModes } from './common.ts';
import { multicast } from './multicast.ts';
import { unicast } from './unicast.ts';

deliveryModes
  .register('unicast', 'every user gets every byte on its own link', unicast)
  .register('multicast', 'requests within a batching window grouped by shared blocks: a block several of them need is multicast once to those, at the worst one\'s rate; specific blocks unicast', multicast);

export { deliveryModes, type DeliveryMode, type DeliveryOps } from './common.ts';
