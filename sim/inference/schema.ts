import { z } from 'zod';
import { deviceId, modelId, runtimeId } from '../hardware/refs.ts';
import { policyName, type Registry } from '../common/registry.ts';
import { distributionSchema } from '../common/distributions.ts';
import { quantity } from '../common/units.ts';
import { adaptiveRules, cutSelections, inferenceModes } from './registry.ts';

const UNITS = ['gpu', 'npu', 'cpu', 'dsp'] as const;

const modelEntry = z.strictObject({
  name: z.string().optional().describe('name of this served model in results (default: the model id, or "<base>+lora")'),
  model: modelId().describe('model id from the catalog (the base model for a LoRA variant)'),
  share: z.number().min(0).default(1).describe('relative share of requests asking for this model'),
  lora_rank: z.number().int().min(1).optional().describe('a LoRA variant of `model` (rank r on W_q and W_v): shares the base weights on the edge server and in its batches'),
});

const deviceEntry = z.strictObject({
  device: deviceId().describe('hardware profile id of this group of phones'),
  share: z.number().min(0).default(1).describe('relative share of users with this device'),
  unit: z.enum(UNITS).optional().describe('unit that runs the model on the device (default: inference.device.unit)'),
  runtime: runtimeId().optional().describe('runtime profile id (default: inference.device.runtime)'),
});

