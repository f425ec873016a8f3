/**
 * Edge compute sites, shared by inference and training (world service key
 * "edge-sites", an EdgeSites instance). Whichever domain builds first creates
 * it through `edgeSites(world)` in sim/edge/site.ts; the implementation lives
 * there too.
 *
 * Each edge server has one accelerator and a memory ledger. The accelerator is
 * a processor-sharing resource of capacity 1 (seconds of work per second):
 * every running job (a training step, an inference batch iteration) gets an
 * equal share, so training and inference slow each other down.
 */
import type { TransferOwner } from './owner.ts';

export interface ComputeJob {
  /** Seconds the job would take alone on the accelerator (from the roofline). */
  work_s: number;
  /**
   * Bytes of accelerator memory it holds while it runs (activations...), taken
   * from the ledger at start and given back when it ends. 0 for work whose
   * memory the caller reserved beforehand with `reserve`.
   */
  memory_bytes: number;
}

export interface EdgeSite {
  readonly server: number;
  /** Hardware profile id and unit of its accelerator. */
  readonly device: string;
  readonly unit: string;
  /** Accelerator memory capacity and what is free now, bytes. */
  readonly capacity_bytes: number;
  free_bytes(): number;
  /** Take `bytes` of memory for long-lived state (weights, optimizer state). False (nothing taken) when it does not fit. */
  reserve(bytes: number): boolean;
  /** Give back memory taken with `reserve`. */
  release(bytes: number): void;
  /**
   * Run a job. It shares the accelerator equally with every other running job
   * and calls owner.onTransferDone(tag) when done. Returns a job id (for
   * `cancel`), or -1 without starting when its memory_bytes do not fit now
   * (the caller decides whether to retry later).
   */
  start(job: ComputeJob, owner: TransferOwner, tag: number): number;
  /** `start` that reports only whether the job started. */
  submit(job: ComputeJob, owner: TransferOwner, tag: number): boolean;
  /** Stop a running job without calling its owner; frees its memory. False when not running. */
  cancel(id: number): boolean;
  /** Seconds of work a running job still needs (alone on the accelerator); -1 when not running. */
  remaining(id: number): number;
  /** Jobs running now. */
  readonly running: number;
  /** Fraction of time the accelerator was busy (at least one job) since the start. */
  utilization(): number;
  /** Seconds of work completed so far (all jobs). */
  work_done_s(): number;
}

export interface EdgeSites {
  site(server: number): EdgeSite;
  readonly count: number;
  /** Mean utilization over the sites. */
  utilization(): number;
}
