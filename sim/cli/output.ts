import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../common/errors.ts';
import { assertReplaceable, markOutputFolder } from '../common/output-folder.ts';

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
    markOutputFolder(this.tmp);
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
