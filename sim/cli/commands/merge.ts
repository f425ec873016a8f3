import type { Argv, CommandModule } from 'yargs';
import { mergeSweeps } from '../../../analysis/distributed/merge.ts';

interface MergeArgs {
  dirs: string[];
  out: string;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <dirs..>',
  describe: 'combine the output folders of `mei-sim sweep --shard i/N` into one sweep folder',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard output folders (same sweep)' })
      .option('out', { type: 'string', demandOption: true, describe: 'merged output folder' })
      .example('$0 merge out/shard-* --out out/all', 'merge every shard') as unknown as Argv<MergeArgs>,
  handler: async (a) => {
    const r = await mergeSweeps(a.dirs, a.out);
    process.stdout.write(
      `${r.rows} run(s) from ${a.dirs.length} folder(s) -> ${r.dir}/runs.csv` +
        `${r.failed ? `, ${r.failed} failed` : ''}${r.duplicates ? `, ${r.duplicates} duplicate(s) dropped` : ''}\n`,
    );
    if (r.missing > 0) {
      process.stdout.write(`incomplete: ${r.missing} run(s) of the grid are in no folder; run the missing shards and merge again\n`);
      process.exitCode = 3;
    }
  },
};
