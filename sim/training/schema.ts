import { z } from 'zod';
import { deviceId, modelId } from '../hardware/refs.ts';
import { quantity } from '../common/units.ts';
import { policyName } from '../common/registry.ts';

/** PEFT choice: which parameters the job trains. */
export const peftSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('full') }).describe('full fine-tuning: every parameter'),
  z
    .strictObject({
      kind: z.literal('lora'),
      rank: z.number().int().min(1).default(8),
      targets: z.array(z.enum(['q', 'k', 'v', 'o', 'gate', 'up', 'down'])).min(1).default(['q', 'v']),
    })
    .describe('LoRA: rank-r adapters B A on the target matrices of every block'),
  z.strictObject({ kind: z.literal('adapters'), bottleneck: z.number().int().min(1).default(64) }).describe('Houlsby bottleneck adapters, two per block'),
  z.strictObject({ kind: z.literal('prompt'), tokens: z.number().int().min(1).default(20) }).describe('prompt tuning: trainable soft-prompt embeddings'),
  z.strictObject({ kind: z.literal('frozen'), bottom: z.number().int().min(0) }).describe('bottom k blocks (and the embedding) frozen, the rest trained'),
]);

export const datasetSchema = z.strictObject({
  samples_per_client: z.number().int().min(1).default(100).describe('mean training sequences per client'),
  skew: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('equal') }),
      z.strictObject({ kind: z.literal('zipf'), exponent: z.number().min(0).default(1) }).describe('sizes proportional to 1/rank^exponent, ranks shuffled'),
      z.strictObject({ kind: z.literal('dirichlet'), alpha: z.number().gt(0).default(0.5) }).describe('size shares drawn from a symmetric Dirichlet(alpha)'),
    ])
    .prefault({ kind: 'equal' })
    .describe('how dataset sizes differ between clients (same total)'),
  non_iid: z.number().min(0).default(0).describe('label/content heterogeneity Gamma of the progress model (0 = IID); see sim/training/progress.ts'),
});

export const jobSchema = z.strictObject({
  model: modelId().prefault('llama-3.2-1b').describe('model id from the catalog (`mei-sim list models`)'),
  peft: peftSchema.prefault({ kind: 'lora' }),
  optimizer: z.enum(['adam', 'sgd', 'sgd-momentum', 'mezo']).default('adam').describe('mezo: zeroth-order, two forward passes per step, no backward'),
  batch: z.number().int().min(1).default(4).describe('sequences per optimizer step'),
  seq: z.number().int().min(1).default(512).describe('tokens per sequence'),
  local_steps: z.number().int().min(1).optional().describe('optimizer steps per client per round (default: local_epochs)'),
  local_epochs: z.number().gt(0).default(1).describe('passes over the client dataset per round when local_steps is not given'),
  weight_bits: z.number().int().min(2).max(32).default(16).describe('bits of the (frozen) base weights: 16, or 8/4 for a quantized base (QLoRA)'),
  train_bits: z.union([z.literal(16), z.literal(32)]).default(16).describe('bits of trainable weights, their gradients and the transmitted updates'),
  act_bytes: z.number().min(1).max(4).default(2).describe('bytes per activation element (2 = fp16, 4 = fp32)'),
  checkpointing: z.boolean().default(false).describe('activation checkpointing (recompute each block in backward)'),
  dataset: datasetSchema.prefault({}),
});

export const clientsSchema = z.strictObject({
  users: z
    .union([z.literal('all'), z.number().int().min(1), z.array(z.number().int().min(0)).min(1)])
    .default('all')
    .describe('participating users of the topology: all, the first n, or a list of user indices'),
  device: z
    .union([deviceId(), z.array(deviceId()).min(1)])
    .optional()
    .describe('hardware profile id of client devices (default topology.users.device), or one per client, cycled'),
  unit: z.enum(['gpu', 'npu', 'cpu', 'dsp']).default('gpu').describe('unit that trains on the device (falls back to gpu, npu, cpu, dsp when absent)'),
  memory_fraction: z.number().gt(0).max(1).default(1).describe('share of device memory the training may use'),
});

