import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readRunFolder } from '../../../analysis/load.ts';
import { ecdf, roofline, timeline, type VlSpec } from '../../../analysis/plot/kinds.ts';
import { renderSpec } from '../../../analysis/plot/render.ts';
import { folderKind, folderView, readSweepFolder } from '../../../analysis/sweep/folder.ts';
import { checkPlotNames, summarizeRuns, sweepCharts, unknownNameMessage } from '../../../analysis/sweep/outputs.ts';
import { asInputError, cachedDecodeOps, cachedPrefillOps, defaultPrecision, storedWeightBits, unitCtx } from '../../hardware/predict.ts';
import { loadProfile } from '../../hardware/profiles.ts';
import { UNIT_NAMES, type UnitName } from '../../hardware/profile-schema.ts';
import { InputError } from '../../common/errors.ts';
import { getModel } from '../../workload/catalog.ts';
import type { Op } from '../../workload/types.ts';

const KINDS = ['line', 'bars', 'heatmap', 'ecdf', 'timeline', 'roofline', 'forest'] as const;

interface PlotArgs {
  dir?: string;
  kind?: (typeof KINDS)[number];
  x?: string;
  y?: string;
  value?: string;
  series?: string;
  table?: string;
  'log-x'?: boolean;
  'log-y'?: boolean;
  title?: string;
  out?: string;
  device?: string;
  unit?: string;
  model?: string;
  'weight-bits'?: number;
  tokens?: number;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new InputError(`mei-sim plot: ${what}`);
  return v;
}

/** Roofline of one device unit, with the operators of a model's prefill and decode step placed on it. */
export function rooflineSpec(device: string, unitName: string | undefined, model: string | undefined, weightBits: number, tokens: number): VlSpec {
  const profile = loadProfile(device);
  const units = Object.keys(profile.units) as UnitName[];
  const unit = (unitName ?? (['gpu', 'npu', 'cpu', 'dsp'] as const).find((u) => units.includes(u))) as UnitName | undefined;
  if (unit === undefined || !UNIT_NAMES.includes(unit) || profile.units[unit] === undefined) {
    throw new InputError(`--unit ${unitName}: ${device} has units ${units.join(', ')}`);
  }
  const u = profile.units[unit]!;
  const peaks = Object.entries(u.peak)
    .filter(([, v]) => v !== undefined && v.value > 0)
    .map(([dtype, v]) => ({ label: `${dtype} peak`, flops_per_s: v!.value }));
  const bandwidths = [{ label: `${u.memory !== undefined ? 'unit memory' : 'DRAM'} bandwidth`, bytes_per_s: (u.memory ?? profile.memory.bandwidth).value }];
  const points: { label: string; intensity_flop_per_byte: number; flops_per_s: number; series: string }[] = [];
  if (model !== undefined) {
    const arch = getModel(model);
    // the width the unit holds, and refused where the unit has no datapath for it (as `mei-sim roofline`)
    const bits = asInputError(() => storedWeightBits(device, unit, weightBits));
    asInputError(() => unitCtx(device, unit, undefined, bits));
    const p = defaultPrecision(bits);
    // weight-only quantization still computes in fp16 (dequantize, then fp16 matmuls)
    const top = u.peak.fp16?.value ?? Math.max(...peaks.map((x) => x.flops_per_s));
    const place = (ops: Op[], series: string) => {
      for (const op of ops) {
        const bytes = op.weight_bytes + op.kv_read_bytes + op.kv_write_bytes + op.act_bytes;
        if (!(op.flops > 0 && bytes > 0)) continue;
        const i = op.flops / bytes;
        points.push({ label: `${series} ${op.name}`, intensity_flop_per_byte: i, flops_per_s: Math.min(top, bandwidths[0]!.bytes_per_s * i), series });
      }
    };
    place(cachedPrefillOps(arch, tokens, p), 'prefill');
    place(cachedDecodeOps(arch, tokens, p), 'decode');
  }
  return roofline({ peaks, bandwidths, points, title: `${profile.name} ${unit}${model ? `: ${model}, ${weightBits}-bit weights, ${tokens}-token prompt / context` : ''}` });
}

