/**
 * Time, energy and memory of one training step of a model part on a device
 * unit: workload operators (sim/workload/training.ts) timed by the roofline
 * (sim/hardware/roofline.ts). Pure functions with a cache keyed by
 * (model, PEFT, shape, range, device, unit).
 */
import { unitCtx } from '../hardware/predict.ts';
import type { UnitName } from '../hardware/profile-schema.ts';
import { phaseCost } from '../hardware/roofline.ts';
import { smashedDataBytes, trainableParams, trainingCost, trainingOps, type Peft, type TrainingSpec as StepSpec } from '../workload/training.ts';
import type { ModelArch, Precision } from '../workload/types.ts';
import type { JobSpec } from './schema.ts';

export interface PartCost {
  /** Forward pass(es) of one step on the unit, s and J (two passes for MeZO). */
  fwd_s: number;
  fwd_j: number;
  /** Backward (activation + trainable-weight gradients) plus the optimizer update, s and J. */
  bwd_s: number;
  bwd_j: number;
  /** Peak memory of the part: weights + activations + gradients + optimizer state, bytes. */
  peak_bytes: number;
  /** Long-lived memory: weights + gradients + optimizer state, bytes. */
  state_bytes: number;
  /** Weights alone (frozen base + trainable), bytes. */
  weights_bytes: number;
  trainable_params: number;
}

/** Blocks [from, to) of the model; the embedding belongs to from = 0, the LM head to to = layers. */
export interface Part {
  from: number;
  to: number;
}

export function precisionOf(job: JobSpec): Precision {
  const w = job.weight_bits;
  return { weight_bits: w, group_size: w >= 16 ? 0 : 32, kv_bytes: job.act_bytes, act_bytes: job.act_bytes };
}

export function stepSpec(job: JobSpec, part?: Part): StepSpec {
  return {
    peft: job.peft as Peft,
    optimizer: job.optimizer,
    batch: job.batch,
    seq: job.seq,
    precision: precisionOf(job),
    train_bits: job.train_bits,
    checkpointing: job.checkpointing,
    range: part,
  };
}

const cache = new Map<string, PartCost>();

/** Cost of one optimizer step of `part` (default: the whole model) of the job on (device, unit). */
export function partCost(a: ModelArch, job: JobSpec, device: string, unit: string, part?: Part): PartCost {
  const key = `${a.id}|${JSON.stringify(job.peft)}|${job.optimizer}|${job.batch}|${job.seq}|${job.weight_bits}|${job.train_bits}|${job.act_bytes}|${job.checkpointing}|${part?.from}-${part?.to}|${device}|${unit}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const spec = stepSpec(job, part);
  const ops = trainingOps(a, spec);
  const ctx = unitCtx(device, unit as UnitName, undefined, job.weight_bits);
  const f = phaseCost(ops.forward, ctx);
  const b = phaseCost(ops.backward, ctx);
  const o = phaseCost(ops.optimizer, ctx);
  const c = trainingCost(a, spec);
  const cost: PartCost = {
    fwd_s: f.time_s * ops.forward_passes,
    fwd_j: f.energy_j * ops.forward_passes,
    bwd_s: b.time_s + o.time_s,
    bwd_j: b.energy_j + o.energy_j,
    peak_bytes: c.peak_memory_bytes,
    state_bytes: c.weights_bytes + c.gradients_bytes + c.optimizer_state_bytes,
    weights_bytes: c.weights_bytes,
    trainable_params: c.trainable_params,
  };
  if (cache.size > 10000) cache.clear();
  cache.set(key, cost);
  return cost;
}

/** Bytes of the trainable parameters of a part as transmitted (train_bits each). */
export function updateBytes(a: ModelArch, job: JobSpec, part?: Part): number {
  return (trainableParams(a, job.peft as Peft, part) * job.train_bits) / 8;
}

const FORMAT_BYTES = { fp32: 4, fp16: 2, int8: 1, int4: 0.5 } as const;

/** Text tokens per sequence left at the cut after token pruning (at least 1; soft-prompt positions not included). */
export function keptTokens(job: JobSpec, prune_ratio: number): number {
  return Math.max(1, Math.round(job.seq * (1 - prune_ratio)));
}

/**
 * The job as the parts above a pruned cut see it: sequences of the kept tokens
 * only (token pruning drops the other token representations from the smashed
 * data, so the server part, and in U-shaped learning the device tail, never
 * process them). The same job when nothing is pruned.
 */
export function prunedJob(job: JobSpec, prune_ratio: number): JobSpec {
  const seq = keptTokens(job, prune_ratio);
  return seq === job.seq ? job : { ...job, seq };
}

/** Labels uploaded with one batch: one per kept text token (soft-prompt positions have none). */
export function labelsBytesPerBatch(job: JobSpec, prune_ratio: number, bytes_per_token: number): number {
  return job.batch * keptTokens(job, prune_ratio) * bytes_per_token;
}

/** Soft-prompt positions prepended to every sequence by prompt tuning (0 for other PEFT kinds). */
export function promptTokens(job: JobSpec): number {
  return job.peft.kind === 'prompt' ? job.peft.tokens : 0;
}

/**
 * Smashed data of one batch at a cut, as sent: batch x positions x hidden x
 * bytes of the format (int8/int4 group scales are not counted). The positions
 * are the kept tokens plus, under prompt tuning, the soft-prompt positions: the
 * device part prepends them, and the server part computes on them too (token
 * pruning drops only text tokens, as prunedJob does).
 */
export function smashedBytesPerBatch(a: ModelArch, job: JobSpec, format: keyof typeof FORMAT_BYTES | undefined, prune_ratio: number): number {
  const bytes = format === undefined ? job.act_bytes : FORMAT_BYTES[format];
  return smashedDataBytes(a, job.batch, keptTokens(job, prune_ratio) + promptTokens(job), bytes);
}
