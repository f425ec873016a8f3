/**
 * `calibrate` bad input and honesty: options of the other mode are refused (exit 2), bad measured
 * rates never enter a fit, unknown ids and empty selections are InputErrors with a hint, and the
 * "before" figure is the priors without any calibration overlay.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiniteGroups, checkIds, fitFromMeasurements, formatFit, type FittedGroup } from '../../sim/calibration/from-measurements.ts';
import { checkModeOptions } from '../../sim/cli/commands/calibrate.ts';
import { InputError } from '../../sim/common/errors.ts';
import { PROFILE_DIR } from '../../sim/hardware/profiles.ts';
import { cli } from '../helpers.ts';

const CAL = '/work/shared/reference/measurements-calibration.csv';
const DEVICE = 'snapdragon-8-gen-3';
const FITTED = join(PROFILE_DIR, 'fitted');

/** A CSV of the calibration rows of one device (plus `extra` lines), in a fresh temp folder. */
function deviceCsv(name: string, extra: string[] = []): string {
  const src = readFileSync(CAL, 'utf8').trim().split('\n');
  const csv = join(mkdtempSync(join(tmpdir(), 'mei-calfrom-')), name);
  writeFileSync(csv, [src[0], ...src.slice(1).filter((l) => l.includes(`,${DEVICE},`)), ...extra].join('\n') + '\n');
  return csv;
}

const inputError = (f: () => unknown, re: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(re);
};

