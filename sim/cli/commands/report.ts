import type { Argv, CommandModule } from 'yargs';
import { folderView } from '../../../analysis/sweep/folder.ts';
import { writeReport } from '../../../analysis/report.ts';

interface ReportArgs {
  dir: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <dir>',
  describe: 'write a self-contained HTML report (interactive charts, tables, scenario, manifest) for a run, sweep or comparison folder',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'output folder of run, sweep or compare' })
      .example('$0 report results/sweep-quickstart-load', 'writes results/sweep-quickstart-load/report.html') as Argv<ReportArgs>,
  handler: (a) => {
    const v = folderView(a.dir);
    const input = { title: v.title, kind: v.kind, manifest: v.manifest, tables: v.tables, charts: v.charts.map((c) => ({ title: c.title, spec: c.spec })) };
    const path = writeReport(a.dir, v.scenarioYaml !== undefined ? { ...input, scenarioYaml: v.scenarioYaml } : input);
    process.stdout.write(`${path}\n`);
  },
};
