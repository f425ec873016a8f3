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

export function buildCli(argv: string[]): Argv {
  return yargs(argv)
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
    // An empty path would mean the current folder: refused for every command that writes.
    .middleware((argv) => {
      for (const k of ['out', 'reference']) {
        const v = argv[k];
        if (typeof v === 'string' && v.trim() === '') throw new InputError(`--${k}: expected a path, got an empty string`);
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
