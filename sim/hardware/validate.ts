/**
 * Validation of the roofline against published LLM measurements: rows in the
 * column layout of measurements-calibration.csv (model, weight_bits, device,
 * unit, runtime, threads, prompt_tokens, prefill_tok_s, decode_tok_s; other
 * columns ignored). Prefill over prompt_tokens (empty: 128); decode averaged
 * over gen = 128 tokens from an empty context, as llama-bench's tgN measures
 * it (most rows; for the few measured after a short prompt the KV difference is
 * a few percent). A row that cannot be predicted is returned under `errors`,
 * never skipped.
 */
import { readFileSync } from 'node:fs';
import { CsvSyntaxError, parseCsv as parseCsvRaw, parseCsvLines } from '../common/csv.ts';
import { InputError } from '../common/errors.ts';
import { predict, type TweakFn } from './predict.ts';
import { UNIT_NAMES, type UnitName } from './profile-schema.ts';
import { heldoutKey, type HeldoutGroup } from './fit-overlay.ts';

export interface MeasurementRow {
  /** 1-based line of the file the row starts on (the header is line 1 when it is the first line). */
  line: number;
  model: string;
  weight_bits: number;
  device: string;
  unit: UnitName;
  runtime: string | undefined;
  threads: number | undefined;
  prompt_tokens: number | undefined;
  prefill_tok_s: number | undefined;
  decode_tok_s: number | undefined;
  source: string | undefined;
}

export const DEFAULT_PROMPT = 128;
export const DEFAULT_GEN = 128;

/** RFC 4180 CSV (sim/common/csv.ts parser), blank lines dropped. */
export function parseCsv(text: string): string[][] {
  return parseCsvRaw(text).filter((row) => row.some((f) => f.trim() !== ''));
}

export interface RowProblem {
  line: number;
  message: string;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : NaN;
}

/** The columns validate reads; model, weight_bits, device and unit are required. */
export const MEASUREMENT_COLUMNS = ['model', 'weight_bits', 'device', 'unit', 'runtime', 'threads', 'prompt_tokens', 'prefill_tok_s', 'decode_tok_s'] as const;
const REQUIRED_COLUMNS = MEASUREMENT_COLUMNS.slice(0, 4);

/**
 * Parse measurement rows; a malformed row becomes a problem at its file line (reported under errors,
 * never dropped silently). A file that is not such a table (no header with the required columns,
 * broken quoting) is an InputError.
 */
