import { z } from 'zod';
import { deviceId } from '../hardware/refs.ts';
import { quantity } from '../common/units.ts';
import { SHADOWING_CORRELATION_M } from './channel.ts';
import { mobilitySchema } from './mobility-schema.ts';

/** Points in metres: [[x, y], ...]. List positions may lie outside the area, which bounds grid and uniform placement and mobility. */
const positions = z.array(z.tuple([z.number(), z.number()])).min(1);

/** Counts when the scenario gives none (grid servers, uniform users). */
export const DEFAULT_SERVER_COUNT = 1;
export const DEFAULT_USER_COUNT = 10;

/** A list layout needs positions and takes its count from them; other layouts take no positions (they would be ignored). */
function listChecks(isList: boolean, what: string, count: number | undefined, pos: readonly unknown[] | undefined, ctx: z.RefinementCtx): void {
  if (isList && pos === undefined) ctx.addIssue({ code: 'custom', path: ['positions'], message: `${what} needs positions: [[x, y], ...] in metres` });
  if (isList && pos !== undefined && count !== undefined && count !== pos.length) {
    ctx.addIssue({ code: 'custom', path: ['count'], message: `count ${count} does not match the ${pos.length} position(s) of ${what}; leave count out or make them agree` });
  }
  if (!isList && pos !== undefined) ctx.addIssue({ code: 'custom', path: ['positions'], message: `positions apply to ${what} only; they would be ignored here` });
}

export const serversSchema = z.strictObject({
  layout: z.enum(['grid', 'list', 'ppp']).prefault('grid').describe('grid: a square grid over the area; list: `positions`; ppp: Poisson point process with `density`'),
  count: z.number().int().min(1).max(100_000).optional().describe(`number of base stations with edge servers (grid; default ${DEFAULT_SERVER_COUNT}); at most 100 000. With layout: list it is the number of positions, and if given must match it`),
  positions: positions.optional().describe('list layout: server positions in metres'),
  density: z.number().gt(0).optional().describe('ppp layout: mean servers per square metre, a plain number (1e-5 = 10 per km²); default count / area²'),
  device: deviceId().prefault('l4').describe('hardware profile id of each edge server (see `mei-sim list profiles`)'),
  storage: quantity('bytes', { min: 0 }).prefault('1 TB').describe('model cache storage per server'),
  bandwidth: quantity('frequency', { gt: 0 }).prefault('20 MHz').describe('cell bandwidth'),
  tx_power: quantity('power', { gt: 0 }).prefault('46 dBm').describe('base station transmit power'),
  range: quantity('distance', { gt: 0 }).optional().describe('coverage radius; default: unlimited (every cell may serve)'),
  association: z
    .enum(['nearest', 'strongest'])
    .prefault('nearest')
    .describe('which cell serves a user: nearest (the closest base station, the usual stochastic-geometry assumption) or strongest (the highest mean received power, path loss and shadowing without fast fading, as 3GPP cell selection by RSRP) among the cells within range; re-chosen whenever the user moves (strongest: past `handover_hysteresis`)'),
  handover_hysteresis: quantity('db', { min: 0 })
    .prefault('3 dB')
    .describe(
      "association: strongest: a moving user keeps its cell until another in range is stronger by more than this margin, or its cell leaves range (3GPP A3 event with zero offsets; 3 dB is ns-3's A3RsrpHandoverAlgorithm default). Without it, shadowing that varies as users move makes users at cell edges hand over back and forth",
    ),
}).superRefine((s, ctx) => {
  listChecks(s.layout === 'list', 'layout: list', s.count, s.positions, ctx);
  if (s.density !== undefined && s.layout !== 'ppp') ctx.addIssue({ code: 'custom', path: ['density'], message: `density applies to layout: ppp; this layout is ${s.layout}` });
  if (s.density !== undefined && s.count !== undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: 'give count (the mean number of servers) or density, not both: with density, count would be ignored' });
});

export const usersSchema = z.strictObject({
  count: z.number().int().min(1).max(10_000_000).optional().describe(`number of users (default ${DEFAULT_USER_COUNT}); at most 10 000 000. Their state is held in memory, about 1.2-2.5 kB per user plus 16 bytes per user and cell (a million users with 64 cells peak at 2.6 GB); a count the Node heap cannot hold is refused, naming the NODE_OPTIONS that raises it. With placement: list it is the number of positions, and if given must match it`),
  placement: z.enum(['uniform', 'list']).prefault('uniform'),
  positions: positions.optional().describe('list placement: user positions in metres'),
  device: deviceId().prefault('snapdragon-8-gen-3').describe('hardware profile id of user devices'),
  mobility: mobilitySchema.prefault({}).describe('how users move'),
}).superRefine((u, ctx) => listChecks(u.placement === 'list', 'placement: list', u.count, u.positions, ctx));

