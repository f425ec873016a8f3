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

/**
 * The options that name one model on one device unit, shared by `predict` and
 * `roofline`. `weightBits` undefined makes --weight-bits required.
 */
export function unitModelOptions<T>(y: Argv<T>, weightBits?: number) {
  return y
    .option('device', { type: 'string', demandOption: true, describe: 'hardware profile id (`mei-sim list profiles`)' })
    .option('unit', { type: 'string', choices: UNIT_NAMES as unknown as string[], demandOption: true, describe: 'unit of the device' })
    .option('model', { type: 'string', demandOption: true, describe: 'model id (`mei-sim list models`)' })
    .option('weight-bits', {
      type: 'number',
      ...(weightBits === undefined ? { demandOption: true } : { default: weightBits }),
      describe: 'bits per weight, 1 to 32: 16, 8, 4, 3, 2, or a fraction for a mixed format (4.5, 1.58)',
    })
    .option('runtime', { type: 'string', describe: 'runtime profile id (`mei-sim list runtimes`: llama.cpp, qnn, mlc-llm, ...)' })
    .option('threads', { type: 'number', describe: 'CPU threads, at most the core count (default: the big cores); cpu unit only' });
}