export function parseMeasurements(text: string, file = 'CSV'): { rows: MeasurementRow[]; problems: RowProblem[] } {
  let parsed: { records: string[][]; lines: number[] };
  try {
    parsed = parseCsvLines(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new InputError(`${file}:${e.line}: ${e.message.replace(/^line \d+: /, '')}`);
    throw e;
  }
  const keep = parsed.records.map((r, i) => ({ cells: r, line: parsed.lines[i]! })).filter((r) => r.cells.some((f) => f.trim() !== ''));
  if (keep.length === 0) throw new InputError(`${file}: empty; expected a header line with the columns ${MEASUREMENT_COLUMNS.join(', ')} and one row per measurement`);
  // Column names match case-insensitively, as the ids do.
  const header = keep[0]!.cells.map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const missing = REQUIRED_COLUMNS.filter((n) => col(n) < 0);
  if (missing.length > 0) {
    const hint = header.length === 1 && /[;\t]/.test(header[0]!) ? ' (fields must be separated by commas)' : '';
    throw new InputError(`${file}:${keep[0]!.line}: header lacks the column(s) ${missing.join(', ')}${hint}; it has: ${header.join(', ')}; expected ${MEASUREMENT_COLUMNS.join(', ')}`);
  }
  const rows: MeasurementRow[] = [];
  const problems: RowProblem[] = [];
  for (const { cells, line } of keep.slice(1)) {
    const get = (name: string) => {
      const i = col(name);
      return i < 0 ? undefined : cells[i]?.trim();
    };
    const bad: string[] = [];
    if (cells.length < header.length) {
      const absent = MEASUREMENT_COLUMNS.filter((c) => col(c) >= cells.length);
      if (absent.length > 0) bad.push(`the row has ${cells.length} fields and the header ${header.length}, so it has no ${absent.join(', ')}`);
    }
    // Profile, runtime, model and unit ids are all lower case: "CPU", "QNN" or "Llama-3.2-1B" name the same thing.
    const id = (name: string) => get(name)?.toLowerCase();
    const unit = id('unit') ?? '';
    const row: MeasurementRow = {
      line,
      model: id('model') ?? '',
      weight_bits: num(get('weight_bits')) ?? NaN,
      device: id('device') ?? '',
      unit: unit as UnitName,
      runtime: id('runtime') || undefined,
      threads: num(get('threads')),
      prompt_tokens: num(get('prompt_tokens')),
      prefill_tok_s: num(get('prefill_tok_s')),
      decode_tok_s: num(get('decode_tok_s')),
      source: get('source') || undefined,
    };
    if (bad.length === 0) {
      if (!(UNIT_NAMES as readonly string[]).includes(unit)) bad.push(`unit "${unit}" is not one of ${UNIT_NAMES.join(', ')}`);
      if (!Number.isFinite(row.weight_bits) || row.weight_bits <= 0) bad.push(`weight_bits "${get('weight_bits')}" is not a positive number`);
      for (const k of ['threads', 'prompt_tokens', 'prefill_tok_s', 'decode_tok_s'] as const) {
        if (Number.isNaN(row[k])) bad.push(`${k} "${get(k)}" is not a number`);
      }
      // A rate of 0 or less is no measurement: its percentage error is undefined and a fit on it diverges.
      for (const k of ['prefill_tok_s', 'decode_tok_s'] as const) {
        const v = row[k];
        if (v !== undefined && !Number.isNaN(v) && !(v > 0)) bad.push(`${k} ${v} is not a rate > 0`);
      }
      if (row.prefill_tok_s === undefined && row.decode_tok_s === undefined) bad.push('no prefill_tok_s or decode_tok_s to compare with');
    }
    if (bad.length > 0) problems.push({ line, message: bad.join('; ') });
    else rows.push(row);
  }
  return { rows, problems };
}

export function readMeasurements(path: string): { rows: MeasurementRow[]; problems: RowProblem[] } {
  return parseMeasurements(readFileSync(path, 'utf8'), path);
}

/** What a predictor returns for one row (tokens per second). */
export interface RowPrediction {
  prefill_tok_s: number;
  decode_tok_s: number;
  prefill_bound: string;
  decode_bound: string;
}

export type RowPredictor = (row: MeasurementRow) => RowPrediction;

export interface ValidatedRow {
  line: number;
  model: string;
  weight_bits: number;
  device: string;
  unit: string;
  runtime: string;
  threads: number | '';
  prompt_tokens: number;
  measured_prefill_tok_s: number | '';
  predicted_prefill_tok_s: number | '';
  prefill_ape_pct: number | '';
  prefill_bound: string;
  measured_decode_tok_s: number | '';
  predicted_decode_tok_s: number | '';
  decode_ape_pct: number | '';
  decode_bound: string;
}

export interface ValidationReport {
  rows: number;
  /** Mean absolute percentage error, percent (e.g. 18.5 = 18.5%). null when no row has that measurement. */
  decode_mape: number | null;
  prefill_mape: number | null;
  decode_n: number;
  prefill_n: number;
  errors: { line: number; model: string; device: string; unit: string; runtime: string; message: string }[];
  predictions: ValidatedRow[];
  /** MAPE per runtime|unit ("-|unit" for rows without a runtime), sorted by key: where the misses are. */
  by_runtime_unit: GroupMape[];
}

/** MAPE of one group (runtime|unit): the same record the calibration overlay stores as held-out error. */
export type GroupMape = HeldoutGroup;

/** MAPE per group key and measurement kind (percent), sorted by key. */
export function mapeByGroup(entries: Iterable<{ key: string; kind: 'decode' | 'prefill'; ape_pct: number }>): GroupMape[] {
  const by = new Map<string, { decode: number[]; prefill: number[] }>();
  for (const e of entries) {
    let a = by.get(e.key);
    if (!a) by.set(e.key, (a = { decode: [], prefill: [] }));
    a[e.kind].push(e.ape_pct);
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, a]) => ({ key, decode_n: a.decode.length, decode_mape_pct: mean(a.decode), prefill_n: a.prefill.length, prefill_mape_pct: mean(a.prefill) }));
}

