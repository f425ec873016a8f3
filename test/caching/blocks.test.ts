import { describe, expect, it } from 'vitest';
import { BlockCatalog, blockBytes, buildCatalog, familySpecs, FP16, loraParams } from '../../sim/caching/blocks.ts';
import { catalogFromSpec, catalogSchema } from '../../sim/caching/schema.ts';
import { getModel, weightBytes } from '../../sim/workload/index.ts';

const LLAMA_1B = getModel('llama-3.2-1b');

describe('block catalog', () => {
  it('derives each block`s models, sizes, unions and sharing', () => {
    const c = new BlockCatalog(
      [
        { id: 'a', size_bytes: 10 },
        { id: 'b', size_bytes: 1 },
        { id: 'c', size_bytes: 2 },
        { id: 'unused', size_bytes: 99 },
      ],
      [
        { id: 'm1', blocks: ['a', 'b'] },
        { id: 'm2', blocks: ['c', 'a'] },
      ],
    );
    expect(Array.from(c.blocks[c.blockIndex('a')]!.models)).toEqual([0, 1]);
    expect(c.models[1]!.size_bytes).toBe(12);
    expect(c.isShared(c.blockIndex('a'))).toBe(true);
    expect(c.isShared(c.blockIndex('b'))).toBe(false);
    expect(c.sharedBytes(0)).toBe(10);
    expect(c.unionSize([0, 1])).toBe(13);
    expect(c.unionBlocks([1, 0])).toEqual([0, 1, 2]);
    expect(c.librarySize()).toBe(13);
    expect(c.totalModelBytes()).toBe(23);
  });

  it('rejects inconsistent lists', () => {
    expect(() => new BlockCatalog([{ id: 'a', size_bytes: 1 }, { id: 'a', size_bytes: 2 }], [])).toThrow(/twice/);
    expect(() => new BlockCatalog([{ id: 'a', size_bytes: 1 }], [{ id: 'm', blocks: ['x'] }])).toThrow(/unknown block "x"/);
    expect(() => new BlockCatalog([{ id: 'a', size_bytes: 1 }], [{ id: 'm', blocks: ['a', 'a'] }])).toThrow(/twice/);
    expect(() => new BlockCatalog([{ id: 'a', size_bytes: -1 }], [])).toThrow(/size/);
  });

  it('sizes a Llama 3.2 1B at layer granularity: blocks add up to the workload weight bytes', () => {
    const b = blockBytes(LLAMA_1B, FP16);
    const total = b.embedding + LLAMA_1B.layers * b.layer + b.head;
    const p = { weight_bits: 16, group_size: 0, kv_bytes: 2, act_bytes: 2 };
    expect(total).toBeCloseTo(weightBytes(LLAMA_1B, p), 3);
    // 2 bytes per parameter of the published 1.23B (model card), within 3%.
    expect(Math.abs(total / (2 * 1.23e9) - 1)).toBeLessThan(0.03);
    expect(b.head).toBe(2048 * 2); // tied embeddings: the final norm only
    // LoRA r = 16 on q and v: 16 layers x 16 x ((2048 + 2048) + (2048 + 512)).
    expect(loraParams(LLAMA_1B, 16, ['q', 'v'])).toBe(16 * 16 * (4096 + 2560));
    const q4 = blockBytes(LLAMA_1B, { weight_bits: 4, group_size: 128 });
    expect(q4.layer / b.layer).toBeGreaterThan(0.25);
    expect(q4.layer / b.layer).toBeLessThan(0.27);
  });

  it('generates LoRA, top-k fine-tuned and quantized variants with exact sharing', () => {
    const c = buildCatalog([
      {
        arch: LLAMA_1B,
        format: FP16,
        lora: { count: 3, rank: 16, matrices: ['q', 'v'] },
        finetune_top: [{ count: 2, layers: 4 }],
        quantizations: [{ weight_bits: 4, group_size: 128 }],
      },
    ]);
    const base = c.models[c.modelIndex('llama-3.2-1b@fp16')]!;
    const lora = c.models[c.modelIndex('llama-3.2-1b@fp16+lora.1')]!;
    const ft = c.models[c.modelIndex('llama-3.2-1b@fp16+ft4.0')]!;
    const q4 = c.models[c.modelIndex('llama-3.2-1b@w4g128')]!;
    expect(c.modelCount).toBe(1 + 3 + 2 + 1);
    expect(base.blocks.length).toBe(18); // embed + 16 layers + head
    // LoRA: every base block plus one adapter of 2 bytes per parameter.
    expect(lora.blocks.length).toBe(19);
    expect(lora.size_bytes - base.size_bytes).toBe(2 * loraParams(LLAMA_1B, 16, ['q', 'v']));
    expect(c.sharedBytes(c.modelIndex('llama-3.2-1b@fp16+lora.1'))).toBe(base.size_bytes);
    // Top-4 fine-tuned: Llama 3.2 ties the LM head to the embedding, so the copy owns the
    // embedding (its fine-tuned head), 4 layers and the final norm; it shares the 12 bottom layers.
    const shared = [...ft.blocks].filter((b) => base.blocks.includes(b));
    expect(shared.length).toBe(12);
    expect(ft.size_bytes).toBeCloseTo(base.size_bytes, 0);
    // Quantized copy shares nothing and is about a quarter of the size.
    expect(c.sharedBytes(c.modelIndex('llama-3.2-1b@w4g128'))).toBe(0);
    expect(q4.size_bytes / base.size_bytes).toBeGreaterThan(0.25);
    expect(q4.size_bytes / base.size_bytes).toBeLessThan(0.27);
    expect(c.unionSize([c.modelIndex('llama-3.2-1b@fp16+lora.0'), c.modelIndex('llama-3.2-1b@fp16+lora.1')])).toBe(
      base.size_bytes + 2 * 2 * loraParams(LLAMA_1B, 16, ['q', 'v']),
    );
    expect(() => familySpecs({ arch: LLAMA_1B, format: FP16, finetune_top: [{ count: 1, layers: 17 }] })).toThrow(/1\.\.16/);
  });

  it('a top-k fine-tuned copy owns its LM head: with tied embeddings that is the embedding table', () => {
    // Qwen2.5 0.5B ties its LM head to the embedding (config.json tie_word_embeddings).
    const qwen = getModel('qwen2.5-0.5b');
    expect(qwen.tied_embeddings).toBe(true);
    const c = buildCatalog([{ arch: qwen, format: FP16, finetune_top: [{ count: 1, layers: 4 }] }]);
    const ft = c.modelIndex('qwen2.5-0.5b@fp16+ft4.0');
    const sz = blockBytes(qwen, FP16);
    // Shared: the 20 bottom layers only (~596.5 MB, 60%); before, the embedding was shared too (88%).
    expect(c.sharedBytes(ft)).toBeCloseTo(20 * sz.layer, 0);
    expect(c.sharedBytes(ft) / 1e6).toBeCloseTo(596.5, 0);
    expect(c.sharedBytes(ft) / c.models[ft]!.size_bytes).toBeCloseTo(0.6, 1);
    const own = [...c.models[ft]!.blocks].map((b) => c.blocks[b]!).filter((b) => b.models.length === 1);
    const ownBytes = own.reduce((s, b) => s + b.size_bytes, 0);
    // The copy's own bytes hold the tied LM head (vocab x hidden at 2 bytes), not just the final norm.
    expect(ownBytes).toBeGreaterThan(qwen.vocab * qwen.hidden * 2);
    expect(own.map((b) => b.id)).toContain('qwen2.5-0.5b@fp16+ft4.0/embed');
    expect(c.models[ft]!.size_bytes).toBeCloseTo(weightBytes(qwen, { weight_bits: 16, group_size: 0, kv_bytes: 2, act_bytes: 2 }), 0);

    // An untied architecture (TinyLlama 1.1B) keeps sharing the embedding; its head block is the LM head.
    const tiny = getModel('tinyllama-1.1b');
    expect(tiny.tied_embeddings).toBe(false);
    const t = buildCatalog([{ arch: tiny, format: FP16, finetune_top: [{ count: 1, layers: 4 }] }]);
    const tf = t.modelIndex('tinyllama-1.1b@fp16+ft4.0');
    const tz = blockBytes(tiny, FP16);
    expect(t.sharedBytes(tf)).toBeCloseTo(tz.embedding + (tiny.layers - 4) * tz.layer, 0);
    expect(tz.head).toBeGreaterThan(tiny.vocab * tiny.hidden * 2);
  });

  it('held: the blocks a user holding the base has are the base\'s shared blocks, not every shared block', () => {
    const c = new BlockCatalog(
      [
        { id: 'A', size_bytes: 100 },
        { id: 'M', size_bytes: 50 },
        { id: 'T1', size_bytes: 10 },
        { id: 'T2', size_bytes: 10 },
        { id: 'S', size_bytes: 7 },
        { id: 'N', size_bytes: 5 },
        { id: 'U1', size_bytes: 1 },
        { id: 'U2', size_bytes: 1 },
      ],
      [
        { id: 'b', blocks: ['A'] },
        { id: 'm1', blocks: ['A', 'M', 'T1'], base: 'b' },
        { id: 'm2', blocks: ['A', 'M', 'T2'], base: 'b' },
        { id: 's', blocks: ['S'] },
        // No base model in the catalog: the blocks common to the models naming it.
        { id: 'x1', blocks: ['N', 'U1'], base: 'gone' },
        { id: 'x2', blocks: ['N', 'U2'], base: 'gone' },
      ],
    );
    const held = (id: string) => [...c.models[c.modelIndex(id)]!.held].map((b) => c.blocks[b]!.id);
    // Before: every shared block (A and M) counted as held for m1: 150 bytes instead of 100.
    expect(held('m1')).toEqual(['A']);
    expect(c.models[c.modelIndex('m1')]!.held_bytes).toBe(100);
    expect(c.sharedBytes(c.modelIndex('m1'))).toBe(150);
    // The base itself: all of it (a holder needs nothing); a standalone model: nothing.
    expect(held('b')).toEqual(['A']);
    expect(held('s')).toEqual([]);
    expect(held('x1')).toEqual(['N']);

    // Generated families without the base model: the base's blocks, also for a single adapter.
    const g = buildCatalog([{ arch: LLAMA_1B, format: FP16, include_base: false, lora: { count: 1, rank: 16, matrices: ['q', 'v'] }, finetune_top: [{ count: 1, layers: 4 }] }]);
    const lora = g.models[g.modelIndex('llama-3.2-1b@fp16+lora.0')]!;
    const ft = g.models[g.modelIndex('llama-3.2-1b@fp16+ft4.0')]!;
    expect(lora.held.length).toBe(18);
    expect(lora.size_bytes - lora.held_bytes).toBe(2 * loraParams(LLAMA_1B, 16, ['q', 'v']));
    // Tied embeddings: the copy shares the 12 bottom layers with the base.
    expect(ft.held.length).toBe(12);
  });

  it('scenario schema: families by workload id plus hand-listed blocks with units', () => {
    const spec = catalogSchema.parse({
      families: [{ model: 'llama-3.2-1b', lora: { count: 2 } }],
      blocks: [
        { id: 'shared', size: '1 GB' },
        { id: 'own', size: '50 MB' },
      ],
      models: [{ id: 'custom', blocks: ['shared', 'own'] }],
    });
    const c = catalogFromSpec(spec, getModel);
    expect(c.modelCount).toBe(1 + 2 + 1);
    expect(c.models[c.modelIndex('custom')]!.size_bytes).toBe(1.05e9);
    expect(() => catalogSchema.parse({})).toThrow();
    expect(() => catalogSchema.parse({ blocks: [{ id: 'x', size: '1 parsec' }], models: [{ id: 'm', blocks: ['x'] }] })).toThrow();
  });
});
