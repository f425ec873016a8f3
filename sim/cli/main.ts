#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodeFor, formatError } from './errors.ts';
import { InputError } from '../common/errors.ts';
import { calibrateCommand } from './commands/calibrate.ts';
import { compareCommand } from './commands/compare.ts';
import { listCommand } from './commands/list.ts';
import { mergeCommand } from './commands/merge.ts';
import { plotCommand } from './commands/plot.ts';
import { predictCommand } from './commands/predict.ts';
import { reportCommand } from './commands/report.ts';
import { rooflineCommand } from './commands/roofline.ts';
import { runCommand } from './commands/run.ts';
import { schemaCommand } from './commands/schema.ts';
import { sweepCommand } from './commands/sweep.ts';
import { runValidate, validateBuilder } from './commands/validate.ts';
import { workerCommand } from './commands/worker.ts';
import { scenarioValidateBuilder, validateScenario } from './commands/scenario-validate.ts';
import { VERSION } from '../version.ts';

const debug = process.argv.includes('--debug');

function report(err: unknown): never {
  process.stderr.write(formatError(err, debug));
  process.exit(exitCodeFor(err));
}

/** The text the user typed after `--name` (or in `--name=text`), for messages about a value yargs could not parse. */
function rawValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    if (a === `--${name}`) return args[i + 1];
  }
  return undefined;
}

export function buildCli(args: string[]): Argv {
  const y: Argv = yargs(args);
  return y
    .scriptName('mei-sim')
    .usage('$0 <command> [options]\n\nSimulate LLM caching, delivery, inference and training at the mobile network edge.')
    .command(runCommand)
    .command({
      command: 'validate <file>',
      describe: 'check a scenario (.yaml) without running it, or the hardware model against a measurements .csv',
      builder: (y) =>
        validateBuilder(scenarioValidateBuilder(y.positional('file', { type: 'string', demandOption: true })))
          .example('$0 validate scenarios/quickstart.yaml', 'check a scenario file')
          .example('$0 validate measurements.csv --json', 'predicted vs measured prefill/decode rates, with MAPE'),
      handler: (a) => {
        const file = a.file as string;
        // Each form takes its own options; the other form's are refused rather than ignored.
        if (file.toLowerCase().endsWith('.csv')) {
          for (const k of ['seed', 'set'] as const) if (a[k] !== undefined) throw new InputError(`validate ${file}: --${k} applies to a scenario (.yaml), not to a measurements .csv`);
          return runValidate({ file, json: a.json as boolean, out: a.out as string | undefined });
        }
        if (a.out !== undefined) throw new InputError(`validate ${file}: --out applies to a measurements .csv (the predictions it writes), not to a scenario`);
        return validateScenario({ ...(a as object), scenario: file });
      },
    })
    .command(predictCommand)
    .command(rooflineCommand)
    .command(schemaCommand)
    .command(listCommand)
    .command(sweepCommand)
    .command(compareCommand)
    .command(plotCommand)
    .command(reportCommand)
    .command(mergeCommand)
    .command(workerCommand)
    .command(calibrateCommand)
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces of internal errors' })
    .middleware((argv) => {
      // An empty path would mean the current folder: refused for every command that writes.
      for (const k of ['out', 'reference']) {
        const v = argv[k];
        if (typeof v === 'string' && v.trim() === '') throw new InputError(`--${k}: expected a path, got an empty string`);
      }
      // yargs turns a repeated single-valued option into an array and a non-number into NaN; say so instead.
      const opts = (y as unknown as { getOptions(): { array: string[]; number: string[] } }).getOptions();
      for (const [k, v] of Object.entries(argv)) {
        if (k === '_' || k === '$0' || opts.array.includes(k) || !Array.isArray(v)) continue;
        const distinct = [...new Set(v.map(String))];
        if (distinct.length > 1) throw new InputError(`--${k} was given ${v.length} times (${distinct.join(', ')}); give it once`);
        argv[k] = v[0];
      }
      for (const k of opts.number) {
        const v = argv[k];
        if (typeof v === 'number' && Number.isNaN(v)) throw new InputError(`--${k} ${JSON.stringify(rawValue(args, k) ?? '')}: expected a number`);
      }
    }, true)
    .demandCommand(1, 'give a command; `mei-sim run` runs the default scenario')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own parse errors (YError: a missing option value, an unknown argument) are bad input.
      if (err && err.name !== 'YError') report(err);
      process.stderr.write(`mei-sim: ${msg ?? err?.message}\nRun \`mei-sim --help\` for usage.\n`);
      process.exit(2);
    });
}

// Output piped into `head` and closed early: stop quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

try {
  await buildCli(hideBin(process.argv)).parseAsync();
} catch (err) {
  report(err);
}