export const channelSchema = z.strictObject({
  pathloss: z
    .discriminatedUnion('model', [
      z.strictObject({ model: z.literal('urban-macro') }).describe('128.1 + 37.6 log10(d_km) dB (3GPP TR 36.814 macro)'),
      z.strictObject({
        model: z.literal('log-distance'),
        pl0: quantity('db').describe('path loss at the reference distance'),
        d0: quantity('distance', { gt: 0 }).prefault('1 m'),
        exponent: z.number().gt(0),
      }),
      z.strictObject({
        model: z.literal('3gpp-uma'),
        carrier: quantity('frequency', { gt: 0 }).prefault('3.5 GHz'),
        bs_height: quantity('distance', { gt: 0 }).prefault('25 m'),
        ue_height: quantity('distance', { gt: 0 }).prefault('1.5 m'),
        los: z.enum(['los', 'nlos', 'random']).default('random'),
      }),
    ])
    .prefault({ model: 'urban-macro' }),
  shadowing_sigma: quantity('db', { min: 0 }).prefault('8 dB').describe('log-normal shadowing standard deviation (0 = off)'),
  shadowing_correlation: quantity('distance', { gt: 0, keywords: { frozen: Number.POSITIVE_INFINITY } })
    .prefault(`${SHADOWING_CORRELATION_M.uma_nlos} m`)
    .describe(
      "decorrelation distance of shadowing as users move (Gudmundson's exponential model, correlation exp(-moved / distance); 3GPP TR 38.901 Table 7.5-6 UMa: 37 m LOS, 50 m NLOS), or frozen: each user keeps its first draw per cell wherever it goes",
    ),
  fading: z.enum(['none', 'rayleigh']).default('none').describe('rayleigh: a fresh block-fading draw per transfer'),
  noise_density: quantity('noise-density').prefault('-174 dBm/Hz'),
  noise_figure: quantity('db', { min: 0 }).prefault('9 dB').describe('noise figure of the user device receiver (downlink); ns-3 LteUePhy default, 9 dB'),
  bs_noise_figure: quantity('db', { min: 0 }).prefault('5 dB').describe('noise figure of the base-station receiver (uplink); ns-3 LteEnbPhy default, 5 dB'),
  max_spectral_efficiency: z.number().gt(0).optional().describe('cap on bit/s/Hz (e.g. 5.55 for 64QAM CQI 15)'),
  mcs: z.enum(['shannon', 'cqi-table-1']).default('shannon').describe('rate from Shannon or from the 3GPP CQI table'),
});

export const radioSchema = z.strictObject({
  uplink_bandwidth: quantity('frequency', { gt: 0 }).optional().describe('uplink bandwidth per cell (default: the cell bandwidth)'),
  ue_tx_power: quantity('power', { gt: 0 }).prefault('23 dBm').describe('device transmit power (3GPP power class 3)'),
  latency: quantity('time', { min: 0 }).prefault('5 ms').describe('one-way radio latency (scheduling, HARQ, propagation) added to each transfer'),
  uplink_power_per_bit: quantity('energy', { min: 0 }).prefault('438.39 nJ').describe('device electrical energy per uplink bit (LTE power model, Huang et al. MobiSys 2012: 438.39 mW/Mbit/s = 438.39 nJ/bit)'),
  downlink_power_per_bit: quantity('energy', { min: 0 }).prefault('51.97 nJ').describe('device electrical energy per downlink bit (Huang et al. 2012: 51.97 mW/Mbit/s = 51.97 nJ/bit)'),
  active_power: quantity('power', { min: 0 }).prefault('1288.04 mW').describe('device radio base power while transferring (Huang et al. 2012)'),
  tail_power: quantity('power', { min: 0 }).prefault('1060 mW').describe('RRC tail power after a transfer (Huang et al. 2012)'),
  tail_time: quantity('time', { min: 0 }).prefault('11.576 s').describe('RRC tail duration (Huang et al. 2012)'),
});

export const backhaulSchema = z.strictObject({
  topology: z.enum(['star', 'mesh']).default('star').describe('star: every server links to the cloud only; mesh: also a direct link between every two servers'),
  cloud_capacity: quantity('bitrate', { gt: 0 }).prefault('10 Gbit/s').describe('capacity of each server-cloud link'),
  cloud_latency: quantity('time', { min: 0 }).prefault('20 ms'),
  peer_capacity: quantity('bitrate', { gt: 0 }).prefault('10 Gbit/s').describe('mesh: capacity of each server-server link'),
  peer_latency: quantity('time', { min: 0 }).prefault('2 ms'),
});

export const topologySchema = z.strictObject({
  area: quantity('distance', { gt: 0 }).prefault('1 km').describe('side of the square simulation area'),
  servers: serversSchema.prefault({}),
  users: usersSchema.prefault({}),
  channel: channelSchema.prefault({}),
  radio: radioSchema.prefault({}),
  backhaul: backhaulSchema.prefault({}),
}).superRefine((t, ctx) => {
  const d = t.servers.density;
  if (d !== undefined && d * t.area * t.area > 100_000) {
    ctx.addIssue({ code: 'custom', path: ['servers', 'density'], message: `expected at most 100 000 servers on average over the area; ${d} per m² over ${t.area} m x ${t.area} m is ${(d * t.area * t.area).toExponential(2)}` });
  }
});

export type TopologySpec = z.output<typeof topologySchema>;
