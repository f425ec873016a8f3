import { z } from 'zod';

/**
 * Physical quantities in scenario files. A value is either a bare number,
 * already in SI, or a string with a unit ("20 MHz", "46 dBm", "64 GB",
 * "100 ms", "1.2 Gbit/s"). Everything is converted to SI on input:
 * s, Hz, bytes, bit/s, bytes/s, W, J, m, FLOP, FLOP/s, 1/s, W/Hz.
 */
export type Dimension =
  | 'time'
  | 'frequency'
  | 'bytes'
  | 'bitrate'
  | 'byterate'
  | 'power'
  | 'energy'
  | 'distance'
  | 'db'
  | 'noise-density'
  | 'flop'
  | 'flop-rate'
  | 'rate'
  | 'charge'
  | 'ratio'
  | 'voltage';

type Conv = (x: number) => number;
const lin = (k: number): Conv => (x) => x * k;

const TABLE: Record<Dimension, { si: string; units: Record<string, Conv> }> = {
  time: {
    si: 's',
    units: { s: lin(1), sec: lin(1), ms: lin(1e-3), us: lin(1e-6), 'µs': lin(1e-6), ns: lin(1e-9), min: lin(60), h: lin(3600), d: lin(86400) },
  },
  frequency: { si: 'Hz', units: { Hz: lin(1), kHz: lin(1e3), MHz: lin(1e6), GHz: lin(1e9) } },
  bytes: {
    si: 'bytes',
    units: {
      B: lin(1), bytes: lin(1), byte: lin(1), kB: lin(1e3), KB: lin(1e3), MB: lin(1e6), GB: lin(1e9), TB: lin(1e12),
      KiB: lin(1024), MiB: lin(1024 ** 2), GiB: lin(1024 ** 3), TiB: lin(1024 ** 4),
      bit: lin(1 / 8), kbit: lin(1e3 / 8), Mbit: lin(1e6 / 8), Gbit: lin(1e9 / 8),
    },
  },
  bitrate: {
    si: 'bit/s',
    units: {
      'bit/s': lin(1), bps: lin(1), 'kbit/s': lin(1e3), kbps: lin(1e3), 'Mbit/s': lin(1e6), Mbps: lin(1e6),
      'Gbit/s': lin(1e9), Gbps: lin(1e9), 'Tbit/s': lin(1e12),
      'B/s': lin(8), 'kB/s': lin(8e3), 'MB/s': lin(8e6), 'GB/s': lin(8e9),
    },
  },
  byterate: {
    si: 'bytes/s',
    units: {
      'B/s': lin(1), 'kB/s': lin(1e3), 'MB/s': lin(1e6), 'GB/s': lin(1e9), 'TB/s': lin(1e12),
      'KiB/s': lin(1024), 'MiB/s': lin(1024 ** 2), 'GiB/s': lin(1024 ** 3),
      'bit/s': lin(1 / 8), 'Mbit/s': lin(1e6 / 8), 'Gbit/s': lin(1e9 / 8),
    },
  },
  power: {
    si: 'W',
    units: {
      W: lin(1), mW: lin(1e-3), uW: lin(1e-6), kW: lin(1e3),
      dBm: (x) => 10 ** ((x - 30) / 10), dBW: (x) => 10 ** (x / 10),
    },
  },
  energy: { si: 'J', units: { J: lin(1), mJ: lin(1e-3), uJ: lin(1e-6), pJ: lin(1e-12), nJ: lin(1e-9), kJ: lin(1e3), Wh: lin(3600), mWh: lin(3.6), kWh: lin(3.6e6) } },
  distance: { si: 'm', units: { m: lin(1), km: lin(1e3), cm: lin(1e-2), mm: lin(1e-3) } },
  db: { si: 'dB', units: { dB: lin(1) } },
  'noise-density': { si: 'W/Hz', units: { 'W/Hz': lin(1), 'dBm/Hz': (x) => 10 ** ((x - 30) / 10), 'dBW/Hz': (x) => 10 ** (x / 10) } },
  flop: { si: 'FLOP', units: { FLOP: lin(1), kFLOP: lin(1e3), MFLOP: lin(1e6), GFLOP: lin(1e9), TFLOP: lin(1e12), PFLOP: lin(1e15), OP: lin(1), GOP: lin(1e9), TOP: lin(1e12) } },
  'flop-rate': {
    si: 'FLOP/s',
    units: {
      'FLOP/s': lin(1), FLOPS: lin(1), 'GFLOP/s': lin(1e9), GFLOPS: lin(1e9), 'TFLOP/s': lin(1e12), TFLOPS: lin(1e12),
      'PFLOP/s': lin(1e15), 'OP/s': lin(1), 'GOP/s': lin(1e9), GOPS: lin(1e9), 'TOP/s': lin(1e12), TOPS: lin(1e12),
    },
  },
  rate: { si: '1/s', units: { '/s': lin(1), 'per s': lin(1), '1/s': lin(1), Hz: lin(1), '/min': lin(1 / 60), '/h': lin(1 / 3600), 'per h': lin(1 / 3600), 'per min': lin(1 / 60), '/d': lin(1 / 86400) } },
  charge: { si: 'C', units: { C: lin(1), mAh: lin(3.6), Ah: lin(3600) } },
  ratio: { si: '(fraction)', units: { '%': lin(0.01) } },
  voltage: { si: 'V', units: { V: lin(1), mV: lin(1e-3) } },
};

