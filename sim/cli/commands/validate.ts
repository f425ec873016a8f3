import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../common/errors.ts';
import { stringify } from 'csv-stringify/sync';
import type { Argv, CommandModule } from 'yargs';
import type { TweakFn } from '../../hardware/predict.ts';
import { predictRow, readMeasurements, validateRows, type ValidationReport } from '../../hardware/validate.ts';

interface ValidateArgs {
  file: string;
  json?: boolean;
  out?: string;
}

export function validateMeasurementsFile(file: string, tweak?: TweakFn): ValidationReport {
  const { rows, problems } = readMeasurements(file);
  return validateRows(rows, (r) => predictRow(r, tweak), problems);
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}%`);
const f = (x: number | '') => (x === '' ? '' : x.toPrecision(4));

export function formatValidation(rep: ValidationReport): string {
  const head = ['line', 'model', 'bits', 'device', 'unit', 'runtime', 'pre meas', 'pre pred', 'APE', 'dec meas', 'dec pred', 'APE'];
  const body = rep.predictions.map((p) => [
    String(p.line),
    p.model,
    String(p.weight_bits),
    p.device,
    p.unit,
    p.runtime,
    f(p.measured_prefill_tok_s),
    f(p.predicted_prefill_tok_s),
    p.prefill_ape_pct === '' ? '' : `${p.prefill_ape_pct.toFixed(0)}%`,
    f(p.measured_decode_tok_s),
    f(p.predicted_decode_tok_s),
    p.decode_ape_pct === '' ? '' : `${p.decode_ape_pct.toFixed(0)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head), ...body.map(line)];
  out.push('');
  out.push(`rows ${rep.rows}: decode MAPE ${pct(rep.decode_mape)} (n=${rep.decode_n}), prefill MAPE ${pct(rep.prefill_mape)} (n=${rep.prefill_n}), errors ${rep.errors.length}`);
  for (const e of rep.errors) {
    const what = [e.model, e.device, e.unit, e.runtime].filter((x) => x !== '').join(' ');
    out.push(`  error line ${e.line}${what ? ` (${what})` : ''}: ${e.message}`);
  }
  if (rep.by_runtime_unit.length > 1) {
    const g = (x: number | null, n: number) => (x === null ? '' : `${pct(x)} (n=${n})`).padEnd(16);
    out.push('by runtime|unit      decode MAPE      prefill MAPE');
    for (const b of rep.by_runtime_unit) out.push(`  ${b.key.padEnd(18)} ${g(b.decode_mape_pct, b.decode_n)} ${g(b.prefill_mape_pct, b.prefill_n)}`.trimEnd());
  }
  return out.join('\n') + '\n';
}

export async function runValidate(a: ValidateArgs): Promise<void> {
  if (!existsSync(a.file)) throw new InputError(`validate: no such file ${a.file}`);
  if (!statSync(a.file).isFile()) throw new InputError(`validate: ${a.file} is not a file`);
  if (a.out !== undefined && resolve(a.out) === resolve(a.file)) throw new InputError(`validate: --out ${a.out} is the input file; give another path for the predictions`);
  const rep = validateMeasurementsFile(a.file);
  if (a.out) {
    const cols = Object.keys(rep.predictions[0] ?? { line: 0 });
    writeFileSync(a.out, stringify(rep.predictions, { header: true, columns: cols }));
  }
  if (a.json) {
    const { rows, decode_mape, prefill_mape, decode_n, prefill_n, errors, predictions, by_runtime_unit } = rep;
    process.stdout.write(JSON.stringify({ rows, decode_mape, prefill_mape, decode_n, prefill_n, mape_unit: 'percent', errors, by_runtime_unit, predictions }, null, 2) + '\n');
  } else process.stdout.write(formatValidation(rep));
}

export const validateBuilder = <T>(y: Argv<T>) =>
  y
    .option('json', { type: 'boolean', default: false, describe: 'print {rows, decode_mape, prefill_mape, errors, by_runtime_unit, predictions} (MAPE in percent)' })
    .option('out', { type: 'string', describe: 'write predicted vs measured per row to this CSV' });

export const validateCommand: CommandModule<object, ValidateArgs> = {
  command: 'validate <file>',
  describe: 'check the hardware model against measurements (CSV in the measurements-calibration.csv layout)',
  builder: (y) => validateBuilder(y.positional('file', { type: 'string', demandOption: true })) as unknown as Argv<ValidateArgs>,
  handler: runValidate,
};
