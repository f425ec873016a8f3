import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from './errors.ts';

/**
 * The file that marks a folder as written by mei-sim. Only a folder that is
 * missing, empty or marked (or an output of an earlier version, see
 * `isMeiSimOutput`) may be replaced or written into by a new output: `--out`
 * never deletes or overwrites anything else. Shared by the CLI (runs,
 * calibration, roofline) and analysis (sweep, compare and merge folders).
 */
export const OUTPUT_MARKER = '.mei-sim-output';

/** True when `dir` holds an output that mei-sim wrote (the marker, or a run or calibrate folder of an earlier version). */
export function isMeiSimOutput(dir: string): boolean {
  if (existsSync(join(dir, OUTPUT_MARKER))) return true;
  try {
    // A run folder of an earlier version: its summary.json, and nothing but the files a run writes
    // (a folder where someone keeps notes beside a copied summary.json is theirs).
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { manifest?: { mei_sim_version?: unknown } };
    if (s.manifest?.mei_sim_version !== undefined && readdirSync(dir).every((f) => /^(summary\.json|scenario\.yaml|trace\.jsonl|plot\.(svg|png|vl\.json)|[a-z_]+\.csv)$/.test(f))) return true;
  } catch {
    /* not a run folder */
  }
  // a sweep or comparison folder of an earlier version
  if (existsSync(join(dir, 'manifest.json')) && existsSync(join(dir, 'runs.csv'))) return true;
  try {
    const r = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { profile_id?: unknown };
    return r.profile_id !== undefined && existsSync(join(dir, 'report.md'));
  } catch {
    return false;
  }
}

/**
 * Throws an InputError unless the folder `dest` may be replaced: it is missing,
 * empty or a mei-sim output, and it is neither the current folder nor one that
 * contains it.
 */
export function assertReplaceable(dest: string, option = '--out'): void {
  if (dest.trim() === '') throw new InputError(`${option}: expected a folder path, got an empty string`);
  const abs = resolve(dest);
  const rel = relative(abs, process.cwd());
  if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))) {
    throw new InputError(`${option} ${dest}: is the current folder or contains it; mei-sim replaces the whole output folder, so give a new folder`);
  }
  if (!existsSync(abs)) return;
  if (!lstatSync(abs).isDirectory()) throw new InputError(`${option} ${dest}: exists and is not a folder; mei-sim writes a folder there and will not replace a file`);
  if (readdirSync(abs).length === 0 || isMeiSimOutput(abs)) return;
  throw new InputError(
    `${option} ${dest}: the folder exists, is not empty and is not a mei-sim output (it has no ${OUTPUT_MARKER} file), so mei-sim will not write there; give a new or empty folder, or remove it yourself`,
  );
}


/** Mark `dir` (which exists) as a mei-sim output folder. */
export function markOutputFolder(dir: string): void {
  writeFileSync(join(dir, OUTPUT_MARKER), 'Written by mei-sim. A later mei-sim command with this folder as its output may replace it.\n');
}
