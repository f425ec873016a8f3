import type { Argv } from 'yargs';
import { UNIT_NAMES } from '../../hardware/profile-schema.ts';

/** Parsed values of `unitModelOptions`. */
export interface UnitModelArgs {
  device: string;
  unit: string;
  model: string;
  weightBits: number;
  runtime?: string;
  threads?: number;
}

/** Ids are lower case everywhere; `QNN` or `Llama-3.2-1B` name the same thing (as in measurement CSVs). */
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/**
 * The options that name one model on one device unit, shared by `predict` and
 * `roofline`. `weightBits` undefined makes --weight-bits required.
 */
export function unitModelOptions<T>(y: Argv<T>, weightBits?: number) {
  return y
    .option('device', { type: 'string', demandOption: true, coerce: lower, describe: 'hardware profile id (`mei-sim list profiles`)' })
    .option('unit', { type: 'string', choices: UNIT_NAMES as unknown as string[], demandOption: true, describe: 'unit of the device' })
    .option('model', { type: 'string', demandOption: true, coerce: lower, describe: 'model id (`mei-sim list models`)' })
    .option('weight-bits', {
      type: 'number',
      ...(weightBits === undefined ? { demandOption: true } : { default: weightBits }),
      describe: 'bits per weight, 1 to 32: 16, 8, 4, 3, 2, or a fraction for a mixed format (4.5, 1.58)',
    })
    .option('runtime', { type: 'string', coerce: lower, describe: 'runtime profile id (`mei-sim list runtimes`: llama.cpp, qnn, mlc-llm, ...)' })
    .option('threads', { type: 'number', describe: 'CPU threads, at most the core count (default: the big cores); cpu unit only' });
}

/**
 * Say on stderr when --threads was not used as given (`used`: the threads the unit context runs, 0 or
 * null off the CPU), so a sweep over threads does not silently plot a flat line.
 */
export function noteThreads(a: UnitModelArgs, used: number | null): void {
  if (a.threads === undefined) return;
  if (!used) process.stderr.write(`note: --threads applies to the cpu unit only; ignored on ${a.unit}\n`);
  else if (used < a.threads) process.stderr.write(`note: --threads ${a.threads} is more than the ${used} cores of ${a.device}; using ${used}\n`);
}

/** Tell the user when the unit holds the weights wider than asked (the Snapdragon 865 DSP has no 4-bit format). */
export function noteStoredBits(device: string, unit: string, asked: number, stored: number): void {
  if (stored !== asked) process.stderr.write(`note: ${device} ${unit} has no ${asked}-bit format; the weights are held and computed at ${stored} bits\n`);
}
