import { describe, expect, it } from 'vitest';
import { getModel } from '../../sim/workload/catalog.ts';
import { memoryFootprint, opsTotals, paramCount, prefillOps } from '../../sim/workload/accounting.ts';
import {
  optimizerStateBytesPerParam,
  smashedDataBytes,
  trainableParams,
  trainingCost,
  trainingStepOps,
  type TrainingSpec,
} from '../../sim/workload/training.ts';
import type { Precision } from '../../sim/workload/types.ts';

const FP16: Precision = { weight_bits: 16, group_size: 0, kv_bytes: 2, act_bytes: 2 };
const Q4: Precision = { weight_bits: 4, group_size: 32, kv_bytes: 2, act_bytes: 2 };
const llama7 = getModel('llama-2-7b');
const job = (over: Partial<TrainingSpec>): TrainingSpec => ({ peft: { kind: 'full' }, optimizer: 'adam', batch: 4, seq: 512, precision: FP16, ...over });

describe('trainable parameters', () => {
  it('LoRA rank 8 on W_q and W_v of Llama-2-7B is 4,194,304', () => {
    expect(trainableParams(llama7, { kind: 'lora', rank: 8, targets: ['q', 'v'] })).toBe(4_194_304);
  });

  it('LoRA follows r(d + k) per adapted matrix', () => {
    const r = 16;
    const perLayer = r * (4 * (4096 + 4096) + 2 * (4096 + 11008) + (11008 + 4096));
    expect(trainableParams(llama7, { kind: 'lora', rank: r, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] })).toBe(32 * perLayer);
    // GQA: k and v of Llama-3-8B are 4096 x 1024
    expect(trainableParams(getModel('llama-3-8b'), { kind: 'lora', rank: 8, targets: ['k'] })).toBe(32 * 8 * (4096 + 1024));
  });

  it('adapters, prompt tuning and frozen layers', () => {
    expect(trainableParams(llama7, { kind: 'adapters', bottleneck: 64 })).toBe(32 * 2 * (2 * 4096 * 64 + 64 + 4096));
    expect(trainableParams(llama7, { kind: 'prompt', tokens: 20 })).toBe(20 * 4096);
    expect(trainableParams(llama7, { kind: 'prompt', tokens: 20 }, { from: 4 })).toBe(0);
    const top4 = trainableParams(llama7, { kind: 'frozen', bottom: 28 });
    expect(top4).toBe(paramCount(llama7, { from: 28 }));
    expect(trainableParams(llama7, { kind: 'full' })).toBe(paramCount(llama7));
  });

  it('frozen keeps the embedding frozen also with bottom 0; full trains it', () => {
    // Llama-2-7B: 6,738,415,616 parameters, embedding 32000 x 4096 = 131,072,000, one block 202,383,360
    const frozen = (bottom: number, range?: { from: number; to: number }) => trainableParams(llama7, { kind: 'frozen', bottom }, range);
    expect(trainableParams(llama7, { kind: 'full' })).toBe(6_738_415_616);
    expect(frozen(0)).toBe(6_738_415_616 - 131_072_000);
    expect(frozen(0) - frozen(1)).toBe(202_383_360);
    expect(frozen(1) - frozen(2)).toBe(202_383_360);
    // the device head [0, 2) of a split: two blocks, no embedding
    expect(frozen(0, { from: 0, to: 2 })).toBe(404_766_720);
    expect(frozen(2, { from: 0, to: 2 })).toBe(0);
    expect(trainingCost(llama7, job({ peft: { kind: 'frozen', bottom: 0 } })).trainable_params).toBe(6_607_343_616);
    // tied embeddings (Llama-3.2-1B): the shared matrix is trained as the LM head, as with bottom > 0
    const l1 = getModel('llama-3.2-1b');
    const perBlock = paramCount(l1, { from: 0, to: 1 }) - paramCount(l1, { from: 0, to: 0 });
    expect(trainableParams(l1, { kind: 'frozen', bottom: 0 }) - trainableParams(l1, { kind: 'frozen', bottom: 1 })).toBe(perBlock);
  });
});

describe('optimizer state and gradients', () => {
  it('Adam keeps 12 bytes per trainable parameter in mixed precision', () => {
    const c = trainingCost(llama7, job({ peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] } }));
    expect(c.optimizer_state_bytes).toBe(12 * 4_194_304);
    expect(c.gradients_bytes).toBe(2 * 4_194_304);
    expect(optimizerStateBytesPerParam('adam')).toBe(12);
    expect(optimizerStateBytesPerParam('adam', 32)).toBe(8);
    expect(optimizerStateBytesPerParam('sgd')).toBe(4);
    expect(optimizerStateBytesPerParam('sgd', 32)).toBe(0);
    expect(optimizerStateBytesPerParam('sgd-momentum')).toBe(8);
    expect(optimizerStateBytesPerParam('mezo')).toBe(0);
  });

  it('full fine-tuning with Adam needs 16 B/param before activations', () => {
    const c = trainingCost(llama7, job({}));
    expect(c.weights_bytes + c.gradients_bytes + c.optimizer_state_bytes).toBe(16 * paramCount(llama7));
  });
});