const NUMBER_RE = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$/;

export class UnitError extends Error {}

/** Units accepted for a dimension, for messages and docs. */
export function unitsOf(dim: Dimension): string[] {
  return Object.keys(TABLE[dim].units);
}

export function siUnit(dim: Dimension): string {
  return TABLE[dim].si;
}

/** Convert a number (already SI) or a "<number> <unit>" string to SI. */
export function parseQuantity(input: unknown, dim: Dimension): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new UnitError(`expected a finite ${dim}, got ${input}`);
    return input;
  }
  if (typeof input !== 'string') {
    throw new UnitError(`expected a ${dim} as a number in ${siUnit(dim)} or a string like "${example(dim)}", got ${describe(input)}`);
  }
  const m = NUMBER_RE.exec(input);
  if (m === null) {
    throw new UnitError(`expected a ${dim} like "${example(dim)}", got "${input}"`);
  }
  const value = Number(m[1]);
  const unit = m[2] ?? '';
  if (!Number.isFinite(value)) throw new UnitError(`expected a finite ${dim}, got "${input}"`);
  if (unit === '') return value;
  const table = TABLE[dim].units;
  const conv = table[unit] ?? table[unit.replace(/ps$/, '/s')];
  if (conv === undefined) {
    throw new UnitError(`unknown unit "${unit}" for a ${dim}; expected one of: ${unitsOf(dim).join(', ')}`);
  }
  const si = conv(value);
  if (!Number.isFinite(si)) throw new UnitError(`expected a finite ${dim}, got "${input}"`);
  return si;
}

function example(dim: Dimension): string {
  const u = Object.keys(TABLE[dim].units);
  return `10 ${u[Math.min(1, u.length - 1)]}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`;
}

export interface QuantityOptions {
  /** Inclusive lower bound in SI. */
  min?: number;
  /** Exclusive lower bound in SI (e.g. 0 for strictly positive). */
  gt?: number;
  /** Inclusive upper bound in SI. */
  max?: number;
  integer?: boolean;
  description?: string;
  /** Words accepted in place of a quantity, with the SI value each stands for (e.g. { frozen: Infinity }); bounds do not apply to them. */
  keywords?: Readonly<Record<string, number>>;
}

/**
 * A zod schema for a quantity: accepts a number (SI) or a string with a unit,
 * outputs the SI number. The JSON Schema (input side) shows both forms.
 */
export function quantity(dim: Dimension, opts: QuantityOptions = {}) {
  const words = Object.keys(opts.keywords ?? {});
  const orWords = words.map((w) => ` or "${w}"`).join('');
  const desc = `${opts.description ? opts.description + ' ' : ''}(${dim}; number in ${siUnit(dim)} or string with unit: ${unitsOf(dim).join(', ')}${orWords})`;
  return z
    .union([z.number(), z.string()], {
      error: (iss) =>
        iss.input === undefined
          ? `required: a ${dim}, as a number in ${siUnit(dim)} or a string with a unit, e.g. "${example(dim)}"${orWords}`
          : `expected a ${dim}: a finite number in ${siUnit(dim)} or a string with a unit, e.g. "${example(dim)}"${orWords}; got ${describe(iss.input)}`,
    })
    .transform((v, ctx) => {
      if (typeof v === 'string' && opts.keywords !== undefined && Object.hasOwn(opts.keywords, v.trim())) return opts.keywords[v.trim()]!;
      let x: number;
      try {
        x = parseQuantity(v, dim);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message + (words.length > 0 ? `; ${words.map((w) => `"${w}"`).join(', ')} ${words.length > 1 ? 'are' : 'is'} also accepted` : '') });
        return z.NEVER;
      }
      if (opts.integer && !Number.isInteger(x)) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number, got ${x}` });
        return z.NEVER;
      }
      if (opts.gt !== undefined && !(x > opts.gt)) {
        ctx.addIssue({ code: 'custom', message: `expected a ${dim} > ${opts.gt} ${siUnit(dim)}, got ${x} ${siUnit(dim)}` });
        return z.NEVER;
      }
      if (opts.min !== undefined && !(x >= opts.min)) {
        ctx.addIssue({ code: 'custom', message: `expected a ${dim} >= ${opts.min} ${siUnit(dim)}, got ${x} ${siUnit(dim)}` });
        return z.NEVER;
      }
      if (opts.max !== undefined && !(x <= opts.max)) {
        ctx.addIssue({ code: 'custom', message: `expected a ${dim} <= ${opts.max} ${siUnit(dim)}, got ${x} ${siUnit(dim)}` });
        return z.NEVER;
      }
      return x;
    })
    .meta({ description: desc, 'x-dimension': dim, 'x-si-unit': siUnit(dim) });
}

/** A dimensionless count or number with bounds, accepting only numbers. */
export function count(opts: { min?: number; max?: number; description?: string } = {}) {
  let s = z.number().int();
  if (opts.min !== undefined) s = s.min(opts.min);
  if (opts.max !== undefined) s = s.max(opts.max);
  return opts.description ? s.describe(opts.description) : s;
}
