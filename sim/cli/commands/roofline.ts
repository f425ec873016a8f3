import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { roofline as rooflineSpec } from '../../../analysis/plot/kinds.ts';
import { renderSpec } from '../../../analysis/plot/render.ts';
import { asInputError, cachedDecodeOps, cachedPrefillOps, checkQueryNumbers, defaultPrecision, storedWeightBits, unitCtx } from '../../hardware/predict.ts';
import type { UnitName } from '../../hardware/profile-schema.ts';
import { noteStoredBits, noteThreads, unitModelOptions, type UnitModelArgs } from './unit-options.ts';
import { opBytes, opFlopsEff, opTimes, type UnitCtx } from '../../hardware/roofline.ts';
import { getModel } from '../../workload/catalog.ts';
import { assertReplaceable, markOutputFolder } from '../../common/output-folder.ts';
import { checkFits, memoryFootprint } from '../../workload/accounting.ts';
import type { Op } from '../../workload/types.ts';

interface RooflineArgs extends UnitModelArgs {
  prompt: number;
  context: number;
  out?: string;
  json?: boolean;
}

export interface RooflinePoint {
  label: string;
  phase: 'prefill' | 'decode';
  intensity_flop_per_byte: number;
  flops_per_s: number;
  time_s: number;
  bound: 'compute' | 'memory';
}

/** Operators of one prefill (N tokens) and one decode step (context c) placed on the unit's roofline. */
export function rooflinePoints(ctx: UnitCtx, prefill: readonly Op[], decode: readonly Op[]): RooflinePoint[] {
  const pts: RooflinePoint[] = [];
  const add = (ops: readonly Op[], phase: 'prefill' | 'decode') => {
    for (const op of ops) {
      const bytes = opBytes(op);
      if (op.flops <= 0 || bytes <= 0) continue;
      const t = opTimes(op, ctx);
      const time = Math.max(t.compute_s, t.memory_s) + ctx.overhead_s;
      pts.push({
        label: `${phase} ${op.name}`,
        phase,
        intensity_flop_per_byte: opFlopsEff(op, ctx) / bytes,
        flops_per_s: opFlopsEff(op, ctx) / time,
        time_s: time * op.repeat,
        bound: t.compute_s >= t.memory_s ? 'compute' : 'memory',
      });
    }
  };
  add(prefill, 'prefill');
  add(decode, 'decode');
  return pts;
}

export const rooflineCommand: CommandModule<object, RooflineArgs> = {
  command: 'roofline',
  describe: "draw a unit's roofline with a model's prefill and decode operators on it (SVG and PNG)",
  builder: (y) =>
    unitModelOptions(y, 4)
      .option('prompt', { type: 'number', default: 512, describe: 'prefill tokens' })
      .option('context', { type: 'number', default: 512, describe: 'decode context' })
      .option('out', { type: 'string', describe: 'output folder (default results/roofline-<device>-<unit>-<model>)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the points as JSON' }) as unknown as Argv<RooflineArgs>,
  handler: async (a) => {
    const unit = a.unit as UnitName;
    asInputError(() => checkQueryNumbers({ weight_bits: a.weightBits, prompt: a.prompt, context: a.context, threads: a.threads }));
    // The width the unit holds the weights at, as predict uses (a 4-bit request is 8-bit on a DSP without int4).
    const bits = asInputError(() => storedWeightBits(a.device, unit, a.weightBits));
    const ctx = asInputError(() => unitCtx(a.device, unit, a.runtime, bits, a.threads));
    noteThreads(a, ctx.threads);
    noteStoredBits(a.device, unit, a.weightBits, bits);
    const arch = asInputError(() => getModel(a.model));
    const p = defaultPrecision(bits, a.runtime);
    // A model the unit cannot hold has no roofline to draw (predict refuses it the same way).
    asInputError(() => checkFits(memoryFootprint(arch, p, { context: a.context + 1, prefill_chunk: Math.min(a.prompt, 512) }), ctx.capacity_bytes, `${a.device} (${unit})`));
    const pts = rooflinePoints(ctx, cachedPrefillOps(arch, a.prompt, p), cachedDecodeOps(arch, a.context, p));
    const dt = ctx.matmul_dtype;
    const peaks = [
      { label: `${dt} peak`, flops_per_s: ctx.peak[dt] },
      { label: `${dt} peak x eta_c (${ctx.eta_c.toFixed(2)})`, flops_per_s: ctx.peak[dt] * ctx.eta_c },
    ];
    if (ctx.other_dtype !== dt && ctx.peak[ctx.other_dtype] > 0) peaks.push({ label: `${ctx.other_dtype} peak`, flops_per_s: ctx.peak[ctx.other_dtype] });
    const bandwidths = [
      { label: 'DRAM', bytes_per_s: ctx.bw },
      { label: `DRAM x eta_m (${ctx.eta_m.toFixed(2)})`, bytes_per_s: ctx.bw * ctx.eta_m },
    ];
    const spec = rooflineSpec({
      title: `${a.model} (${a.weightBits}-bit) on ${a.device} ${unit}${a.runtime ? ` / ${a.runtime}` : ''}`,
      peaks: peaks.filter((x) => x.flops_per_s > 0),
      bandwidths,
      points: pts.map((x) => ({ label: x.label, intensity_flop_per_byte: x.intensity_flop_per_byte, flops_per_s: x.flops_per_s, series: x.phase })),
    });
    const outDir = a.out ?? join('results', `roofline-${a.device}-${unit}-${a.model}`);
    assertReplaceable(outDir);
    const files = await renderSpec(spec, join(outDir, 'roofline'));
    markOutputFolder(outDir);
    if (a.json) process.stdout.write(JSON.stringify({ files, ctx, points: pts }, null, 2) + '\n');
    else {
      process.stdout.write(`roofline of ${a.device} ${unit}: ${files.svg}, ${files.png}\n`);
      for (const x of pts) process.stdout.write(`  ${x.label.padEnd(24)} I=${x.intensity_flop_per_byte.toPrecision(3).padStart(8)} FLOP/B  ${(x.flops_per_s / 1e9).toPrecision(4).padStart(8)} GFLOP/s  ${x.bound}\n`);
    }
  },
};
