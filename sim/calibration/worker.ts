/**
 * Worker side of the multi-threaded runs: builds its own kernel instance (private buffers, so
 * threads contend only for caches and DRAM), then runs `iters` calls each time the main thread
 * bumps the generation counter, and counts itself done.
 * ctrl (Int32Array on a SharedArrayBuffer): [0] generation, [1] done count, [2] iters, [3] stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { kernelByName, type Impl } from './kernels/suite.ts';

interface Job {
  kernel: string;
  impl: Impl;
  size: number;
  ctrl: SharedArrayBuffer;
}

const job = workerData as Job;
const ctrl = new Int32Array(job.ctrl);
const inst = await kernelByName(job.kernel).make(job.impl, job.size);
let guard = 0;
let gen = 0;
parentPort!.postMessage({ type: 'ready', flops: inst.flops, bytes: inst.bytes, ws_bytes: inst.ws_bytes });
for (;;) {
  Atomics.wait(ctrl, 0, gen);
  gen = Atomics.load(ctrl, 0);
  if (Atomics.load(ctrl, 3) === 1) break;
  guard += inst.run(Atomics.load(ctrl, 2));
  Atomics.add(ctrl, 1, 1);
  Atomics.notify(ctrl, 1);
}
parentPort!.postMessage({ type: 'done', guard, check: inst.check(false), checksum: inst.checksum() });