export const splitSchema = z.strictObject({
  cut: z
    .discriminatedUnion('mode', [
      z.strictObject({ mode: z.literal('fixed'), layer: z.number().int().min(1).describe('blocks [0, layer) run on the device') }),
      z.strictObject({ mode: z.literal('min-latency') }).describe('per device: the cut with the least estimated batch time that fits its memory'),
    ])
    .prefault({ mode: 'fixed', layer: 2 })
    .describe('cut layer (registry cutSelection)'),
  tail_layers: z.number().int().min(1).default(1).describe('ushape: blocks (with the LM head) kept on the device at the top'),
  compression: z.enum(['fp32', 'fp16', 'int8', 'int4']).optional().describe('format of smashed data and its gradients on the air (default: the activation format)'),
  prune_ratio: z.number().min(0).max(0.99).default(0).describe('share of token representations dropped at the cut before upload (importance-aware pruning); the server part (and a ushape tail) computes on the kept tokens only'),
  labels_bytes_per_token: z.number().min(0).default(4).describe('bytes per label token uploaded with the smashed data (int32 token id); ushape uploads none'),
});

export const progressSchema = z
  .strictObject({
    curve: z
      .discriminatedUnion('model', [
        z.strictObject({ model: z.literal('steps'), steps_to_target: z.number().gt(0).default(1000) }).describe('the target needs this many sequential (centralized) SGD steps'),
        z
          .strictObject({
            model: z.literal('inverse'),
            initial_loss: z.number(),
            final_loss: z.number(),
            half_steps: z.number().gt(0).describe('steps to close half the gap between initial and final loss'),
            target_loss: z.number(),
          })
          .describe('loss(t) = final + (initial - final) h / (h + t), the O(1/t) rate of SGD/FedAvg'),
        z
          .strictObject({ model: z.literal('csv'), file: z.string().describe('CSV with columns step,loss (relative to the working directory)'), target_loss: z.number() })
          .describe('measured loss versus sequential steps; target reached at the first crossing'),
      ])
      .prefault({ model: 'steps' })
      .describe('learning curve (registry learningCurve)'),
    participation_exponent: z.number().min(0).max(1).default(0.5).describe('alpha: a federated round with K clients is worth K^alpha x E steps'),
    drift: z.number().min(0).default(1).describe('lambda: client-drift penalty 1 / (1 + lambda Gamma (E - 1))'),
  })
  .describe('how many rounds reach the target (sim/training/progress.ts)');

export const trainingSchema = z.strictObject({
  // by kind: sim/training/schemes.ts, which registers them, imports this file's types
  scheme: policyName('trainingScheme', 'fl').describe('training scheme (registry trainingScheme, see `mei-sim list policies`): centralized, fl, hfl, sl, sfl, psl, ushape'),
  job: jobSchema.prefault({}),
  clients: clientsSchema.prefault({}),
  server: z
    .strictObject({
      site: z.number().int().min(0).default(0).describe('edge server that trains (centralized) or aggregates (fl with aggregator edge)'),
    })
    .prefault({}),
  aggregator: z.enum(['edge', 'cloud']).default('edge').describe('fl: where FedAvg runs (cloud: every update crosses the backhaul)'),
  sampling_fraction: z.number().gt(0).max(1).default(1).describe('fl/hfl: share of feasible clients sampled per round'),
  deadline: quantity('time', { gt: 0 }).optional().describe('fl/hfl: round deadline'),
  stragglers: z.enum(['wait', 'drop']).default('wait').describe('fl/hfl: clients still busy at the deadline are waited for or dropped'),
  tau1: z.number().int().min(1).default(1).describe('hfl: local rounds (of local_steps) per edge aggregation'),
  tau2: z.number().int().min(1).default(2).describe('hfl: edge aggregations per cloud aggregation'),
  raw_bytes_per_token: z.number().gt(0).default(4).describe('centralized: bytes of raw text per token uploaded (~4 characters per English token)'),
  split: splitSchema.prefault({}),
  progress: progressSchema.prefault({}),
  max_rounds: z.number().int().min(1).default(1000).describe('stop after this many rounds (also stops at the target)'),
  stop_at_target: z.boolean().default(true),
});

export type TrainingSpec = z.output<typeof trainingSchema>;
export type JobSpec = z.output<typeof jobSchema>;
export type ProgressSpec = z.output<typeof progressSchema>;
export type SplitSpec = z.output<typeof splitSchema>;
