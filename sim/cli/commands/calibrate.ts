/**
 * `mei-sim calibrate [--quick] [--out DIR] [--threads N] [--host-id ID] [--install]`
 * Runs the reference kernel suite on this host, fits its empirical roofline and writes a
 * calibrated hardware profile plus a validation report (report.json, report.md, roofline plot).
 * Without --out the profile goes to hardware-profiles/calibrated/<host-id>.yaml and the report to
 * hardware-profiles/calibrated/reports/<host-id>/; with --out both go to DIR (and the profile also
 * to hardware-profiles/calibrated/ with --install).
 * (`--from measurements.csv` is a separate mode, sim/calibration/from-measurements.ts: it fits the
 * calibration overlay hardware-profiles/fitted/fit-<csv name>.yaml. Options of one mode are refused
 * in the other, see `checkModeOptions`.)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { stringify } from 'yaml';
import { defaultHostId, hostIdFrom } from '../../calibration/host.ts';
import { buildProfile } from '../../calibration/profile.ts';
import { reportJson, reportMarkdown, rooflineSpec } from '../../calibration/report.ts';
import { calibrate } from '../../calibration/run.ts';
import { runCalibrateFrom } from '../../calibration/from-measurements.ts';
import { InputError } from '../../common/errors.ts';
import { REPO_ROOT } from '../../paths.ts';
import { renderSpec } from '../../../analysis/plot/render.ts';
import { AtomicDir } from '../output.ts';

export const CALIBRATED_DIR = join(REPO_ROOT, 'hardware-profiles', 'calibrated');

export interface CalibrateArgs {
  from?: string;
  device?: string;
  runtime?: string;
  dryRun?: boolean;
  json?: boolean;
  quick?: boolean;
  out?: string;
  threads?: number;
  hostId?: string;
  install?: boolean;
}

export interface CalibrateOutput {
  profile: string;
  profiles: string[];
  report_dir: string;
  holdout_mape: number;
  plot: string[];
}

/** Options of measuring this host (no --from), and of fitting to measurements (--from). */
const HOST_OPTIONS = [
  ['out', 'out'],
  ['quick', 'quick'],
  ['threads', 'threads'],
  ['hostId', 'host-id'],
  ['install', 'install'],
] as const;
const FROM_OPTIONS = [
  ['device', 'device'],
  ['runtime', 'runtime'],
  ['dryRun', 'dry-run'],
  ['json', 'json'],
] as const;

/** Given on the command line: a string or number option present, a boolean option true. */
const given = (v: unknown) => (typeof v === 'boolean' ? v : v !== undefined);

/**
 * Refuse options that do not apply to the chosen mode (InputError, exit 2) instead of ignoring
 * them: `--from` fits an overlay that always goes to hardware-profiles/fitted/, so --out (and the
 * other host-measurement options) would silently do nothing; without --from the fit options
 * do nothing either (kernel mode prints text only, so --json too).
 */
export function checkModeOptions(args: CalibrateArgs): void {
  if (args.from !== undefined) {
    if (args.from.trim() === '') throw new InputError('calibrate: --from is empty; give a measurements CSV');
    const bad = HOST_OPTIONS.filter(([k]) => given(args[k])).map(([, flag]) => `--${flag}`);
    if (bad.length > 0) {
      throw new InputError(
        `calibrate --from: ${bad.join(', ')} ${bad.length > 1 ? 'do' : 'does'} not apply to fitting measurements (${bad.length > 1 ? 'they are options' : 'it is an option'} of measuring this host, calibrate without --from). ` +
          'calibrate --from always writes the fitted overlay to hardware-profiles/fitted/fit-<csv name>.yaml; add --dry-run to write nothing.',
      );
    }
    return;
  }
  const bad = FROM_OPTIONS.filter(([k]) => given(args[k])).map(([, flag]) => `--${flag}`);
  if (bad.length > 0) {
    throw new InputError(
      `calibrate: ${bad.join(', ')} ${bad.length > 1 ? 'apply' : 'applies'} only with --from measurements.csv (fitting to published measurements); measuring this host takes --quick, --out, --threads, --host-id and --install`,
    );
  }
  if (args.out !== undefined && args.out.trim() === '') throw new InputError('calibrate: --out is empty; give a folder, or leave --out out to write under hardware-profiles/calibrated/');
}

