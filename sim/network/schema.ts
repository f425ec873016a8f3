import { z } from 'zod';
import { quantity } from '../scenario/units.ts';

/** Points in metres: [[x, y], ...]. */
const positions = z.array(z.tuple([z.number(), z.number()])).min(1);

export const serversSchema = z.strictObject({
  layout: z.enum(['grid', 'list', 'ppp']).prefault('grid').describe('grid: a square grid over the area; list: `positions`; ppp: Poisson point process with `density`'),
  count: z.number().int().min(1).default(1).describe('number of base stations with edge servers (grid)'),
  positions: positions.optional().describe('list layout: server positions in metres'),
  density: quantity('rate', { gt: 0 }).optional().describe('ppp layout: servers per square metre (given as a number)'),
  device: z.string().prefault('l4').describe('hardware profile id of each edge server (see `mei-sim list profiles`)'),
  storage: quantity('bytes', { min: 0 }).prefault('1 TB').describe('model cache storage per server'),
  bandwidth: quantity('frequency', { gt: 0 }).prefault('20 MHz').describe('cell bandwidth'),
  tx_power: quantity('power', { gt: 0 }).prefault('46 dBm').describe('base station transmit power'),
  range: quantity('distance', { gt: 0 }).optional().describe('coverage radius; default: unlimited (nearest server serves)'),
});

export const usersSchema = z.strictObject({
  count: z.number().int().min(1).default(10),
  placement: z.enum(['uniform', 'list']).prefault('uniform'),
  positions: positions.optional().describe('list placement: user positions in metres'),
  device: z.string().prefault('snapdragon-8-gen-3').describe('hardware profile id of user devices'),
});

export const topologySchema = z.strictObject({
  area: quantity('distance', { gt: 0 }).prefault('1 km').describe('side of the square simulation area'),
  servers: serversSchema.prefault({}),
  users: usersSchema.prefault({}),
});

export type TopologySpec = z.output<typeof topologySchema>;
