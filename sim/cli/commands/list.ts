import type { CommandModule } from 'yargs';
import { listProfiles, listRuntimes } from '../../hardware/profiles.ts';
import { getModel, listModels } from '../../workload/index.ts';
import { allRegistries } from '../../common/registry.ts';
import { DOMAINS } from '../../run/domains.ts';

interface Args {
  what: string;
  json?: boolean;
}

type Lister = () => { name: string; description: string; group?: string }[];

/** What `list` can print. Other parts add their lister here. */
export const LISTERS: Record<string, Lister> = {
  policies: () =>
    [...allRegistries.values()].flatMap((r) => r.list().map((e) => ({ group: `${r.label} (${r.scenarioKey})`, name: e.name, description: e.description }))),
  domains: () => DOMAINS.map((d) => ({ name: d.key, description: d.description })),
  profiles: () =>
    listProfiles()
      .map((p) => ({ group: `${p.kind} profiles (--device ID)`, name: p.id, description: `${p.name}; units: ${p.units.join(', ')}` }))
      .sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name)),
  runtimes: () => listRuntimes().map((r) => ({ name: r.id, description: r.name })),
  models: () =>
    listModels().map((id) => {
      const m = getModel(id);
      return { name: id, description: `${m.name}: ${m.layers} layers, hidden ${m.hidden}, ${m.heads}/${m.kv_heads} heads, ${m.mlp}` };
    }),
};

export const listCommand: CommandModule<object, Args> = {
  command: 'list [what]',
  describe: 'list hardware profiles, runtimes, models, policies or domains',
  builder: (y) =>
    y
      .positional('what', { type: 'string', default: 'policies', describe: `one of: ${Object.keys(LISTERS).join(', ')}` })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: (argv) => {
    const lister = LISTERS[argv.what];
    if (!lister) throw new UsageError(`list: unknown "${argv.what}"; expected one of: ${Object.keys(LISTERS).join(', ')}`);
    const rows = lister();
    if (argv.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    let group: string | undefined;
    for (const r of rows) {
      if (r.group !== undefined && r.group !== group) {
        group = r.group;
        process.stdout.write(`${group}:\n`);
      }
      process.stdout.write(`  ${r.name.padEnd(26)} ${r.description}\n`);
    }
  },
};

export class UsageError extends Error {
  readonly exitCode = 2;
}
