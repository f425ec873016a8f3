import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupKey, heldoutError, logMultipliers, overlayTheta, readOverlays, thetaKey } from '../../sim/hardware/fit-overlay.ts';
import { heldoutGroups } from '../../sim/calibration/from-measurements.ts';
import { fittedDirOf, pinOverlay, unitCtx } from '../../sim/hardware/predict.ts';

const subject = { device: 'rk3588', unit: 'npu' as const, runtime: 'rkllm', weight_bits: 8, vendor: 'Rockchip' };

describe('calibration overlay (hardware-profiles/fitted)', () => {
  it('keys every level from the subject; runtime levels need a runtime', () => {
    expect(groupKey('runtime', subject)).toBe('rkllm|npu');
    expect(groupKey('format', subject)).toBe('rkllm|npu|q');
    expect(groupKey('format', { ...subject, weight_bits: 16 })).toBe('rkllm|npu|16');
    expect(groupKey('backend', subject)).toBe('rkllm|npu|Rockchip');
    expect(groupKey('device', subject)).toBe('rk3588|npu');
    expect(groupKey('pair', subject)).toBe('rk3588|rkllm|npu');
    expect(groupKey('pair', { ...subject, runtime: undefined })).toBeUndefined();
  });

  it('sums the log multipliers of the groups a subject belongs to, per parameter', () => {
    const th = new Map([
      [thetaKey('runtime', 'rkllm|npu', 'memory'), Math.log(2)],
      [thetaKey('device', 'rk3588|npu', 'memory'), Math.log(0.25)],
      [thetaKey('device', 'rk3588|npu', 'compute'), Math.log(3)],
      [thetaKey('device', 'rk3576|npu', 'memory'), Math.log(10)],
    ]);
    const lm = logMultipliers(th, subject);
    expect(Math.exp(lm.memory)).toBeCloseTo(0.5, 12);
    expect(Math.exp(lm.compute)).toBeCloseTo(3, 12);
  });

  it('rejects a file that is not an overlay, and multiplies groups of several files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mei-h13-ov-'));
    const g = (v: number) => `source: x.csv\nderived: test\ngroups:\n  - { level: device, key: "rk3588|npu", param: memory, value: ${v}, derived: "test" }\n`;
    writeFileSync(join(dir, 'a.yaml'), g(2));
    writeFileSync(join(dir, 'b.yaml'), g(3));
    expect(Math.exp(overlayTheta(dir).get(thetaKey('device', 'rk3588|npu', 'memory'))!)).toBeCloseTo(6, 12);
    expect(Math.exp(overlayTheta(dir, join(dir, 'b.yaml')).get(thetaKey('device', 'rk3588|npu', 'memory'))!)).toBeCloseTo(2, 12);
    writeFileSync(join(dir, 'c.yaml'), 'groups: [{ level: device, key: k, param: memory, value: -1 }]\n');
    expect(() => readOverlays(dir)).toThrow(/not a calibration overlay/);
  });

  it('the shipped overlay is valid, every group carries derived text, and unitCtx applies it to the priors', () => {
    const files = readOverlays(fittedDirOf());
    expect(files.length).toBeGreaterThan(0);
    for (const { overlay } of files) for (const grp of overlay.groups) expect(grp.derived.length).toBeGreaterThan(20);
    try {
      pinOverlay(new Map());
      const prior = unitCtx('rk3588', 'npu', 'rkllm', 8).eta_m;
      pinOverlay(new Map([[thetaKey('device', 'rk3588|npu', 'memory'), Math.log(0.5)]]));
      expect(unitCtx('rk3588', 'npu', 'rkllm', 8).eta_m).toBeCloseTo(prior * 0.5, 12);
    } finally {
      pinOverlay(undefined);
    }
  });

  it('held-out error: MAPE per runtime|unit from held-out predictions, looked up by runtime and unit', () => {
    const row = (runtime: string | undefined, unit: string, kind: 'decode' | 'prefill', measured: number, loo: number) => ({ line: 1, kind, runtime, unit, measured, before: 0, fit: 0, loo });
    const g = heldoutGroups({
      per_row: [
        row('qnn', 'npu', 'decode', 10, 15), // 50%
        row('qnn', 'npu', 'decode', 20, 18), // 10%
        row('llama.cpp', 'cpu', 'prefill', 100, 25), // 75%
        row(undefined, 'gpu', 'decode', 4, 5), // 25%
      ],
    });
    expect(g).toEqual([
      { key: '-|gpu', decode_n: 1, decode_mape_pct: 25, prefill_n: 0, prefill_mape_pct: null },
      { key: 'llama.cpp|cpu', decode_n: 0, decode_mape_pct: null, prefill_n: 1, prefill_mape_pct: 75 },
      { key: 'qnn|npu', decode_n: 2, decode_mape_pct: 30, prefill_n: 0, prefill_mape_pct: null },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'mei-heldout-'));
    const yaml = (src: string, groups: string) => `source: ${src}\nderived: test\ngroups: []\nheldout:\n  method: leave-one-device-out on ${src}\n  groups:\n${groups}`;
    const entry = (key: string, d: number) => `    - { key: "${key}", decode_n: 2, decode_mape_pct: ${d}, prefill_n: 0, prefill_mape_pct: null }\n`;
    writeFileSync(join(dir, 'a.yaml'), yaml('a.csv', entry('qnn|npu', 30)));
    writeFileSync(join(dir, 'b.yaml'), yaml('b.csv', entry('qnn|npu', 99) + entry('-|gpu', 25)));
    expect(heldoutError(dir, 'qnn', 'npu')).toMatchObject({ decode_mape_pct: 30, source: 'a.csv' }); // first file wins
    expect(heldoutError(dir, undefined, 'gpu')).toMatchObject({ decode_mape_pct: 25, source: 'b.csv' });
    expect(heldoutError(dir, 'rkllm', 'npu')).toBeUndefined();
  });

  it('the shipped overlay carries the leave-one-device-out error of every calibrated runtime|unit', () => {
    const h = heldoutError(fittedDirOf(), 'llama.cpp', 'gpu');
    expect(h?.method).toMatch(/leave-one-device-out/);
    expect(h!.decode_n).toBeGreaterThan(5);
    expect(h!.decode_mape_pct).toBeGreaterThan(0);
  });
});