describe('calibrate: options of the other mode are refused', () => {
  it('with --from: --out, --quick, --threads, --host-id and --install', () => {
    inputError(() => checkModeOptions({ from: 'x.csv', out: '/tmp/x' }), /--out does not apply.*hardware-profiles\/fitted\/.*--dry-run to write nothing/);
    for (const [k, flag, v] of [
      ['quick', 'quick', true],
      ['threads', 'threads', 2],
      ['hostId', 'host-id', 'h'],
      ['install', 'install', true],
    ] as const) {
      inputError(() => checkModeOptions({ from: 'x.csv', [k]: v }), new RegExp(`--${flag} does not apply`));
    }
    expect(() => checkModeOptions({ from: 'x.csv', device: DEVICE, runtime: 'qnn', dryRun: true, json: true, quick: false, install: false })).not.toThrow();
  });

  it('without --from: --device, --runtime, --dry-run and --json', () => {
    inputError(() => checkModeOptions({ device: DEVICE }), /--device applies only with --from/);
    inputError(() => checkModeOptions({ runtime: 'qnn', dryRun: true, json: true }), /--runtime, --dry-run, --json apply only with --from/);
    inputError(() => checkModeOptions({ out: '' }), /--out is empty/);
    expect(() => checkModeOptions({ quick: true, out: '/tmp/x', threads: 2, hostId: 'h', install: true, dryRun: false, json: false })).not.toThrow();
  });

  it('the CLI exits 2 on --from with --out and writes no overlay into the repo', () => {
    const csv = deviceCsv('calfrom-out-refused.csv');
    const out = join(mkdtempSync(join(tmpdir(), 'mei-calfrom-out-')), 'never');
    const r = cli(['calibrate', '--from', csv, '--device', DEVICE, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out does not apply/);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(existsSync(join(FITTED, 'fit-calfrom-out-refused.yaml'))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('--help says which mode each option belongs to', () => {
    const r = cli(['calibrate', '--help']);
    expect(r.stdout).toMatch(/Measuring this host/);
    expect(r.stdout).toMatch(/Fitting published measurements \(--from\)/);
    expect(r.stdout).toMatch(/--dry-run\s+only with --from: report the fit and write nothing/);
  });
});

describe('calibrate --from: rows with an unusable measured rate never enter the fit', () => {
  const bad = [
    `llama-3.2-1b,4,Q4_0,${DEVICE},gpu,llama.cpp,,128,0,0,zero`,
    `llama-3.2-1b,4,Q4_0,${DEVICE},gpu,llama.cpp,,128,-5,20,negative`,
    `llama-3.2-1b,4,Q4_0,${DEVICE},gpu,llama.cpp,,128,abc,20,text`,
  ];

  it('fits the same multipliers as without those rows, and reports them as skipped', () => {
    const clean = fitFromMeasurements({ csvPath: deviceCsv('clean.csv'), device: DEVICE });
    const res = fitFromMeasurements({ csvPath: deviceCsv('dirty.csv', bad), device: DEVICE });
    for (const g of res.groups) expect(Number.isFinite(g.multiplier)).toBe(true);
    expect(res.groups.map((g) => g.multiplier)).toEqual(clean.groups.map((g) => g.multiplier));
    expect(res.rows).toEqual(clean.rows);
    expect(res.errors).toHaveLength(3);
    const text = formatFit(res);
    expect(text).toMatch(/3 skipped/);
    expect(text.match(/skipped line \d+ \(not fitted\)/g)).toHaveLength(3);
    expect(text).not.toMatch(/NaN/);
  });

  it('a non-finite multiplier is an InputError naming its rows', () => {
    const g: FittedGroup = { level: 'device', key: `${DEVICE}|gpu`, param: 'memory', multiplier: NaN, rows: [7, 8] };
    inputError(() => checkFiniteGroups([g], 'm.csv'), /no finite multiplier for device snapdragon-8-gen-3\|gpu eta_m \(rows 7, 8\)/);
    expect(() => checkFiniteGroups([{ ...g, multiplier: 0.9 }], 'm.csv')).not.toThrow();
  });
});

describe('calibrate --from: user errors are InputErrors (exit 2)', () => {
  it('unknown device or runtime: did-you-mean from the profiles and runtimes; ids match case-insensitively', () => {
    inputError(() => checkIds('snapdragon-8-gen3', undefined), /unknown device "snapdragon-8-gen3"; did you mean "snapdragon-8-gen-3"/);
    inputError(() => checkIds('nope-dev', undefined), /unknown device "nope-dev"; known: .*rk3588/);
    inputError(() => checkIds('all', 'llamacpp'), /unknown runtime "llamacpp"; did you mean "llama.cpp"/);
    expect(checkIds('SNAPDRAGON-8-Gen-3', 'QNN')).toEqual({ device: DEVICE, runtime: 'qnn' });
    const res = fitFromMeasurements({ csvPath: deviceCsv('case.csv'), device: DEVICE.toUpperCase(), runtime: 'LLAMA.CPP' });
    expect(res.device).toBe(DEVICE);
    expect(res.rows.length).toBeGreaterThan(0);
  });

  it('a missing file, or no usable rows for the device or runtime', () => {
    inputError(() => fitFromMeasurements({ csvPath: '/nonexistent/m.csv', device: 'all' }), /no such file/);
    const csv = deviceCsv('norows.csv');
    inputError(() => fitFromMeasurements({ csvPath: csv, device: 'rk3588' }), /no usable rows for device "rk3588" \(devices in the file: snapdragon-8-gen-3\)/);
    inputError(() => fitFromMeasurements({ csvPath: csv, device: DEVICE, runtime: 'qnn' }), /no usable rows .* runtime "qnn" \(runtimes of snapdragon-8-gen-3 in the file: executorch, llama.cpp\)/);
  });

  it('the CLI exits 2 without a stack trace', () => {
    const csv = deviceCsv('cli-errors.csv');
    for (const args of [
      ['--from', '/nonexistent/m.csv'],
      ['--from', csv, '--device', 'nope-dev'],
      ['--from', csv, '--runtime', 'nope'],
      ['--from', csv, '--device', 'rk3588'],
    ]) {
      const r = cli(['calibrate', ...args, '--dry-run']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/internal error/);
    }
  });
});

describe('calibrate --from: "before" is the priors, without any calibration overlay', () => {
  it('matches a fit with an empty overlay folder; the kept shipped overlay is a separate figure', () => {
    const csv = deviceCsv('before.csv');
    const empty = mkdtempSync(join(tmpdir(), 'mei-calfrom-empty-'));
    const withShipped = fitFromMeasurements({ csvPath: csv, device: DEVICE, fittedDir: FITTED });
    const priors = fitFromMeasurements({ csvPath: csv, device: DEVICE, fittedDir: empty });
    expect(readdirSync(FITTED)).toContain('fit-measurements-calibration.yaml');
    expect(withShipped.before).toEqual(priors.before);
    expect(priors.before_overlay).toBeUndefined();
    // the shipped overlay moves these rows: the figure with it is reported, and labelled as such
    expect(withShipped.before_overlay!.decode).not.toBeCloseTo(withShipped.before.decode!, 1);
    const text = formatFit(withShipped);
    expect(text).toMatch(/before \(priors, no fitted overlay\)/);
    expect(text).toMatch(/before \(priors \+ kept fitted overlay\)/);
  });
});
