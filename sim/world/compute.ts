/**
 * Edge compute sites, shared by inference and training (world service key
 * "edge-sites", an EdgeSites instance, provided by the inference domain or,
 * when a scenario has no inference, by the training domain).
 *
 * Each edge server has one accelerator timed by the roofline and a memory
 * ledger. Inference runs continuous-batching iterations on it; training jobs
 * submit work that is time-shared with those iterations, so each slows the
 * other. Implemented in sim/inference/edge-server.ts.
 */
import type { TransferOwner } from '../network/api.ts';

export interface ComputeJob {
  /** Seconds the job would take alone on the accelerator (from the roofline). */
  work_s: number;
  /** Bytes of accelerator memory it holds while it runs (activations, optimizer state...). */
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
  /**
   * Run a background job (training). It shares the accelerator with inference
   * iterations (time-sliced), and calls owner.onTransferDone(tag) when done.
   * Returns false if its memory does not fit now.
   */
  submit(job: ComputeJob, owner: TransferOwner, tag: number): boolean;
  /** Fraction of time the accelerator was busy so far (any work). */
  utilization(): number;
}

export interface EdgeSites {
  site(server: number): EdgeSite;
  readonly count: number;
}
