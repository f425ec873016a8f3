/**
 * Runs one kernel on N worker threads at once (each on its own buffers of the given size) and
 * times the wall-clock of each synchronized round: aggregate FLOP/s and bytes/s for N threads.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../common/errors.ts';
import type { Impl } from './kernels/suite.ts';
import { summarize, type MeasureOptions, type Timing } from './measure.ts';

export interface ParallelResult extends Timing {
  threads: number;
  /** per-thread FLOP and bytes of one call; aggregate = threads x these per round */
  flops: number;
  bytes: number;
  ws_bytes: number;
  checks_ok: boolean;
  checksum: number;
}

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

/**
 * The most worker threads a calibration runs: `--threads` as given, all logical CPUs without it.
 * A count that is not a whole number >= 1 is refused (InputError, exit 2); more threads than
 * logical CPUs only time-slice the same cores, and the profile's `cores` is the count measured,
 * so a larger count is lowered to the CPU count with a note (as `predict --threads` does).
 */
export function resolveThreads(requested: number | undefined, cpus: number, note: (m: string) => void = () => {}): number {
  if (requested === undefined) return Math.max(1, cpus);
  if (!Number.isInteger(requested) || requested < 1) {
    throw new InputError(`calibrate: --threads must be a whole number >= 1 (got ${requested}); leave it out to use all ${cpus} logical CPUs`);
  }
  if (requested > cpus) {
    note(`note: --threads ${requested} is more than the ${cpus} logical CPUs of this host; using ${cpus}`);
    return Math.max(1, cpus);
  }
  return requested;
}

export async function runParallel(kernel: string, impl: Impl, size: number, threads: number, opts: MeasureOptions): Promise<ParallelResult> {
  // a fractional count started ceil(threads) workers but waited for `threads` of them; NaN never finished
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`runParallel: threads must be a whole number >= 1 (got ${threads})`);
  const sab = new SharedArrayBuffer(16);
  const ctrl = new Int32Array(sab);
  const workers: Worker[] = [];
  const ready: Promise<{ flops: number; bytes: number; ws_bytes: number }>[] = [];
  const done: Promise<{ guard: number; check: { ok: boolean }; checksum: number }>[] = [];
  for (let t = 0; t < threads; t++) {
    const w = new Worker(BOOT, { workerData: { kernel, impl, size, ctrl: sab } });
    workers.push(w);
    let onReady!: (v: { flops: number; bytes: number; ws_bytes: number }) => void;
    let onDone!: (v: { guard: number; check: { ok: boolean }; checksum: number }) => void;
    let onErr!: (e: Error) => void;
    ready.push(new Promise((res, rej) => ((onReady = res), (onErr = rej))));
    done.push(new Promise((res) => (onDone = res)));
    w.on('message', (m: { type: string }) => (m.type === 'ready' ? onReady(m as never) : onDone(m as never)));
    w.on('error', (e) => onErr(e));
  }
  try {
    const info = (await Promise.all(ready))[0]!;
    const round = (iters: number): number => {
      Atomics.store(ctrl, 1, 0);
      Atomics.store(ctrl, 2, iters);
      const t0 = process.hrtime.bigint();
      Atomics.add(ctrl, 0, 1);
      Atomics.notify(ctrl, 0);
      for (;;) {
        const d = Atomics.load(ctrl, 1);
        if (d >= threads) break;
        Atomics.wait(ctrl, 1, d, 1000);
      }
      return Number(process.hrtime.bigint() - t0) * 1e-9;
    };
    let dt = round(1);
    let iters = Math.max(1, Math.ceil(opts.min_sample_s / dt));
    dt = round(iters) / iters;
    iters = Math.max(1, Math.ceil(opts.min_sample_s / dt));
    for (let w = 0; w < opts.warmup; w++) round(iters);
    const samples: number[] = [];
    for (let r = 0; r < opts.reps; r++) samples.push(round(iters) / iters);
    Atomics.store(ctrl, 3, 1);
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    const fin = await Promise.all(done);
    const guard = fin.reduce((s, f) => s + f.guard, 0);
    return {
      ...summarize(samples, iters, guard),
      threads,
      flops: info.flops,
      bytes: info.bytes,
      ws_bytes: info.ws_bytes,
      checks_ok: fin.every((f) => f.check.ok),
      checksum: fin.reduce((s, f) => s + f.checksum, 0),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
