import type { Argv, CommandModule } from 'yargs';
import type { UnitName } from '../../hardware/profile-schema.ts';
import { heldoutError, heldoutKey, type HeldoutError } from '../../hardware/fit-overlay.ts';
import { asInputError, fittedDirOf, predict, type PredictResult } from '../../hardware/predict.ts';
import { noteStoredBits, noteThreads, unitModelOptions, type UnitModelArgs } from './unit-options.ts';

interface PredictArgs extends UnitModelArgs {
  prompt: number;
  gen: number;
  json?: boolean;
}

function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(digits);
}

const GB = (b: number) => `${(b / 1e9).toFixed(2)} GB`;

const errText = (pct: number | null, n: number) => (pct === null ? 'no rows (priors only)' : `${pct.toFixed(0)}% MAPE over ${n} row${n === 1 ? '' : 's'}`);

/** What the calibration says of the error to expect for this runtime|unit on a device it has not seen. */
export function formatHeldout(h: HeldoutError | null, runtime: string | undefined, unit: string): string {
  const key = heldoutKey(runtime, unit);
  if (!h) return `  held-out error      unknown: no calibration rows for ${runtime ? key : `${unit} without a runtime`} (priors only)\n`;
  return `  held-out error      decode ${errText(h.decode_mape_pct, h.decode_n)}, prefill ${errText(h.prefill_mape_pct, h.prefill_n)} (${key}, ${h.method})\n`;
}

export function formatPrediction(r: PredictResult): string {
  const m = r.memory;
  const lines = [
    `${r.model} (${r.weight_bits}-bit) on ${r.device} ${r.unit}${r.runtime ? ` with ${r.runtime}` : ''}${r.threads ? `, ${r.threads} threads` : ''}`,
    `  prompt ${r.prompt} tokens, gen ${r.gen} tokens`,
    `  prefill_tok_s       ${fmt(r.prefill_tok_s)}   (${r.prefill_bound}-bound)`,
    `  ttft_s              ${fmt(r.ttft_s)}`,
    `  decode_tok_s        ${fmt(r.decode_tok_s)}   (${r.decode_bound}-bound)`,
    `  tpot_s              ${fmt(r.tpot_s)}`,
    `  energy_j_per_token  ${fmt(r.energy_j_per_token)}   (prefill ${fmt(r.prefill_energy_j)} J)`,
    `  memory              weights ${GB(m.weights_bytes)} + KV ${GB(m.kv_bytes)} + activations ${GB(m.activations_bytes)} = ${GB(m.total_bytes)} of ${GB(m.capacity_bytes)}`,
    `  roofline            peak ${fmt(r.peak_flops_per_s / 1e9)} GFLOP/s x eta_c ${fmt(r.eta_c, 3)}, DRAM ${fmt(r.bandwidth_bytes_per_s / 1e9)} GB/s x eta_m ${fmt(r.eta_m, 3)}`,
  ];
  return lines.join('\n') + '\n';
}

export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict',
  describe: 'predict prefill/decode speed, TTFT, TPOT, energy and memory of a model on a device unit (roofline), with the calibration\'s held-out error',
  builder: (y) =>
    unitModelOptions(y)
      .option('prompt', { type: 'number', default: 128, describe: 'prompt tokens' })
      .option('gen', { type: 'number', default: 128, describe: 'generated tokens' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .example('$0 predict --device snapdragon-8-gen-3 --unit gpu --model llama-3.2-1b --weight-bits 4 --runtime llama.cpp', '') as unknown as Argv<PredictArgs>,
  handler: (a) => {
    const r = asInputError(() => predict({
      device: a.device,
      unit: a.unit as UnitName,
      model: a.model,
      weight_bits: a.weightBits,
      runtime: a.runtime,
      threads: a.threads,
      prompt: a.prompt,
      gen: a.gen,
    }));
    // Say what was not used as asked.
    noteStoredBits(a.device, a.unit, r.weight_bits, r.stored_weight_bits);
    noteThreads(a, r.threads);
    const h = heldoutError(fittedDirOf(), a.runtime, a.unit) ?? null;
    process.stdout.write(a.json ? JSON.stringify({ ...r, heldout_error: h }, null, 2) + '\n' : formatPrediction(r) + formatHeldout(h, a.runtime, a.unit));
  },
};
