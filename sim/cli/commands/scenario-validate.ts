import type { Argv } from 'yargs';
import { loadScenario } from '../../scenario/load.ts';
import { checkBuilds, prepareScenario } from '../../run/run.ts';
import { withFile } from './run.ts';
import { scenarioOptions } from './run.ts';

interface Args {
  scenario?: string;
  seed?: number;
  set?: string[];
  json?: boolean;
}

/** Check a scenario file without running it. */
export async function validateScenario(argv: Args): Promise<void> {
  const loaded = loadScenario(argv.scenario, { set: argv.set, seed: argv.seed });
  // Also build the world (no event runs): what a domain rejects while building is caught here too.
  await prepareScenario(loaded.scenario);
  withFile(loaded.files[0]!, () => checkBuilds(loaded.scenario));
  if (argv.json) process.stdout.write(JSON.stringify({ ok: true, hash: loaded.hash, files: loaded.files, scenario: loaded.scenario }, null, 2) + '\n');
  else process.stdout.write(`${loaded.files[0]}: ok (scenario "${loaded.scenario.name}", hash ${loaded.hash})\n`);
}

export const scenarioValidateBuilder = (y: Argv<object>) => scenarioOptions(y).option('json', { type: 'boolean', default: false });