export const inferenceSchema = z.strictObject({
  mode: policyName(inferenceModes as Registry<unknown>, 'edge').describe('where each request runs: on-device, edge, split, speculative, adaptive'),
  model: modelId().prefault('llama-3.2-3b').describe('model id from the catalog (`mei-sim list models`), unless `models` is given'),
  weight_bits: z.number().int().min(2).max(32).default(16).describe('weight format on the edge server (16 = fp16)'),
  models: z.array(modelEntry).min(1).optional().describe('several co-resident models on each edge server, requests split by share (replaces `model`)'),
  requests: z
    .strictObject({
      arrivals: z.enum(['poisson', 'closed']).default('poisson').describe('poisson: each user sends at rate_per_user; closed: a user sends its next request a think time after the previous one ends'),
      rate_per_user: quantity('rate', { gt: 0 }).prefault('1 /min').describe('Poisson request rate of each user'),
      think_time: quantity('time', { min: 0 }).prefault('10 s').describe('closed arrivals: mean (exponential) time between a reply and the next request'),
      prompt_tokens: distributionSchema.default({ dist: 'lognormal', mean: 256, cv: 0.6, min: 8, max: 4096 }),
      output_tokens: distributionSchema.default({ dist: 'lognormal', mean: 128, cv: 0.6, min: 4, max: 2048 }),
      slo_ttft: quantity('time', { gt: 0 }).prefault('2 s').describe('time-to-first-token objective (a scenario choice)'),
      slo_tpot: quantity('time', { gt: 0 }).prefault('200 ms').describe('time-per-output-token objective (a scenario choice)'),
      private_share: z.number().min(0).max(1).default(0).describe('fraction of requests whose raw prompt may not leave the device (only on-device and split may serve them)'),
      text_bytes_per_token: quantity('bytes', { gt: 0 })
        .prefault('4 B')
        .describe('bytes of text per token on the air (prompt upload, streamed reply); about 4 characters of English per token (OpenAI tokenizer guide, help.openai.com)'),
    })
    .prefault({}),
  server: z
    .strictObject({
      slots: z.number().int().min(1).default(256).describe('most sequences in a batch (vLLM max_num_seqs, default 256: docs.vllm.ai/en/v0.5.3/models/engine_args.html)'),
      unit: z.enum(UNITS).optional().describe('unit of the server device that runs the model; it must exist on topology.servers.device (default: its gpu, else npu, cpu, dsp)'),
      runtime: runtimeId().optional().describe('runtime profile id (default: the profile efficiencies)'),
      memory_fraction: z.number().gt(0).max(1).default(0.9).describe('share of accelerator memory for weights + KV cache (vLLM gpu_memory_utilization default 0.9)'),
      kv_page_tokens: z.number().int().min(1).default(16).describe('tokens per KV-cache page (vLLM block_size default 16)'),
      max_batch_tokens: z.number().int().min(1).default(8192).describe('most prompt tokens prefilled in one iteration without chunked prefill (vLLM max_num_batched_tokens; vLLM v0 uses max(max_model_len, 2048), 8192 is the Llama-3 context); longer prompts are rejected'),
      chunked_prefill: z.boolean().default(false).describe('mix prefill chunks into decode iterations (Sarathi-Serve / vLLM chunked prefill)'),
      aggregate_decode: z.boolean().default(true).describe('simulate the decode iterations between batch changes as one event (exact, faster); false: one event per iteration'),
      prefill_chunk: z.number().int().min(1).default(512).describe('chunked prefill: token budget per iteration, decodes included (vLLM v0.5 default with chunked prefill: 512)'),
    })
    .prefault({}),
  devices: z.array(deviceEntry).min(1).optional().describe('mix of user devices by share (default: every user has topology.users.device)'),
  device: z
    .strictObject({
      weight_bits: z.number().int().min(2).max(16).default(4).describe('weight format on phones (4-bit, as llama.cpp Q4_0 / MLC q4f16 deployments)'),
      unit: z.enum(UNITS).default('gpu').describe('unit that runs the model on the device (falls back to npu, cpu when absent)'),
      runtime: runtimeId().optional().describe('runtime profile id on the device'),
      threads: z.number().int().min(1).optional().describe('CPU threads (cpu unit)'),
      memory_fraction: z.number().gt(0).max(1).default(1).describe('share of device DRAM an app may use for weights + KV cache'),
      weights: z.enum(['preloaded', 'download']).default('preloaded').describe('preloaded: weights already on the phone; download: the first on-device request of a user downloads them from its cell (over the backhaul first when the caching domain says its edge server lacks them)'),
      battery_capacity: quantity('charge', { gt: 0 }).prefault('3000 mAh').describe('battery (design brief section 7: 3000 mAh x 3.7 V)'),
      battery_voltage: quantity('voltage', { gt: 0 }).prefault('3.7 V'),
      thermal: z
        .strictObject({
          budget: quantity('energy', { gt: 0 }).describe('heat (J above sustained power) a phone absorbs before it throttles'),
          throttle: z.number().gt(0).max(1).describe('clock factor once throttled (compute times divide by it)'),
        })
        .optional()
        .describe('optional sustained-power throttling; off when absent'),
    })
    .prefault({}),
  split: z
    .strictObject({
      cut_selection: policyName(cutSelections as Registry<unknown>, 'fixed').describe('fixed, min-latency or min-energy'),
      cut: z.number().int().min(0).optional().describe('fixed cut k: device runs blocks [0, k) (default: half the blocks)'),
      compression: z.enum(['fp16', 'int8', 'int4']).default('fp16').describe('format of activations on the air (int8/int4 add one fp16 scale per token)'),
      u_shaped: z.boolean().default(false).describe('U-shaped: the last `tail_layers` blocks and the LM head also run on the device'),
      tail_layers: z.number().int().min(0).default(1).describe('U-shaped: blocks kept at the tail on the device'),
    })
    .prefault({}),
  speculative: z
    .strictObject({
      draft_model: modelId().prefault('llama-3.2-1b').describe('draft model on the device (same tokenizer as the target)'),
      gamma: z.number().int().min(1).default(4).describe('draft tokens per round'),
      alpha: z.number().min(0).max(1).default(0.7).describe('acceptance rate of each draft token (a scenario choice)'),
    })
    .prefault({}),
  adaptive: z
    .strictObject({
      rule: policyName(adaptiveRules as Registry<unknown>, 'min-latency'),
      modes: z.array(z.enum(['on-device', 'edge', 'split', 'speculative'])).min(1).default(['on-device', 'edge', 'split', 'speculative']),
      battery_reserve: z.number().min(0).max(1).default(0.2).describe('battery-aware rule: below this charge, pick the lowest device energy'),
    })
    .prefault({}),
});

export type InferenceSpec = z.output<typeof inferenceSchema>;
