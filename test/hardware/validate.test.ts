import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { overlaySchema, thetaKey, type Overlay } from '../../sim/hardware/fit-overlay.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitFromMeasurements, fitWithHeldout, writeFit } from '../../sim/calibration/from-measurements.ts';
import { pinOverlay, predict, setProfileDirs, splitPlan, unitCtx, type TweakFn } from '../../sim/hardware/predict.ts';
import { PROFILE_DIR, parseYamlWith } from '../../sim/hardware/profiles.ts';
import { profileSchema, runtimeSchema } from '../../sim/hardware/profile-schema.ts';
import { parseCsv, parseMeasurements, predictRow, validateRows } from '../../sim/hardware/validate.ts';
import { parseCsvLines } from '../../sim/common/csv.ts';
import { validateMeasurementsFile } from '../../sim/cli/commands/validate.ts';

const CAL = '/work/shared/reference/measurements-calibration.csv';
const HEADER = 'model,weight_bits,quant,device,unit,runtime,threads,prompt_tokens,prefill_tok_s,decode_tok_s,source';

describe('validate on the calibration CSV', () => {
  const rep = validateMeasurementsFile(CAL);

  it('predicts every row (no errors)', () => {
    expect(rep.errors).toEqual([]);
    expect(rep.rows).toBe(readFileSync(CAL, 'utf8').trim().split('\n').length - 1);
    expect(rep.decode_n).toBeGreaterThan(50);
    expect(rep.prefill_n).toBeGreaterThan(20);
  });

  it('meets the fidelity bars: decode MAPE <= 25%, prefill MAPE <= 40%', () => {
    expect(rep.decode_mape!).toBeLessThanOrEqual(25);
    expect(rep.prefill_mape!).toBeLessThanOrEqual(40);
  });
});

describe('validate on the external check set (published rows never fitted on)', () => {
  // test/hardware/external-measurements.csv: 127 published rows from sources outside the calibration CSV
  // (check_set A-E; the `source` and `quote` columns say where each number was read). Measured
  // 2026-11-21 with the shipped overlay (unit level, RKNPU fp16 peak, T-MAC LUT cost, RKLLM and QNN
  // NPU compute factors from the TTFT published beside the calibration rows, SMMLA no faster than
  // SDOT on Apple and Oryon cores; CPU dequantization per weight element): decode MAPE 36.8% (n=123),
  // prefill 42.9% (n=93); CPU and GPU rows 26.0% / 32.6%; set C (Apple Metal, NVIDIA CUDA and Jetson
  // rows) 18.7% / 18.2%; prefill rkllm|npu 57.8% (n=23), qnn|npu 50.6% (n=21), llama.cpp|cpu 30.5% (n=15).
  // One row is refused: llama.cpp's Hexagon backend (HVX matmuls, unmodelled). Priced with the HTP
  // tensor peak, as before, it was 30x too fast and the totals were 36.6% (n=124) / 73.9% (n=94).
  // (Before the six changes above: 40.9% / 132.1%.)
  // The guards hold those levels, so a change that loses generalization fails here.
  const EXT = join(import.meta.dirname, 'external-measurements.csv');
  const rep = validateMeasurementsFile(EXT);
  // check_set by file line (predictions carry the line their row starts on)
  const parsed = parseCsvLines(readFileSync(EXT, 'utf8'));
  const sets = new Map(parsed.records.map((r, i) => [parsed.lines[i]!, r[11]]));
  const mapeOf = (set: string, kind: 'decode' | 'prefill') => {
    const a = rep.predictions.filter((p) => sets.get(p.line) === set).map((p) => p[`${kind}_ape_pct`]).filter((x): x is number => x !== '');
    return a.reduce((s, x) => s + x, 0) / a.length;
  };

  it('predicts every row but the one unmodelled backend, which it lists with the reason', () => {
    expect(rep.errors.map((e) => [e.device, e.unit, e.runtime])).toEqual([['snapdragon-8-elite', 'npu', 'llama.cpp']]);
    expect(rep.errors[0]!.message).toMatch(/not modelled: the Hexagon backend computes its matmuls on the HVX vector threads/);
    expect(rep.rows).toBe(127);
    expect(rep.decode_n).toBe(123);
    expect(rep.prefill_n).toBe(93);
  });

  it('held-out MAPE stays at its measured level (not the bar of the issue)', () => {
    expect(rep.decode_mape!).toBeLessThanOrEqual(39);
    expect(rep.prefill_mape!).toBeLessThanOrEqual(45);
    expect(mapeOf('C', 'decode')).toBeLessThanOrEqual(20);
    expect(mapeOf('C', 'prefill')).toBeLessThanOrEqual(20);
    const prefillOf = (key: string) => rep.by_runtime_unit.find((g) => g.key === key)!.prefill_mape_pct!;
    expect(prefillOf('rkllm|npu')).toBeLessThanOrEqual(60);
    expect(prefillOf('qnn|npu')).toBeLessThanOrEqual(53);
    expect(prefillOf('llama.cpp|cpu')).toBeLessThanOrEqual(36);
  });
});

