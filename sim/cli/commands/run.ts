import { writeFileSync } from 'node:fs';
import { InputError } from '../../common/errors.ts';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { stringify as toYaml } from 'yaml';
import { loadScenario } from '../../scenario/load.ts';
import { displayPath } from '../../scenario/yaml-source.ts';
import { prepareScenario, runScenario } from '../../run/run.ts';
import { AtomicDir, peakRssBytes } from '../output.ts';
import { VERSION } from '../../version.ts';
import { writeRunPlot } from '../plots.ts';

interface RunArgs {
  scenario?: string;
  seed?: number;
  out?: string;
  set?: string[];
  trace?: boolean;
  json?: boolean;
  plot?: boolean;
}

/** --seed and --set, shared by run and scenario validation. */
export function scenarioOptions<T>(y: Argv<T>) {
  return y
    .option('seed', { type: 'number', describe: "override the scenario's seed" })
    .option('set', { type: 'string', array: true, describe: 'override a field: --set a.b.c=value (repeatable; value is YAML; =null removes the field)' });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run [scenario]',
  describe: 'run a scenario and write summary.json, CSVs and a plot',
  builder: (y) =>
    scenarioOptions(y.positional('scenario', { type: 'string', describe: 'scenario YAML file (default: the embedded scenarios/quickstart.yaml)' }))
      .option('out', { type: 'string', describe: 'output folder (default results/<scenario>-<seed>/); replaced only if missing, empty or an earlier mei-sim output' })
      .option('trace', { type: 'boolean', default: false, describe: 'also write the event trace as trace.jsonl' })
      .option('json', { type: 'boolean', default: false, describe: 'print summary.json to stdout' })
      .option('plot', { type: 'boolean', default: true, describe: 'render the run plot (SVG and PNG)' })
      .example('$0 run', 'run the embedded quickstart scenario')
      .example('$0 run scenarios/quickstart.yaml --seed 7 --out A', 'run with seed 7 into folder A')
      .example('$0 run s.yaml --set inference.server.slots=8', 'override one field') as Argv<RunArgs>,
  handler: async (argv) => {
    const loaded = loadScenario(argv.scenario, { set: argv.set, seed: argv.seed });
    const sc = loaded.scenario;
    const dest = argv.out ?? join('results', `${sc.name}-${sc.seed}`);
    const dir = new AtomicDir(dest);
    const started = new Date().toISOString();
    await prepareScenario(sc);
    const result = withFile(loaded.files[0]!, () => runScenario(sc, { outDir: dir.tmp, trace: argv.trace }));
    // A metric without a value (NaN: a mean or quantile of nothing, e.g. no request completed after
    // warm-up) is written as null: JSON has no NaN, and the key stays so every run of a scenario has the
    // same metric names. Readers (analysis/load.ts readRunFolder, sweep folders) take null as missing.
    // The CSVs and runs.csv keep the text NaN.
    const summary = {
      metrics: result.metrics,
      manifest: {
        scenario: sc.name,
        scenario_hash: loaded.hash,
        scenario_files: loaded.files.map(displayPath),
        seed: sc.seed,
        mei_sim_version: VERSION,
        node_version: process.version,
        started_at: started,
        wall_time_s: result.wall_s,
        events_processed: result.events,
        simulated_s: result.simulated_s,
        peak_rss_bytes: peakRssBytes(),
        tables: result.tables.map((t) => `${t}.csv`),
      },
    };
    writeFileSync(join(dir.tmp, 'scenario.yaml'), toYaml(loaded.raw));
    if (argv.plot) await writeRunPlot(dir.tmp, result.tables);
    writeFileSync(join(dir.tmp, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    dir.commit();
    if (argv.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      process.stdout.write(`${sc.name} (seed ${sc.seed}): ${result.events} events in ${result.wall_s.toFixed(2)} s -> ${dest}\n`);
      for (const [k, v] of Object.entries(result.metrics)) process.stdout.write(`  ${k.padEnd(28)} ${formatMetric(v)}\n`);
    }
  },
};

/** Run `f`; a scenario error it throws (bad input found while building) is prefixed with the scenario file. */
export function withFile<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError && !e.message.startsWith(file)) throw new InputError(`${displayPath(file)}: ${e.message}`);
    throw e;
  }
}

function formatMetric(v: number): string {
  if (Number.isNaN(v)) return 'null (no samples)'; // as summary.json writes it
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(4) : v.toPrecision(5);
}
