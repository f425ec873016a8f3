import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Rng } from '../engine/rng.ts';
import { csvTable, type CsvTable } from './csv.ts';
import { InputError } from './errors.ts';
import { EmpiricalSampler, lognormal, lognormalFromMean, uniform } from '../engine/variates.ts';

/**
 * Scenario-level distributions of non-negative quantities (token counts,
 * sizes, durations): fixed, uniform, lognormal by mean and coefficient of
 * variation, or empirical from a CSV column. Samples are clamped to [min, max]
 * and optionally rounded to integers.
 */
export const distributionSchema = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('fixed'), value: z.number().min(0) }),
  z
    .strictObject({ dist: z.literal('uniform'), min: z.number().min(0), max: z.number().min(0) })
    .refine((d) => d.min <= d.max, { message: 'expected min <= max', path: ['max'] }),
  z
    .strictObject({
      dist: z.literal('lognormal'),
      mean: z.number().gt(0),
      cv: z.number().gt(0).describe('coefficient of variation (sd / mean)'),
      min: z.number().min(0).optional(),
      max: z.number().min(0).optional(),
    })
    .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { message: 'expected min <= max', path: ['max'] }),
  z.strictObject({
    dist: z.literal('empirical'),
    file: z.string().describe('CSV file (relative to the working directory)'),
    column: z.string(),
    interpolate: z.boolean().default(false),
  }),
]);

export type DistributionSpec = z.output<typeof distributionSchema>;

/** A sampler bound to a spec; `integer` rounds samples (>= 1 when min allows). */
export class DistributionSampler {
  private readonly empirical: EmpiricalSampler | null = null;
  private readonly mu: number = 0;
  private readonly sigma: number = 0;
  readonly mean: number;

  constructor(
    readonly spec: DistributionSpec,
    private readonly integer = false,
  ) {
    switch (spec.dist) {
      case 'fixed':
        this.mean = spec.value;
        break;
      case 'uniform':
        this.mean = (spec.min + spec.max) / 2;
        break;
      case 'lognormal': {
        const p = lognormalFromMean(spec.mean, spec.cv);
        this.mu = p.mu;
        this.sigma = p.sigma;
        this.mean = spec.mean;
        break;
      }
      case 'empirical': {
        const values = readCsvColumn(spec.file, spec.column);
        this.empirical = new EmpiricalSampler(values, undefined, { interpolate: spec.interpolate });
        this.mean = values.reduce((a, b) => a + b, 0) / values.length;
        break;
      }
    }
  }

  sample(rng: Rng): number {
    const s = this.spec;
    let x: number;
    switch (s.dist) {
      case 'fixed':
        x = s.value;
        break;
      case 'uniform':
        x = uniform(rng, s.min, s.max);
        break;
      case 'lognormal':
        x = lognormal(rng, this.mu, this.sigma);
        if (s.min !== undefined && x < s.min) x = s.min;
        if (s.max !== undefined && x > s.max) x = s.max;
        break;
      case 'empirical':
        x = this.empirical!.sample(rng);
        break;
    }
    if (this.integer) x = Math.max(1, Math.round(x));
    return x;
  }
}

function readCsvColumn(file: string, column: string): number[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`${file}:1:1: cannot read the empirical distribution file`);
  }
  let table: CsvTable;
  try {
    table = csvTable(text);
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  const { header, records } = table;
  const idx = header.indexOf(column);
  if (idx < 0) throw new InputError(`${file}: no column "${column}" (columns: ${header.join(', ')})`);
  const values = records.map((rec) => Number(rec[idx]));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new InputError(`${file}: column "${column}" must hold non-negative numbers`);
  }
  return values;
}