describe('held-out fidelity of the shipped fit method (calibration CSV)', () => {
  // Figures as they stand (2026-11-21, DEFAULT_LEVELS: unit, runtime, format, backend, device; no pair;
  // CPU dequantization counted per weight element): leave-one-device-out decode 31.5% / prefill 72.8%;
  // priors alone 67.6% / 251.2%. (Counting it per byte, as before, gave 29.5% / 73.4%.) A device never seen gets its priors x the
  // shared unit / runtime / format / backend multipliers; the bars say the fit keeps that transfer, not the bar of the issue.
  const fit = fitFromMeasurements({ csvPath: CAL, device: 'all', holdout: 'device', fittedDir: mkdtempSync(join(tmpdir(), 'mei-h14-empty-')) });

  it('leave-one-device-out MAPE stays at its measured level and well below the priors', () => {
    expect(fit.levels).not.toContain('pair');
    expect(fit.after_loo.decode!).toBeLessThanOrEqual(32.5);
    expect(fit.after_loo.prefill!).toBeLessThanOrEqual(75);
    expect(fit.after_loo.decode!).toBeLessThan(fit.before.decode! / 1.8);
    expect(fit.after_loo.prefill!).toBeLessThan(fit.before.prefill! / 2.5);
  });
});

describe('validate rows', () => {
  it('unknown model, unknown device and a model too large land in errors', () => {
    const csv = [
      HEADER,
      'no-such-model,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,,1.0,x',
      'llama-2-7b,4,Q4_0,no-such-device,cpu,llama.cpp,4,,,1.0,x',
      'llama-2-70b,16,F16,raspberry-pi-5,cpu,llama.cpp,4,,,1.0,x',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,tpu,llama.cpp,4,,,1.0,x',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,,2.0,x',
    ].join('\n');
    const { rows, problems } = parseMeasurements(csv);
    const rep = validateRows(rows, (r) => predictRow(r), problems);
    expect(rep.rows).toBe(5);
    // lines are file lines: the header is line 1
    expect(rep.errors.map((e) => e.line).sort()).toEqual([2, 3, 4, 5]);
    expect(rep.errors.find((e) => e.line === 2)!.message).toMatch(/no-such-model/);
    expect(rep.errors.find((e) => e.line === 3)!.message).toMatch(/no-such-device/);
    expect(rep.errors.find((e) => e.line === 4)!.message).toMatch(/GB/);
    expect(rep.errors.find((e) => e.line === 5)!.message).toMatch(/unit/);
    expect(rep.predictions).toHaveLength(1);
    expect(rep.decode_n).toBe(1);
  });

  it('lists rows that are no measurement under errors, at their file line', () => {
    const csv = [
      HEADER.toUpperCase(), // column names match case-insensitively
      '',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,0,1.0,x', // line 3: a rate of 0
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,-30,,x',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu',
      '"llama-2-7b",4,"Q4_0 with a',
      'newline",raspberry-pi-5,cpu,llama.cpp,4,,,fast,x', // starts on line 6
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,-5,,2.0,x',
      'llama-2-7b,0.5,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,,2.0,x',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,2.5,,,2.0,x',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,,2.0,x',
    ].join('\r\n');
    const { rows, problems } = parseMeasurements(csv);
    const rep = validateRows(rows, (r) => predictRow(r), problems);
    const at = (line: number) => rep.errors.find((e) => e.line === line)?.message;
    expect(at(3)).toMatch(/prefill_tok_s 0 is not a rate > 0/);
    expect(at(4)).toMatch(/prefill_tok_s -30 is not a rate > 0/);
    expect(at(5)).toMatch(/the row has 5 fields and the header 11, so it has no runtime, threads, prompt_tokens, prefill_tok_s, decode_tok_s/);
    expect(at(6)).toMatch(/decode_tok_s "fast" is not a number/);
    expect(at(8)).toMatch(/prompt tokens -5: expected a whole number >= 1/);
    expect(at(9)).toMatch(/weight bits 0\.5: expected bits per weight from 1 to 32/);
    expect(at(10)).toMatch(/threads 2\.5: expected a whole number >= 1/);
    expect(rep.errors).toHaveLength(7);
    expect(rep.predictions.map((p) => p.line)).toEqual([11]);
    expect(rep.decode_mape).not.toBeNull();
    expect(Number.isFinite(rep.decode_mape!)).toBe(true);
  });

  it('a file that is no measurement table is bad input naming the file and line', () => {
    expect(() => parseMeasurements('', 'm.csv')).toThrow(/^m\.csv: empty; expected a header line/);
    expect(() => parseMeasurements('model;weight_bits;device;unit\nx;4;y;cpu\n', 'm.csv')).toThrow(/m\.csv:1: header lacks the column\(s\) model, weight_bits, device, unit \(fields must be separated by commas\)/);
    expect(() => parseMeasurements(`${HEADER}\nllama-2-7b,4,"Q4_0,raspberry-pi-5\n`, 'm.csv')).toThrow(/m\.csv:2: a quoted field is never closed/);
    for (const bad of ['', 'model;weight_bits']) {
      try {
        parseMeasurements(bad, 'm.csv');
      } catch (e) {
        expect((e as Error).name).toBe('InputError');
      }
    }
  });

  it('breaks the MAPE down by runtime|unit, from the rows that were predicted', () => {
    const csv = [
      HEADER,
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,10,1,x',
      'llama-2-7b,4,Q4_0,raspberry-pi-5,cpu,llama.cpp,4,,,4,x',
      'llama-3.2-1b,4,Q4_0,snapdragon-8-gen-3,gpu,,,,,20,x',
      'no-such-model,4,Q4_0,raspberry-pi-5,cpu,t-mac,4,,,1.0,x',
    ].join('\n');
    const { rows, problems } = parseMeasurements(csv);
    // a fake predictor with known errors: every prediction is 2 tok/s prefill, 2 tok/s decode
    const rep = validateRows(rows, (r) => { if (r.model === 'no-such-model') throw new Error('unknown'); return { prefill_tok_s: 2, decode_tok_s: 2, prefill_bound: 'compute', decode_bound: 'memory' }; }, problems);
    expect(rep.by_runtime_unit).toEqual([
      { key: '-|gpu', decode_n: 1, decode_mape_pct: 90, prefill_n: 0, prefill_mape_pct: null },
      { key: 'llama.cpp|cpu', decode_n: 2, decode_mape_pct: 75, prefill_n: 1, prefill_mape_pct: 80 },
    ]);
  });

  it('matches ids case-insensitively, as the catalog and profile ids are all lower case', () => {
    const { rows, problems } = parseMeasurements([HEADER, 'Llama-3.2-1B,4,Q4_0,Snapdragon-8-Gen-3,GPU,LLAMA.CPP,,,100,10,x'].join('\n'));
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ model: 'llama-3.2-1b', device: 'snapdragon-8-gen-3', unit: 'gpu', runtime: 'llama.cpp' });
    const q = predict({ device: 'snapdragon-8-gen-3', unit: 'gpu', model: 'llama-3.2-1b', weight_bits: 4, runtime: 'llama.cpp', prompt: 128, gen: 128, decode_start: 0 });
    expect(predictRow(rows[0]!).decode_tok_s).toBeCloseTo(q.decode_tok_s, 9);
  });

  it('empty prompt_tokens: prefill over 128 tokens, decode from context 0', () => {
    const { rows } = parseMeasurements([HEADER, 'llama-3.2-1b,4,Q4_0,snapdragon-8-gen-3,gpu,llama.cpp,,,100,10,x'].join('\n'));
    const p = predictRow(rows[0]!);
    const q = predict({ device: 'snapdragon-8-gen-3', unit: 'gpu', model: 'llama-3.2-1b', weight_bits: 4, runtime: 'llama.cpp', prompt: 128, gen: 128, decode_start: 0 });
    expect(p.prefill_tok_s).toBeCloseTo(q.prefill_tok_s, 9);
    expect(p.decode_tok_s).toBeCloseTo(q.decode_tok_s, 9);
  });

  it('parses quoted CSV fields with commas and doubled quotes', () => {
    expect(parseCsv('a,"b, c","d ""e"""\r\n1,2,3\n')).toEqual([
      ['a', 'b, c', 'd "e"'],
      ['1', '2', '3'],
    ]);
  });
});

