import { writeFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { scenarioJsonSchema, scenarioReferenceMarkdown } from '../../scenario/reference.ts';

interface Args {
  out?: string;
  reference?: string;
}

export const schemaCommand: CommandModule<object, Args> = {
  command: 'schema',
  describe: 'write the JSON Schema of scenario files (for YAML editors) and the scenario reference',
  builder: (y) =>
    y
      .option('out', { type: 'string', describe: 'write the JSON Schema here instead of stdout' })
      .option('reference', { type: 'string', describe: 'also write the markdown scenario reference here' })
      .example('$0 schema --out scenario.schema.json', 'then add `# yaml-language-server: $schema=scenario.schema.json` to a scenario'),
  handler: (argv) => {
    const json = JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
    if (argv.out) writeFileSync(argv.out, json);
    else process.stdout.write(json);
    if (argv.reference) writeFileSync(argv.reference, scenarioReferenceMarkdown());
  },
};