export async function runCalibrate(args: CalibrateArgs, log: (m: string) => void = (m) => process.stderr.write(m + '\n')): Promise<CalibrateOutput> {
  // --host-id is checked before anything is measured (the run takes up to 10 min); calibrate()
  // checks --threads first thing too
  const givenId = args.hostId === undefined ? undefined : hostIdFrom(args.hostId, log);
  const result = await calibrate({ quick: !!args.quick, threads: args.threads, log });
  const hostId = givenId ?? defaultHostId(result.host);
  const profile = buildProfile(result, hostId);
  const finalDir = args.out ? resolve(args.out) : join(CALIBRATED_DIR, 'reports', hostId);
  // Nothing half-written: everything goes to a temporary folder renamed at the end.
  const atomic = new AtomicDir(finalDir);
  const outDir = atomic.tmp;
  const yamlText = `# Calibrated by \`mei-sim calibrate${args.quick ? ' --quick' : ''}\` on ${result.host.date}. Regenerate, do not edit.\n${stringify(profile, { lineWidth: 0 })}`;
  const profiles: string[] = [];
  writeFileSync(join(outDir, `${hostId}.yaml`), yamlText);
  if (args.out) profiles.push(join(finalDir, `${hostId}.yaml`));
  if (!args.out || args.install) profiles.push(join(CALIBRATED_DIR, `${hostId}.yaml`));
  const spec = rooflineSpec(result);
  const base = join(outDir, 'roofline');
  writeFileSync(`${base}.vl.json`, JSON.stringify(spec, null, 2));
  const plot = [`${base}.vl.json`];
  const r = await renderSpec(spec, base);
  plot.push(r.svg, r.png);
  const rel = (p: string) => relative(outDir, p) || p;
  writeFileSync(join(outDir, 'report.json'), JSON.stringify({ profile_id: hostId, ...reportJson(result) }, null, 1));
  writeFileSync(join(outDir, 'report.md'), reportMarkdown(result, { profile: profiles.map((p) => relative(finalDir, p) || p).join('`, `'), plot: plot.map(rel) }));
  atomic.commit();
  if (!args.out || args.install) {
    // Install the profile where `--device <host-id>` finds it (write then rename: never half a file).
    mkdirSync(CALIBRATED_DIR, { recursive: true });
    const dest = join(CALIBRATED_DIR, `${hostId}.yaml`);
    writeFileSync(`${dest}.tmp`, yamlText);
    renameSync(`${dest}.tmp`, dest);
  }
  const moved = (p: string) => join(finalDir, relative(outDir, p));
  return { profile: profiles[0]!, profiles, report_dir: finalDir, holdout_mape: result.holdout.mape, plot: plot.map(moved) };
}

export const calibrateCommand: CommandModule<object, CalibrateArgs> = {
  command: 'calibrate',
  describe: 'Measure this host with the reference kernel suite and write a calibrated hardware profile and report; with --from, fit efficiencies to published measurements instead',
  builder: (y: Argv) =>
    y
      .option('quick', { type: 'boolean', default: false, describe: 'not with --from: fewer sizes and repetitions (< 60 s on 2 cores)' })
      .option('out', { type: 'string', describe: 'not with --from: write the profile and the report into this folder (replaced only if missing, empty or an earlier mei-sim output)' })
      .option('threads', { type: 'number', describe: 'not with --from: max worker threads, a whole number >= 1, at most the logical CPUs (default: all); the profile describes that many cores' })
      .option('host-id', { type: 'string', describe: 'not with --from: profile id, slugified (a-z, 0-9, ".", "-"; at most 64 characters; default: hostname + CPU model)' })
      .option('install', { type: 'boolean', default: false, describe: 'not with --from; with --out: also write hardware-profiles/calibrated/<host-id>.yaml' })
      .option('from', {
        type: 'string',
        describe: 'instead of running kernels: fit device/runtime efficiencies to published measurements (validate CSV layout); writes the overlay hardware-profiles/fitted/fit-<csv name>.yaml',
      })
      .option('device', { type: 'string', describe: 'only with --from: the device id to fit (default: every device in the file)' })
      .option('runtime', { type: 'string', describe: 'only with --from: only rows of this runtime' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'only with --from: report the fit and write nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'only with --from: print the fit as JSON' })
      .group(['quick', 'out', 'threads', 'host-id', 'install'], 'Measuring this host (default):')
      .group(['from', 'device', 'runtime', 'dry-run', 'json'], 'Fitting published measurements (--from):')
      .example('$0 calibrate --quick --out results/calib', 'measure this machine (< 60 s)')
      .example('$0 calibrate --from measurements.csv --device snapdragon-8-gen-3', 'fit a device you cannot run on to published rates') as unknown as Argv<CalibrateArgs>,
  handler: async (args) => {
    checkModeOptions(args);
    if (args.from !== undefined) {
      runCalibrateFrom({ from: args.from, device: args.device ?? 'all', runtime: args.runtime, write: !args.dryRun, json: args.json });
      return;
    }
    const out = await runCalibrate(args);
    process.stdout.write(
      `profile: ${out.profiles.join(', ')}\nreport: ${join(out.report_dir, 'report.md')}\nheld-out MAPE: ${(100 * out.holdout_mape).toFixed(1)}%\nplot: ${out.plot.join(', ')}\n`,
    );
  },
};