describe('predict', () => {
  it('JSON has every field the CLI promises, with consistent values', () => {
    const r = predict({ device: 'jetson-orin-nano', unit: 'gpu', model: 'llama-3.2-3b', weight_bits: 4, runtime: 'mlc-llm', prompt: 256, gen: 64 });
    for (const k of ['prefill_tok_s', 'decode_tok_s', 'ttft_s', 'tpot_s', 'prefill_bound', 'decode_bound', 'energy_j_per_token', 'memory']) expect(r).toHaveProperty(k);
    for (const k of ['weights_bytes', 'kv_bytes', 'activations_bytes', 'total_bytes', 'capacity_bytes']) expect(r.memory).toHaveProperty(k);
    expect(r.prefill_tok_s).toBeCloseTo(256 / r.ttft_s, 9);
    expect(r.decode_tok_s).toBeCloseTo(1 / r.tpot_s, 9);
    expect(r.prefill_bound).toBe('compute');
    expect(r.decode_bound).toBe('memory');
    expect(r.energy_j_per_token).toBeGreaterThan(0);
  });

  it('decode slows down as the context grows (KV reads)', () => {
    const q = { device: 'a100-80gb', unit: 'gpu' as const, model: 'llama-2-7b', weight_bits: 16, runtime: 'llama.cpp', gen: 128 };
    expect(predict({ ...q, prompt: 8192 }).tpot_s).toBeGreaterThan(predict({ ...q, prompt: 16 }).tpot_s);
  });

  it('split plan: prefill on one unit, decode on another', () => {
    const s = splitPlan({ device: 'snapdragon-8-gen-3', model: 'llama-3.2-1b', weight_bits: 4, prefill: { unit: 'gpu', runtime: 'llama.cpp' }, decode: { unit: 'cpu', runtime: 'llama.cpp' }, prompt: 512, gen: 128 });
    expect(s.total_s).toBeCloseTo(s.prefill.ttft_s + 128 * s.decode.tpot_s, 9);
    expect(s.prefill.unit).toBe('gpu');
    expect(s.decode.unit).toBe('cpu');
    // each phase in its own runtime's format: prefill on the NPU under QNN matches predict there
    const qnn = splitPlan({ device: 'snapdragon-8-gen-3', model: 'llama-3.2-1b', weight_bits: 4, prefill: { unit: 'npu', runtime: 'qnn' }, decode: { unit: 'cpu', runtime: 'llama.cpp' }, prompt: 512, gen: 128 });
    expect(qnn.prefill.ttft_s).toBeCloseTo(predict({ device: 'snapdragon-8-gen-3', unit: 'npu', runtime: 'qnn', model: 'llama-3.2-1b', weight_bits: 4, prompt: 512, gen: 128 }).ttft_s, 9);
    // impossible numbers are refused, not rounded
    expect(() => splitPlan({ device: 'snapdragon-8-gen-3', model: 'llama-3.2-1b', weight_bits: 4, prefill: { unit: 'gpu' }, decode: { unit: 'cpu' }, prompt: 0.4, gen: -5 })).toThrow(RangeError);
  });

  it('the op cache tells apart precisions that differ only in the LM head group size', () => {
    const base = { device: 'snapdragon-8-gen-3', unit: 'cpu' as const, model: 'llama-3.2-1b', weight_bits: 4, prompt: 128, gen: 128 };
    const p = { weight_bits: 4, group_size: 32, kv_bytes: 2, act_bytes: 2, embed_bits: 8, embed_group_size: 32 };
    const a = predict({ ...base, precision: { ...p, embed_group_size: 32 } });
    const b = predict({ ...base, precision: { ...p, embed_group_size: 4 } });
    expect(b.decode_tok_s).toBeLessThan(a.decode_tok_s);
  });
});

