import { z } from 'zod';
import { type Dimension, parseQuantity } from '../common/units.ts';
import { DTYPES } from '../workload/types.ts';

/**
 * Hardware profile schema. A profile is one device (a SoC, a board or a
 * server). Every number is a Sourced value: `value` (SI number or a string
 * with a unit) plus exactly one of `source:` (a URL or document) or
 * `derived:` (the arithmetic, e.g. "4 cores x 32 FLOP/cycle x 3.3 GHz").
 */
export { DTYPES, type Dtype } from '../workload/types.ts';
export const UNIT_NAMES = ['cpu', 'gpu', 'npu', 'dsp'] as const;
export type UnitName = (typeof UNIT_NAMES)[number];

export function sourced(dim: Dimension | 'number', opts: { min?: number; max?: number } = {}) {
  return z
    .strictObject({
      value: z.union([z.number(), z.string()]),
      source: z.string().min(3).optional(),
      derived: z.string().min(3).optional(),
      note: z.string().optional(),
    })
    .superRefine((v, ctx) => {
      if ((v.source === undefined) === (v.derived === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'give exactly one of `source:` (URL or document) or `derived:` (the arithmetic)' });
      }
    })
    .transform((v, ctx) => {
      let x: number;
      try {
        x = dim === 'number' ? (typeof v.value === 'number' ? v.value : Number(v.value)) : parseQuantity(v.value, dim);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message, path: ['value'] });
        return z.NEVER;
      }
      if (!Number.isFinite(x)) {
        ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(v.value)}`, path: ['value'] });
        return z.NEVER;
      }
      if (opts.min !== undefined && x < opts.min) {
        ctx.addIssue({ code: 'custom', message: `expected >= ${opts.min}, got ${x}`, path: ['value'] });
        return z.NEVER;
      }
      if (opts.max !== undefined && x > opts.max) {
        ctx.addIssue({ code: 'custom', message: `expected <= ${opts.max}, got ${x}`, path: ['value'] });
        return z.NEVER;
      }
      return { value: x, source: v.source, derived: v.derived, note: v.note } as SourcedValue;
    });
}

export interface SourcedValue {
  value: number;
  source?: string;
  derived?: string;
  note?: string;
}

const peakTable = z.strictObject({
  fp32: sourced('flop-rate', { min: 0 }).optional(),
  fp16: sourced('flop-rate', { min: 0 }).optional(),
  int8: sourced('flop-rate', { min: 0 }).optional(),
  int4: sourced('flop-rate', { min: 0 }).optional(),
});

const cpuCluster = z.strictObject({
  name: z.string(),
  core: z.string().describe('core IP, e.g. cortex-a76, oryon, firestorm'),
  cores: z.number().int().min(1),
  freq: sourced('frequency', { min: 0 }),
  simd_bits: z.number().int().describe('vector width of one SIMD pipe, bits'),
  simd_pipes: z.number().int().min(1).describe('128-bit (or simd_bits) FMA pipes per core'),
  dotprod: z.boolean().describe('SDOT/UDOT (Armv8.2 dotprod) or VNNI'),
  i8mm: z.boolean().describe('SMMLA/UMMLA int8 matrix multiply (Armv8.6 i8mm) or AMX/AVX512-VNNI equivalent'),
  mmla_ratio: sourced('number', { min: 0 })
    .optional()
    .describe('measured int8 throughput of SMMLA over SDOT on this core (default 2, as on Arm Cortex/Neoverse cores); the int8 peak uses max(1, ratio)'),
  bandwidth_per_core: sourced('byterate', { min: 0 })
    .optional()
    .describe('DRAM bandwidth one core draws alone, measured (mei-sim calibrate writes it); default: Little\'s law from the core\'s outstanding lines'),
  source: z.string().optional(),
});

const efficiency = z.strictObject({
  compute: sourced('number', { min: 0, max: 1 }).describe('achieved fraction of peak compute (eta_c)'),
  memory: sourced('number', { min: 0, max: 1 }).describe('achieved fraction of DRAM bandwidth (eta_m)'),
});

const energy = z.strictObject({
  pj_per_flop: sourced('number', { min: 0 }).describe('energy per FLOP (or int op), picojoules'),
  pj_per_dram_byte: sourced('number', { min: 0 }).describe('energy per DRAM byte moved, picojoules'),
});

export const unitSchema = z.strictObject({
  name: z.string().describe('marketing name, e.g. "Adreno 750", "Hexagon HTP v75"'),
  kind: z.enum(UNIT_NAMES),
  clusters: z.array(cpuCluster).optional().describe('CPU only: the core clusters'),
  peak: peakTable.describe('peak throughput per dtype, FLOP/s (ops/s for int)'),
  overhead: sourced('time', { min: 0 }).describe('fixed cost per operator (launch/dispatch), seconds'),
  energy,
  efficiency: efficiency.optional().describe('defaults for this unit; falls back to the device defaults'),
  bandwidth_share: sourced('number', { min: 0, max: 1 }).optional().describe('fraction of DRAM bandwidth this unit can draw alone (default 1)'),
  memory: sourced('byterate', { min: 0 }).optional().describe('unit-private memory bandwidth (e.g. discrete GPU HBM); default the device DRAM'),
  min_weight_bits: sourced('number', { min: 1 }).optional().describe('narrowest weight width the datapath reads; narrower weights are stored and streamed at this width (e.g. 8 on Hexagon before v73, which has no 4-bit weights)'),
});

export const profileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  name: z.string(),
  kind: z.enum(['soc', 'board', 'server', 'host']),
  vendor: z.string(),
  description: z.string().optional(),
  memory: z.strictObject({
    bandwidth: sourced('byterate', { min: 0 }),
    capacity: sourced('bytes', { min: 0 }),
    type: z.string().optional(),
  }),
  power: z.strictObject({
    idle: sourced('power', { min: 0 }),
    sustained: sourced('power', { min: 0 }),
    peak: sourced('power', { min: 0 }).optional(),
  }),
  defaults: z.strictObject({ efficiency }),
  // partialRecord: zod 4's z.record with an enum key demands every key; a device has only some units.
  units: z.partialRecord(z.enum(UNIT_NAMES), unitSchema),
  unmodelled_units: z
    .partialRecord(z.enum(UNIT_NAMES), z.string().min(1))
    .optional()
    .describe('units the device has but the profile does not model, each with the reason (e.g. no published peak); asking for one names the reason'),
  provenance: z.unknown().optional().describe('calibrated profiles: host facts, date, fit residuals'),
});

export type HardwareProfile = z.output<typeof profileSchema>;
export type HardwareUnit = z.output<typeof unitSchema>;

/**
 * Runtime profile: adjusts efficiencies and overheads per unit kind and weight
 * format, because one chip runs several times faster or slower under
 * different runtimes. Factors multiply the unit's efficiencies.
 */
const runtimeUnit = z.strictObject({
  vendors: z
    .strictObject({ value: z.array(z.string().min(1)).min(1), source: z.string().min(1) })
    .optional()
    .describe("device vendors (a profile's `vendor`, matched by prefix) whose unit of this kind the runtime targets; absent: any"),
  weight_bits: z
    .strictObject({ value: z.tuple([z.number().min(1), z.number().min(1)]), source: z.string().min(1) })
    .optional()
    .describe('the [lowest, highest] bits per weight the runtime runs on this unit kind; absent: any'),
  unmodelled: z
    .string()
    .min(1)
    .optional()
    .describe('the runtime runs on this unit kind, but its datapath there is not modelled: the reason, with its source; asking for it is an error that names the reason'),
  compute: sourced('number', { min: 0 }).optional().describe('multiplier on eta_c'),
  memory: sourced('number', { min: 0 }).optional().describe('multiplier on eta_m'),
  overhead: sourced('number', { min: 0 }).optional().describe('multiplier on the per-operator overhead'),
  weight_formats: z
    .record(z.string(), z.strictObject({ compute: sourced('number', { min: 0 }).optional(), memory: sourced('number', { min: 0 }).optional() }))
    .optional()
    .describe('per weight format, keyed by bits ("4", "8", "16"): extra multipliers'),
});

export const runtimeSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  source: z.string(),
  units: z.partialRecord(z.enum(UNIT_NAMES), runtimeUnit).describe('the unit kinds the runtime runs on; asking for another kind is an error'),
  devices: z
    .record(z.string(), z.partialRecord(z.enum(UNIT_NAMES), runtimeUnit))
    .optional()
    .describe('per-device overrides fitted by `mei-sim calibrate --from`'),
});

export type RuntimeProfile = z.output<typeof runtimeSchema>;