/** Absolute percentage error, percent. */
export function ape(pred: number, meas: number): number {
  return (Math.abs(pred - meas) / Math.abs(meas)) * 100;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function validateRows(rows: readonly MeasurementRow[], predictor: RowPredictor, problems: readonly RowProblem[] = []): ValidationReport {
  const errors: ValidationReport['errors'] = problems.map((p) => ({ line: p.line, model: '', device: '', unit: '', runtime: '', message: p.message }));
  const out: ValidatedRow[] = [];
  const dApe: number[] = [];
  const pApe: number[] = [];
  for (const row of rows) {
    let p: RowPrediction;
    try {
      p = predictor(row);
      if (!Number.isFinite(p.prefill_tok_s) || !Number.isFinite(p.decode_tok_s)) throw new Error('prediction is not a finite number (missing peak or bandwidth?)');
    } catch (e) {
      errors.push({ line: row.line, model: row.model, device: row.device, unit: row.unit, runtime: row.runtime ?? '', message: (e as Error).message });
      continue;
    }
    const pe = row.prefill_tok_s !== undefined ? ape(p.prefill_tok_s, row.prefill_tok_s) : undefined;
    const de = row.decode_tok_s !== undefined ? ape(p.decode_tok_s, row.decode_tok_s) : undefined;
    if (pe !== undefined) pApe.push(pe);
    if (de !== undefined) dApe.push(de);
    out.push({
      line: row.line,
      model: row.model,
      weight_bits: row.weight_bits,
      device: row.device,
      unit: row.unit,
      runtime: row.runtime ?? '',
      threads: row.threads ?? '',
      prompt_tokens: row.prompt_tokens ?? DEFAULT_PROMPT,
      measured_prefill_tok_s: row.prefill_tok_s ?? '',
      predicted_prefill_tok_s: row.prefill_tok_s !== undefined ? p.prefill_tok_s : '',
      prefill_ape_pct: pe ?? '',
      prefill_bound: row.prefill_tok_s !== undefined ? p.prefill_bound : '',
      measured_decode_tok_s: row.decode_tok_s ?? '',
      predicted_decode_tok_s: row.decode_tok_s !== undefined ? p.decode_tok_s : '',
      decode_ape_pct: de ?? '',
      decode_bound: row.decode_tok_s !== undefined ? p.decode_bound : '',
    });
  }
  const groups = out.flatMap((p) => {
    const key = heldoutKey(p.runtime || undefined, p.unit);
    return [
      ...(p.decode_ape_pct === '' ? [] : [{ key, kind: 'decode' as const, ape_pct: p.decode_ape_pct }]),
      ...(p.prefill_ape_pct === '' ? [] : [{ key, kind: 'prefill' as const, ape_pct: p.prefill_ape_pct }]),
    ];
  });
  return { rows: rows.length + problems.length, decode_mape: mean(dApe), prefill_mape: mean(pApe), decode_n: dApe.length, prefill_n: pApe.length, errors, predictions: out, by_runtime_unit: mapeByGroup(groups) };
}

/** Prediction for one measurement row: prefill over prompt_tokens (default 128), decode of 128 tokens from context 0. */
export function predictRow(row: MeasurementRow, tweak?: TweakFn): RowPrediction {
  const r = predict(
    {
      device: row.device,
      unit: row.unit,
      model: row.model,
      weight_bits: row.weight_bits,
      runtime: row.runtime,
      threads: row.threads,
      prompt: row.prompt_tokens ?? DEFAULT_PROMPT,
      gen: DEFAULT_GEN,
      decode_start: 0,
    },
    tweak,
  );
  return { prefill_tok_s: r.prefill_tok_s, decode_tok_s: r.decode_tok_s, prefill_bound: r.prefill_bound, decode_bound: r.decode_bound };
}