describe('FLOPs', () => {
  it('full fine-tuning costs ~3x forward, LoRA ~2x forward', () => {
    const full = trainingCost(llama7, job({}));
    expect(full.backward_act_flops / full.forward_flops).toBeCloseTo(1, 1);
    expect(full.backward_weight_flops / full.forward_flops).toBeGreaterThan(0.95);
    expect(full.total_flops / full.forward_flops).toBeGreaterThan(2.95);
    expect(full.total_flops / full.forward_flops).toBeLessThan(3.05);
    const lora = trainingCost(llama7, job({ peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] } }));
    expect(lora.backward_weight_flops / lora.forward_flops).toBeLessThan(0.01);
    expect(lora.total_flops / lora.forward_flops).toBeGreaterThan(1.95);
    expect(lora.total_flops / lora.forward_flops).toBeLessThan(2.05);
    // forward of training = prefill with logits for every token
    const fwd = opsTotals(prefillOps(llama7, 512, { ...FP16 }, { batch: 4, all_logits: true })).flops;
    expect(full.forward_flops / fwd).toBeCloseTo(1, 6);
  });

  it('backward stops at the lowest trainable block', () => {
    const c = trainingCost(llama7, job({ peft: { kind: 'frozen', bottom: 24 } }));
    expect(c.backward_from_layer).toBe(24);
    const full = trainingCost(llama7, job({}));
    expect(c.backward_act_flops).toBeLessThan(0.35 * full.backward_act_flops);
    expect(c.activation_bytes).toBeLessThan(0.4 * full.activation_bytes);
  });

  it('MeZO runs two forward passes, no backward, and needs about inference memory', () => {
    const c = trainingCost(llama7, job({ optimizer: 'mezo', batch: 1, seq: 512 }));
    expect(c.forward_passes).toBe(2);
    expect(c.backward_act_flops + c.backward_weight_flops).toBe(0);
    expect(c.gradients_bytes + c.optimizer_state_bytes).toBe(0);
    const inf = memoryFootprint(llama7, FP16, { context: 512 });
    expect(c.peak_memory_bytes / (inf.weights_bytes + inf.activations_bytes)).toBeLessThan(1.1);
    expect(c.peak_memory_bytes / (inf.weights_bytes + inf.activations_bytes)).toBeGreaterThan(0.95);
    const ops = trainingStepOps(llama7, job({ optimizer: 'mezo', batch: 1 }));
    expect(ops.filter((o) => o.name === 'lm_head')).toHaveLength(2);
  });

  it('checkpointing trades activation memory for one recomputed forward', () => {
    const plain = trainingCost(llama7, job({}));
    const ck = trainingCost(llama7, job({ checkpointing: true }));
    expect(ck.activation_bytes).toBeLessThan(0.2 * plain.activation_bytes);
    expect(ck.recompute_flops / plain.forward_flops).toBeGreaterThan(0.9);
    expect(ck.recompute_flops / plain.forward_flops).toBeLessThan(1);
  });
});

describe('split learning', () => {
  it('device [0,k) and server [k,L) parts add up', () => {
    const k = 4;
    const dev = trainingCost(llama7, job({ range: { to: k } }));
    const srv = trainingCost(llama7, job({ range: { from: k } }));
    const whole = trainingCost(llama7, job({}));
    expect(dev.trainable_params + srv.trainable_params).toBe(whole.trainable_params);
    expect(srv.backward_from_layer).toBe(k); // the server returns the gradient of the smashed data
    expect(dev.forward_flops + srv.forward_flops).toBeCloseTo(whole.forward_flops, -3);
  });

  it('smashed data of GPT-3 Medium, 100 samples x 1024 tokens at fp32, is 400 MiB', () => {
    expect(smashedDataBytes(getModel('gpt-3-medium'), 100, 1024, 4)).toBe(400 * 1024 * 1024);
  });
});

describe('feasibility', () => {
  it('full fine-tuning of a 7B model does not fit a 12 GB phone; 4-bit LoRA with checkpointing does', () => {
    expect(trainingCost(llama7, job({ batch: 1, seq: 256 })).peak_memory_bytes).toBeGreaterThan(12e9);
    const qlora = trainingCost(llama7, job({ precision: Q4, batch: 1, seq: 256, checkpointing: true, peft: { kind: 'lora', rank: 8, targets: ['q', 'v'] } }));
    expect(qlora.peak_memory_bytes).toBeLessThan(12e9);
  });

  it('refuses full fine-tuning of a quantized base', () => {
    expect(() => trainingCost(llama7, job({ precision: Q4 }))).toThrow(/16- or 32-bit/);
  });
});
