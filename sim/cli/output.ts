import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../common/errors.ts';

/**
 * The file that marks a folder as written by mei-sim. Only a folder that is
 * missing, empty or marked (or an output of an earlier version, see
 * `isMeiSimOutput`) may be replaced by a new output: `--out` never deletes
 * anything else.
 */
export const OUTPUT_MARKER = '.mei-sim-output';

/** True when `dir` holds an output that mei-sim wrote (the marker, or a run or calibrate folder of an earlier version). */
export function isMeiSimOutput(dir: string): boolean {
  if (existsSync(join(dir, OUTPUT_MARKER))) return true;
  try {
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { manifest?: { mei_sim_version?: unknown } };
    if (s.manifest?.mei_sim_version !== undefined) return true;
  } catch {
    /* not a run folder */
  }
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
    `${option} ${dest}: the folder exists, is not empty and is not a mei-sim output (it has no ${OUTPUT_MARKER} file), so mei-sim will not replace it; give a new or empty folder, or remove it yourself`,
  );
}

/** mkdir -p that stops with the error instead of looping where the file system refuses (e.g. under /proc). */
export function ensureDir(dir: string): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  while (!existsSync(p)) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !lstatSync(p).isDirectory()) throw new InputError(`${p}: is a file, expected a folder`);
  for (const m of missing.reverse()) mkdirSync(m);
}

/** Whether process `pid` is alive (a signal 0 probe; EPERM means it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temporary siblings of `name` left by killed runs (their process is gone). */
function removeStale(parent: string, name: string): void {
  const re = new RegExp(`^\\.mei-sim-(tmp|old)-${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  for (const e of readdirSync(parent)) {
    const m = re.exec(e);
    if (m && Number(m[2]) !== process.pid && !alive(Number(m[2]))) rmSync(join(parent, e), { recursive: true, force: true });
  }
}

/**
 * Nothing is half-written: a command writes into a temporary sibling folder
 * and renames it to the destination only when everything succeeded. The
 * destination must be missing, empty or an earlier mei-sim output
 * (`assertReplaceable`); a killed run's temporary folder is removed by the
 * next run into the same destination.
 */
export class AtomicDir {
  readonly tmp: string;
  private done = false;

  constructor(readonly dest: string, readonly option = '--out') {
    assertReplaceable(dest, option);
    const abs = resolve(dest);
    ensureDir(dirname(abs));
    removeStale(dirname(abs), basename(abs));
    this.tmp = join(dirname(abs), `.mei-sim-tmp-${basename(abs)}-${process.pid}`);
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp);
    writeFileSync(join(this.tmp, OUTPUT_MARKER), 'Written by mei-sim. A later mei-sim command with this folder as its output replaces it.\n');
    process.once('exit', () => this.abort());
  }

  /** Replace `dest` with the finished temporary folder; the old one is moved aside first and restored if the rename fails. */
  commit(): void {
    const abs = resolve(this.dest);
    assertReplaceable(this.dest, this.option);
    let old: string | undefined;
    if (existsSync(abs)) {
      old = join(dirname(abs), `.mei-sim-old-${basename(abs)}-${process.pid}`);
      rmSync(old, { recursive: true, force: true });
      renameSync(abs, old);
    }
    try {
      renameSync(this.tmp, abs);
    } catch (e) {
      if (old !== undefined) renameSync(old, abs);
      throw e;
    }
    if (old !== undefined) rmSync(old, { recursive: true, force: true });
    this.done = true;
  }

  abort(): void {
    if (!this.done) rmSync(this.tmp, { recursive: true, force: true });
    this.done = true;
  }
}

export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