export const plotCommand: CommandModule<object, PlotArgs> = {
  command: 'plot [dir]',
  describe: 'render plots (SVG, PNG and the editable .vl.json) of a run, sweep or comparison folder, or a roofline',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', describe: 'output folder of run, sweep or compare' })
      .option('kind', { type: 'string', choices: KINDS, describe: 'plot kind (default: the folder\'s standard plots)' })
      .option('x', { type: 'string', describe: 'x column: swept parameter (line, heatmap), category (bars), time (timeline)' })
      .option('y', { type: 'string', describe: 'metric (line, bars), second parameter (heatmap), value (timeline)' })
      .option('value', { type: 'string', describe: 'metric of a heatmap; column of an ecdf' })
      .option('series', { type: 'string', describe: 'one line/colour per value of this column (e.g. policy)' })
      .option('table', { type: 'string', describe: 'run table for ecdf / timeline (default requests)' })
      .option('log-x', { type: 'boolean', default: false })
      .option('log-y', { type: 'boolean', default: false })
      .option('title', { type: 'string' })
      .option('out', { type: 'string', describe: 'output path without extension (default <dir>/plots/<kind>-<y>); without --kind, the folder for the standard plots (default <dir>/plots)' })
      .option('device', { type: 'string', describe: 'roofline: hardware profile id (mei-sim list profiles)' })
      .option('unit', { type: 'string', describe: 'roofline: cpu, gpu, npu or dsp (default: the first accelerator)' })
      .option('model', { type: 'string', describe: 'roofline: place this model\'s prefill and decode operators' })
      .option('weight-bits', { type: 'number', default: 16, describe: 'roofline: weight precision of the model' })
      .option('tokens', { type: 'number', default: 512, describe: 'roofline: prompt length (prefill) and context (decode)' })
      .example('$0 plot results/sweep-quickstart-load', 'the sweep file\'s plots (or defaults) into plots/')
      .example('$0 plot results/sweep-x --kind line --x inference.server.slots --y latency_p95_s --series policy', 'one line plot')
      .example('$0 plot results/quickstart-1 --kind ecdf --table requests --value e2e_s --series server', 'latency ECDF of a run')
      .example('$0 plot --kind roofline --device l4 --model llama-3.2-3b', 'roofline with a model\'s operators') as Argv<PlotArgs>,
  handler: async (a) => {
    const written: string[] = [];
    const save = async (spec: object, base: string) => {
      const p = await renderSpec(spec, base);
      written.push(p.svg, p.png, p.vl);
    };
    if (a.kind === 'roofline') {
      const spec = rooflineSpec(need(a.device, '--kind roofline needs --device'), a.unit, a.model, a['weight-bits'] ?? 16, a.tokens ?? 512);
      await save(spec, a.out ?? join(a.dir ?? '.', 'plots', `roofline-${a.device}${a.model ? `-${a.model}` : ''}`));
    } else {
      const dir = need(a.dir, 'give the output folder to plot');
      const kind = folderKind(dir);
      if (a.kind === undefined) {
        // the folder's standard plots; --out is the folder they go to
        const charts = folderView(dir).charts;
        if (charts.length === 0) throw new InputError(`${dir}: nothing to plot`);
        for (const c of charts) await save(c.spec, join(a.out ?? join(dir, 'plots'), c.name));
      } else if (a.kind === 'forest') {
        if (kind !== 'compare') throw new InputError(`--kind forest plots a comparison (mei-sim compare); ${dir} is a ${kind} folder`);
        const chart = folderView(dir).charts.find((c) => c.name === 'compare');
        if (chart === undefined) throw new InputError(`${dir}: no paired differences to plot (fewer than 2 pairs with finite values per metric)`);
        await save(chart.spec, a.out ?? join(dir, 'plots', chart.name));
      } else if (a.kind === 'ecdf' || a.kind === 'timeline') {
        if (kind !== 'run') throw new InputError(`--kind ${a.kind} plots a run's table; ${dir} is a ${kind} folder`);
        const table = a.table ?? 'requests';
        const run = readRunFolder(dir);
        if (!run.tableNames.includes(table)) throw new InputError(`${dir}: ${unknownNameMessage('--table', 'table', table, run.tableNames)}`);
        const rows = run.table(table);
        const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
        const col = (flag: string, name: string | undefined) => {
          if (name !== undefined && !columns.includes(name)) throw new InputError(`${table}.csv: ${unknownNameMessage(flag, 'column', name, columns)}`);
          return name;
        };
        const spec =
          a.kind === 'ecdf'
            ? ecdf(rows, { value: col(a.value !== undefined ? '--value' : '--y', need(a.value ?? a.y, '--kind ecdf needs --value COLUMN'))!, series: col('--series', a.series), logX: a['log-x'], title: a.title })
            : timeline(rows, { t: col('--x', a.x ?? 't')!, value: col(a.y !== undefined ? '--y' : '--value', need(a.y ?? a.value, '--kind timeline needs --y COLUMN'))!, series: col('--series', a.series), title: a.title });
        await save(spec, a.out ?? join(dir, 'plots', `${a.kind}-${table}`));
      } else {
        if (kind === 'run') throw new InputError(`--kind ${a.kind} plots a sweep or comparison; ${dir} is a run folder`);
        const { info, runs } = readSweepFolder(dir);
        const spec = {
          kind: a.kind,
          x: need(a.x, `--kind ${a.kind} needs --x COLUMN`),
          y: need(a.y, `--kind ${a.kind} needs --y ${a.kind === 'heatmap' ? 'PARAMETER' : 'METRIC'}`),
          log_x: a['log-x'] ?? false,
          log_y: a['log-y'] ?? false,
          ...(a.value ? { value: a.value } : {}),
          ...(a.series ? { series: a.series } : {}),
          ...(a.title ? { title: a.title } : {}),
        };
        if (a.kind === 'heatmap' && !a.value) throw new InputError('--kind heatmap needs --value METRIC');
        const summary = summarizeRuns(runs, info);
        checkPlotNames(summary, info, spec, { x: '--x', y: '--y', value: '--value', series: '--series' });
        const [chart] = sweepCharts(summary, info, [spec]);
        await save(chart!.spec, a.out ?? join(dir, 'plots', chart!.name));
      }
    }
    for (const w of written) process.stdout.write(`${w}\n`);
  },
};