describe('calibrate --from', () => {
  /** Synthetic RKLLM decode rows on the rk3588: the predictions with eta_m x 0.5 on its NPU. Returns the CSV path. */
  const halfBandwidthRows = () => {
    const models = ['tinyllama-1.1b', 'qwen2-1.5b', 'gemma-2-2b', 'llama-3-8b'];
    const half: TweakFn = (d, u) => (d === 'rk3588' && u === 'npu' ? { compute: 1, memory: 0.5 } : undefined);
    const lines = models.map((m) => {
      const { rows } = parseMeasurements([HEADER, `${m},8,w8a8,rk3588,npu,rkllm,,64,,1,x`].join('\n'));
      return `${m},8,w8a8,rk3588,npu,rkllm,,64,,${predictRow(rows[0]!, half).decode_tok_s},x`;
    });
    const csv = join(mkdtempSync(join(tmpdir(), 'mei-h5-')), 'synthetic.csv');
    writeFileSync(csv, [HEADER, ...lines].join('\n') + '\n');
    return csv;
  };

  it('recovers a known efficiency multiplier from synthetic measurements', () => {
    // measurements = predictions with eta_m x 0.5 on rk3588 npu: the fit must find ~0.5
    const csv = halfBandwidthRows();
    const res = fitFromMeasurements({ csvPath: csv, device: 'rk3588', lambda: 1e-6 });
    const g = res.groups.find((x) => x.param === 'memory')!;
    expect(g.multiplier).toBeGreaterThan(0.45);
    expect(g.multiplier).toBeLessThan(0.55);
    expect(res.after_loo.decode!).toBeLessThan(res.before.decode!);
    expect(res.after_loo.decode!).toBeLessThan(5);
  });

  it('the unit level pools every runtime of a unit kind: a runtime with no rows inherits it', () => {
    // rkllm rows at eta_m x 0.5 on rk3588: with only the unit level, the npu multiplier (~0.5)
    // applies to QNN on a Snapdragon too, which no row measured; the CPU keeps its prior.
    const res = fitFromMeasurements({ csvPath: halfBandwidthRows(), device: 'all', levels: ['unit'], lambda: 1e-6 });
    expect(res.groups.map((g) => `${g.level}:${g.key}:${g.param}`)).toEqual(['unit:npu:memory']);
    const theta = new Map(res.groups.map((g) => [thetaKey(g.level, g.key, g.param), Math.log(g.multiplier)]));
    try {
      pinOverlay(new Map());
      const qnn = unitCtx('snapdragon-8-elite', 'npu', 'qnn', 4).eta_m;
      const cpu = unitCtx('snapdragon-8-elite', 'cpu', 'llama.cpp', 4).eta_m;
      pinOverlay(theta);
      expect(unitCtx('snapdragon-8-elite', 'npu', 'qnn', 4).eta_m / qnn).toBeCloseTo(0.5, 2);
      expect(unitCtx('snapdragon-8-elite', 'cpu', 'llama.cpp', 4).eta_m).toBe(cpu);
    } finally {
      pinOverlay(undefined);
    }
  });

  /** A temp copy of the shipped profiles and a CSV of the calibration rows matching `rows`. */
  const tempCopy = (csvName: string, rows: RegExp) => {
    const dir = mkdtempSync(join(tmpdir(), 'mei-h13-prof-'));
    cpSync(PROFILE_DIR, dir, { recursive: true });
    const csv = join(dir, csvName);
    const src = readFileSync(CAL, 'utf8').trim().split('\n');
    writeFileSync(csv, [src[0], ...src.slice(1).filter((l) => rows.test(l))].join('\n') + '\n');
    return { dir, csv, fitted: join(dir, 'fitted') };
  };

  it('writes the fit as an overlay that reproduces the fitted predictions, leaving the profiles untouched', () => {
    const { dir, csv, fitted } = tempCopy('rk.csv', /,rk3588,/);
    const profileBefore = readFileSync(join(dir, 'rk3588.yaml'), 'utf8');
    try {
      setProfileDirs({ profiles: [dir], runtimes: [join(dir, 'runtimes')] });
      const res = fitFromMeasurements({ csvPath: csv, device: 'all', levels: ['runtime', 'device', 'pair'], fittedDir: fitted });
      const files = writeFit(res);
      expect(files).toEqual([join(fitted, 'fit-rk.yaml')]);
      expect(overlaySchema.safeParse(parseYaml(readFileSync(files[0]!, 'utf8'))).success).toBe(true);
      expect(readFileSync(join(dir, 'rk3588.yaml'), 'utf8')).toBe(profileBefore);
      const rep = validateMeasurementsFile(csv);
      expect(rep.errors).toEqual([]);
      expect(rep.decode_mape!).toBeCloseTo(res.after_fit.decode!, 1);
      expect(rep.decode_mape!).toBeLessThan(res.before.decode!);
    } finally {
      setProfileDirs(undefined);
    }
  });

  it('is idempotent: fitting twice writes byte-identical files (all devices, then one device)', () => {
    const { dir, csv, fitted } = tempCopy('cal.csv', /,(rk3588|jetson-orin-nano|apple-m2),/);
    const snapshot = () => readdirSync(fitted).sort().map((f) => [f, readFileSync(join(fitted, f), 'utf8')] as const);
    try {
      setProfileDirs({ profiles: [dir], runtimes: [join(dir, 'runtimes')] });
      const run = (device: string) => writeFit(fitFromMeasurements({ csvPath: csv, device, fittedDir: fitted }));
      run('all');
      const first = snapshot();
      const firstDecode = validateMeasurementsFile(csv).decode_mape;
      run('all');
      expect(snapshot()).toEqual(first);
      expect(validateMeasurementsFile(csv).decode_mape).toBe(firstDecode);
      run('rk3588');
      const third = snapshot();
      run('rk3588');
      expect(snapshot()).toEqual(third);
      // the per-device refit keeps the other devices' groups
      expect(readFileSync(join(fitted, 'fit-cal.yaml'), 'utf8')).toContain('apple-m2|gpu');
      // the shipped fit adds the leave-one-device-out error per runtime|unit; a per-device refit keeps it
      const lodo = fitFromMeasurements({ csvPath: csv, device: 'all', fittedDir: fitted, holdout: 'device' });
      writeFit(fitWithHeldout({ csvPath: csv, device: 'all', fittedDir: fitted }));
      const rk = lodo.per_row.filter((p) => p.runtime === 'rkllm' && p.kind === 'decode');
      const want = rk.reduce((s, p) => s + Math.abs(p.loo / p.measured - 1), 0) * (100 / rk.length);
      const got = (parseYaml(readFileSync(join(fitted, 'fit-cal.yaml'), 'utf8')) as Overlay).heldout!.groups.find((g) => g.key === 'rkllm|npu')!;
      expect(got.decode_n).toBe(rk.length);
      expect(got.decode_mape_pct!).toBeCloseTo(want, 1);
      run('rk3588');
      expect((parseYaml(readFileSync(join(fitted, 'fit-cal.yaml'), 'utf8')) as Overlay).heldout?.groups).toContainEqual(got);
    } finally {
      setProfileDirs(undefined);
    }
  });
});
