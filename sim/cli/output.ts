import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Nothing is half-written: a command writes into a temporary sibling folder
 * and renames it to the destination only when everything succeeded.
 */
export class AtomicDir {
  readonly tmp: string;
  private done = false;

  constructor(readonly dest: string) {
    const abs = resolve(dest);
    mkdirSync(dirname(abs), { recursive: true });
    this.tmp = join(dirname(abs), `.mei-sim-tmp-${basename(abs)}-${process.pid}`);
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
    process.once('exit', () => this.abort());
  }

  /** Replace `dest` with the finished temporary folder. */
  commit(): void {
    const abs = resolve(this.dest);
    if (existsSync(abs)) rmSync(abs, { recursive: true, force: true });
    renameSync(this.tmp, abs);
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
