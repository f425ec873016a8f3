import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../analysis/load.ts';
import { ecdf, timeline, type VlSpec } from '../../analysis/plot/kinds.ts';
import { renderSpec } from '../../analysis/plot/render.ts';

/**
 * The plot a run writes (`plot.svg`, `plot.png`, `plot.vl.json`): the first
 * table below that the run produced decides what is drawn.
 */
const RUN_PLOTS: { table: string; build: (rows: ReturnType<typeof readCsv>) => VlSpec }[] = [
  {
    table: 'requests',
    build: (rows) => ecdf(rows, { value: pick(rows, ['e2e_s', 'latency_s']), series: 'server', seriesTitle: 'edge server', title: 'Request latency', logX: true }),
  },
  {
    table: 'downloads',
    build: (rows) => ecdf(rows, { value: pick(rows, ['download_latency_s', 'latency_s']), series: 'mode', title: 'Model download latency', logX: true }),
  },
  {
    table: 'rounds',
    build: (rows) => timeline(rows, { t: pick(rows, ['end_s', 't_s']), value: 'round_time_s', title: 'Training round time' }),
  },
];

function pick(rows: ReturnType<typeof readCsv>, candidates: string[]): string {
  const cols = rows.length > 0 ? Object.keys(rows[0]!) : [];
  return candidates.find((c) => cols.includes(c)) ?? candidates[candidates.length - 1]!;
}

export async function writeRunPlot(dir: string, tables: string[]): Promise<string | null> {
  for (const p of RUN_PLOTS) {
    const file = join(dir, `${p.table}.csv`);
    if (!tables.includes(p.table) || !existsSync(file)) continue;
    const rows = readCsv(file);
    if (rows.length === 0) continue;
    await renderSpec(p.build(rows), join(dir, 'plot'));
    return p.table;
  }
  return null;
}
