import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { checkQueryNumbers } from '../../sim/hardware/predict.ts';
import { cli, tempDir } from '../helpers.ts';

const base = ['--device', 'raspberry-pi-5', '--unit', 'cpu', '--model', 'llama-3.2-1b'];

describe('predict and roofline refuse impossible numbers', () => {
  it('checks bits, token counts and threads', () => {
    expect(() => checkQueryNumbers({ weight_bits: 0 })).toThrow(/weight bits 0: expected bits per weight from 1 to 32/);
    expect(() => checkQueryNumbers({ weight_bits: 64 })).toThrow(RangeError);
    expect(() => checkQueryNumbers({ weight_bits: NaN })).toThrow(RangeError);
    expect(() => checkQueryNumbers({ weight_bits: 4, prompt: 0 })).toThrow(/prompt tokens 0: expected a whole number >= 1/);
    expect(() => checkQueryNumbers({ weight_bits: 4, gen: 1.5 })).toThrow(/generated tokens 1\.5/);
    expect(() => checkQueryNumbers({ weight_bits: 4, threads: -1 })).toThrow(/threads -1/);
    expect(() => checkQueryNumbers({ weight_bits: 4, context: -1 })).toThrow(/context -1: expected a whole number >= 0/);
    expect(() => checkQueryNumbers({ weight_bits: 1.58, prompt: 1, gen: 1, threads: 1, context: 0 })).not.toThrow();
  });

  it('the CLI exits 2 with the reason, and says when --threads was not used as given', () => {
    for (const extra of [['--weight-bits', '0'], ['--weight-bits', 'abc'], ['--weight-bits', '4', '--prompt', '-1'], ['--weight-bits', '4', '--gen', '0']]) {
      const r = cli(['predict', ...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const many = cli(['predict', ...base, '--weight-bits', '4', '--threads', '16']);
    expect(many.code).toBe(0);
    expect(many.stderr).toMatch(/--threads 16 is more than the 4 cores of raspberry-pi-5; using 4/);
    const gpu = cli(['predict', '--device', 'snapdragon-8-gen-3', '--unit', 'gpu', '--model', 'llama-3.2-1b', '--weight-bits', '4', '--threads', '2']);
    expect(gpu.code).toBe(0);
    expect(gpu.stderr).toMatch(/--threads applies to the cpu unit only; ignored on gpu/);
  });

  it('a repeated single-valued option or a non-number is refused by name (exit 2), not taken as an array or NaN', () => {
    const twice = cli(['predict', ...base, '--unit', 'gpu', '--weight-bits', '4']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--unit was given 2 times \(cpu, gpu\); give it once/);
    const same = cli(['predict', ...base, '--unit', 'cpu', '--weight-bits', '4', '--json']);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout).unit).toBe('cpu');
    const nan = cli(['sweep', 'scenarios/sweeps/quickstart-load.yaml', '--workers=abc', '--out', join(tempDir(), 's')]);
    expect(nan.code).toBe(2);
    expect(nan.stderr).toMatch(/--workers "abc": expected a number/);
  });

  it('roofline refuses a model the unit cannot hold and a zero-token prompt, and writes nothing', () => {
    const d = tempDir();
    const big = cli(['roofline', '--device', 'raspberry-pi-5', '--unit', 'cpu', '--model', 'llama-2-70b', '--weight-bits', '16', '--out', join(d, 'a')]);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/llama-2-70b at 16 bit needs .* GB .*raspberry-pi-5 \(cpu\) has/);
    const zero = cli(['roofline', ...base, '--prompt', '0', '--out', join(d, 'b')]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/prompt tokens 0/);
    expect(existsSync(join(d, 'a')) || existsSync(join(d, 'b'))).toBe(false);
  });

  it('ids are case-insensitive, and validate never writes over its input', () => {
    const r = cli(['predict', '--device', 'Raspberry-Pi-5', '--unit', 'cpu', '--model', 'Llama-3.2-1B', '--weight-bits', '4', '--runtime', 'LLAMA.CPP']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/llama-3\.2-1b \(4-bit\) on raspberry-pi-5 cpu with llama\.cpp/);
    const d = tempDir();
    const csv = join(d, 'm.csv');
    const text = 'model,weight_bits,device,unit,runtime,threads,prompt_tokens,prefill_tok_s,decode_tok_s,source\nllama-3.2-1b,4,raspberry-pi-5,cpu,llama.cpp,4,,,10,x\n';
    writeFileSync(csv, text);
    const v = cli(['validate', csv, '--out', csv]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/is the input file/);
    expect(readFileSync(csv, 'utf8')).toBe(text);
    expect(cli(['validate', d]).code).toBe(2); // a folder
  });

  it('validate refuses the options of its other form; roofline notes --threads off the CPU', () => {
    const a = cli(['validate', 'scenarios/quickstart.yaml', '--out', join(tempDir(), 'x.csv')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--out applies to a measurements \.csv/);
    const b = cli(['validate', '../shared/reference/measurements-calibration.csv', '--seed', '3']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--seed applies to a scenario/);
    const d = tempDir();
    const r = cli(['roofline', '--device', 'snapdragon-8-gen-3', '--unit', 'gpu', '--model', 'llama-3.2-1b', '--threads', '3', '--out', join(d, 'r')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/--threads applies to the cpu unit only; ignored on gpu/);
  });

  it('a runtime outside its weight widths is refused, and a widened format is said', () => {
    const t = cli(['predict', ...base, '--weight-bits', '16', '--runtime', 't-mac']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/runtime t-mac runs 1-4 bit weights on a cpu, not 16/);
    // a device's own range narrows the kind's: RKLLM has w4a16 on the RK3576 but only w8a8 on the RK3588
    const rk = (device: string) => cli(['predict', '--device', device, '--unit', 'npu', '--model', 'qwen3-0.6b', '--weight-bits', '4', '--runtime', 'rkllm']);
    expect(rk('rk3588').code).toBe(2);
    expect(rk('rk3588').stderr).toMatch(/runtime rkllm runs 8 bit weights on the npu of rk3588, not 4 \(https:\/\/github\.com\/airockchip\/rknn-llm\/issues\/186/);
    expect(rk('rk3576').code).toBe(0);
    const dsp = cli(['predict', '--device', 'snapdragon-865', '--unit', 'dsp', '--model', 'llama-3.2-1b', '--weight-bits', '4', '--json']);
    expect(dsp.code).toBe(0);
    expect(dsp.stderr).toMatch(/snapdragon-865 dsp has no 4-bit format; the weights are held and computed at 8 bits/);
    expect(JSON.parse(dsp.stdout).stored_weight_bits).toBe(8);
    // roofline places the ops at the held width too, and says so
    const rf = cli(['roofline', '--device', 'snapdragon-865', '--unit', 'dsp', '--model', 'llama-3.2-1b', '--weight-bits', '4', '--json', '--out', join(tempDir(), 'rf')]);
    expect(rf.code).toBe(0);
    expect(rf.stderr).toMatch(/held and computed at 8 bits/);
  });
});
