/**
 * The block catalog: a model is a set of parameter blocks; a block has an id,
 * a size in bytes and the models that contain it. A block shared by several
 * models is stored once per server and sent once per multicast group.
 *
 * Model families are generated from an architecture (sim/workload ModelArch) at
 * layer granularity (embedding, each transformer layer, final norm + LM head),
 * so sharing between variants is exact:
 * - LoRA adapters: the base blocks plus one small adapter block;
 * - top-k fine-tuned copies: the bottom layers of the base plus k own layers and
 *   an own LM head; when the architecture ties the LM head to the embedding, the
 *   fine-tuned head is that matrix, so the copy owns its embedding too;
 * - other quantizations: a full copy at another weight format, sharing nothing.
 */
import {
  blockMatrices,
  layerWeightBytes,
  loraMatrixParams,
  weightBytes as modelWeightBytes,
  type MatrixRole,
  type ModelArch,
  type Precision,
} from '../workload/index.ts';

export type VariantKind = 'base' | 'lora' | 'finetune-top' | 'quantized' | 'custom';

export interface BlockSpec {
  id: string;
  size_bytes: number;
}

export interface ModelSpec {
  id: string;
  /** Block ids; each at most once. */
  blocks: readonly string[];
  family?: string;
  /** Id of the base model it derives from (itself for a base). */
  base?: string;
  variant?: VariantKind;
  /**
   * Ids of the blocks of its base model, needed only when the base is not itself a model of
   * the catalog (a generated family with `include_base: false`); otherwise read from the base.
   */
  base_blocks?: readonly string[];
}

export interface CatalogBlock {
  readonly id: string;
  readonly size_bytes: number;
  /** Indices of the models containing this block, ascending. */
  readonly models: Int32Array;
}

export interface CatalogModel {
  readonly id: string;
  readonly family: string;
  readonly base: string;
  readonly variant: VariantKind;
  /** Indices of its blocks, ascending. */
  readonly blocks: Int32Array;
  /** Sum of its block sizes. */
  readonly size_bytes: number;
  /**
   * Its blocks that a user holding its base already has (`delivery.holds_base`): the blocks
   * of the base that some other model contains too (the base's shared blocks), ascending.
   * Equal to `blocks` for a base whose every block is shared (a base with LoRA adapters).
   */
  readonly held: Int32Array;
  /** Sum of the sizes of `held`. */
  readonly held_bytes: number;
}

export class BlockCatalog {
  readonly blocks: readonly CatalogBlock[];
  readonly models: readonly CatalogModel[];
  private readonly blockIdx = new Map<string, number>();
  private readonly modelIdx = new Map<string, number>();

  constructor(blocks: readonly BlockSpec[], models: readonly ModelSpec[]) {
    blocks.forEach((b, i) => {
      if (this.blockIdx.has(b.id)) throw new Error(`block catalog: block "${b.id}" is listed twice`);
      if (!(b.size_bytes >= 0) || !Number.isFinite(b.size_bytes)) {
        throw new Error(`block catalog: block "${b.id}" has size ${b.size_bytes}; expected a finite size >= 0 bytes`);
      }
      this.blockIdx.set(b.id, i);
    });
    const members: number[][] = blocks.map(() => []);
    const parsed = models.map((m, i) => {
      if (this.modelIdx.has(m.id)) throw new Error(`block catalog: model "${m.id}" is listed twice`);
      this.modelIdx.set(m.id, i);
      if (m.blocks.length === 0) throw new Error(`block catalog: model "${m.id}" has no blocks`);
      const sorted = Int32Array.from(this.indices(m.id, m.blocks)).sort();
      for (let k = 1; k < sorted.length; k++) {
        if (sorted[k] === sorted[k - 1]) throw new Error(`block catalog: model "${m.id}" lists block "${blocks[sorted[k]!]!.id}" twice`);
      }
      let size = 0;
      for (const b of sorted) {
        size += blocks[b]!.size_bytes;
        members[b]!.push(i);
      }
      return { sorted, size };
    });
    const baseBlocks = this.baseBlockSets(models, parsed.map((p) => p.sorted));
    this.models = models.map((m, i) => {
      const { sorted, size } = parsed[i]!;
      const base = m.base ?? m.id;
      const own = this.modelIdx.get(base);
      // The base's blocks that another model contains too (for a base model: another than itself).
      const inBase = baseBlocks.get(base)!;
      const held = sorted.filter((b) => inBase.has(b) && members[b]!.some((j) => j !== own));
      let heldBytes = 0;
      for (const b of held) heldBytes += blocks[b]!.size_bytes;
      return { id: m.id, family: m.family ?? m.id, base, variant: m.variant ?? 'custom', blocks: sorted, size_bytes: size, held, held_bytes: heldBytes };
    });
    this.blocks = blocks.map((b, i) => ({ id: b.id, size_bytes: b.size_bytes, models: Int32Array.from(members[i]!) }));
  }

  private indices(model: string, ids: readonly string[]): number[] {
    return ids.map((id) => {
      const b = this.blockIdx.get(id);
      if (b === undefined) throw new Error(`block catalog: model "${model}" names unknown block "${id}"`);
      return b;
    });
  }

  /**
   * The block set of every base id: the base model's blocks when it is in the catalog; else the
   * `base_blocks` its derived models give; else the blocks common to the models naming it (none
   * when only one does: nothing to infer from).
   */
  private baseBlockSets(models: readonly ModelSpec[], sorted: readonly Int32Array[]): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>();
    const naming = new Map<string, number[]>();
    models.forEach((m, i) => {
      const base = m.base ?? m.id;
      let l = naming.get(base);
      if (l === undefined) naming.set(base, (l = []));
      l.push(i);
    });
    for (const [base, ms] of naming) {
      const own = this.modelIdx.get(base);
      const given = ms.find((i) => models[i]!.base_blocks !== undefined);
      let set: Set<number>;
      if (own !== undefined) set = new Set(sorted[own]);
      else if (given !== undefined) set = new Set(this.indices(models[given]!.id, models[given]!.base_blocks!));
      else if (ms.length < 2) set = new Set();
      else {
        set = new Set(sorted[ms[0]!]);
        for (const i of ms.slice(1)) {
          const mine = new Set(sorted[i]);
          for (const b of set) if (!mine.has(b)) set.delete(b);
        }
      }
      out.set(base, set);
    }
    return out;
  }

  get blockCount(): number {
    return this.blocks.length;
  }

  get modelCount(): number {
    return this.models.length;
  }

  blockIndex(id: string): number {
    const i = this.blockIdx.get(id);
    if (i === undefined) throw new Error(`block catalog: unknown block "${id}"`);
    return i;
  }

  modelIndex(id: string): number {
    const i = this.modelIdx.get(id);
    if (i === undefined) throw new Error(`block catalog: unknown model "${id}"`);
    return i;
  }

  /** True when more than one model contains block `b`. */
  isShared(b: number): boolean {
    return this.blocks[b]!.models.length > 1;
  }

  /** Bytes of model `i` in blocks that some other model also contains. */
  sharedBytes(i: number): number {
    let s = 0;
    for (const b of this.models[i]!.blocks) if (this.isShared(b)) s += this.blocks[b]!.size_bytes;
    return s;
  }

  /** Storage needed to hold every model once: the size of the union of all blocks. */
  librarySize(): number {
    let s = 0;
    for (const b of this.blocks) if (b.models.length > 0) s += b.size_bytes;
    return s;
  }

  /** Sum of model sizes, as storage that ignores sharing would count them. */
  totalModelBytes(): number {
    let s = 0;
    for (const m of this.models) s += m.size_bytes;
    return s;
  }

  /** Size of the union of the blocks of `models` (a coverage function). */
  unionSize(models: Iterable<number>): number {
    const seen = new Set<number>();
    let s = 0;
    for (const i of models) {
      for (const b of this.models[i]!.blocks) {
        if (!seen.has(b)) {
          seen.add(b);
          s += this.blocks[b]!.size_bytes;
        }
      }
    }
    return s;
  }

  /** Sorted block indices in the union of the blocks of `models`. */
  unionBlocks(models: Iterable<number>): number[] {
    const seen = new Set<number>();
    for (const i of models) for (const b of this.models[i]!.blocks) seen.add(b);
    return [...seen].sort((a, b) => a - b);
  }

  /** Merge another catalog's specs into a new one (ids must not collide). */
  static merge(parts: readonly { blocks: readonly BlockSpec[]; models: readonly ModelSpec[] }[]): BlockCatalog {
    return new BlockCatalog(
      parts.flatMap((p) => p.blocks),
      parts.flatMap((p) => p.models),
    );
  }
}

// ------------------------------------------------------------ sizes from an architecture

/** Weight storage format (the weight part of sim/workload Precision). */
export interface WeightFormat {
  /** Bits per weight: 16 (fp16/bf16), 8, 4, ... */
  weight_bits: number;
  /** Weights per quantization group with one fp16 scale; 0 = no scales. */
  group_size: number;
  /** Bits of the embedding table and LM head when they differ from weight_bits. */
  embed_bits?: number;
}

export const FP16: WeightFormat = { weight_bits: 16, group_size: 0 };

export function formatLabel(f: WeightFormat): string {
  if (f.weight_bits === 16 && f.group_size === 0 && (f.embed_bits ?? 16) === 16) return 'fp16';
  return `w${f.weight_bits}${f.group_size > 0 ? `g${f.group_size}` : ''}${f.embed_bits !== undefined ? `e${f.embed_bits}` : ''}`;
}

function precision(f: WeightFormat): Precision {
  // kv/act bytes do not enter weight sizes.
  return { weight_bits: f.weight_bits, group_size: f.group_size, kv_bytes: 2, act_bytes: 2, ...(f.embed_bits !== undefined ? { embed_bits: f.embed_bits } : {}) };
}

/**
 * Bytes of the blocks of a decoder-only model at format `f`, from the workload
 * accounting (sim/workload weightBytes, layerWeightBytes), so the blocks of a
 * model add up to its `weightBytes` exactly:
 * - embedding: the token (+ learned position) embedding;
 * - layer: one transformer block (matrices, biases, norms);
 * - head: final norm plus the LM head unless it is tied to the embedding.
 */
export function blockBytes(arch: ModelArch, f: WeightFormat): { embedding: number; layer: number; head: number } {
  const p = precision(f);
  const embedding = modelWeightBytes(arch, p, { from: 0, to: 0 });
  const layer = layerWeightBytes(arch, p);
  return { embedding, layer, head: modelWeightBytes(arch, p) - embedding - arch.layers * layer };
}

export type LoraMatrix = MatrixRole;

/** Parameters of a rank-r LoRA adapter on the matrices with `roles` in every layer: r (d_in + d_out) per matrix. */
export function loraParams(arch: ModelArch, rank: number, roles: readonly LoraMatrix[]): number {
  let per = 0;
  for (const m of blockMatrices(arch)) if (m.roles.some((r) => roles.includes(r))) per += loraMatrixParams(rank, m.in_features, m.out_features);
  return per * arch.layers;
}

export interface FamilySpec {
  /** The base architecture. */
  arch: ModelArch;
  /** Weight format of the base and of its fine-tuned layers. */
  format: WeightFormat;
  /** Include the base model itself as a requestable model (default true). */
  include_base?: boolean;
  /** LoRA variants: `count` adapters of rank `rank` on `matrices`, stored at `adapter_bits` (default 16). */
  lora?: { count: number; rank: number; matrices: readonly LoraMatrix[]; adapter_bits?: number };
  /**
   * Copies with their top `layers` transformer layers and the LM head fine-tuned; the bottom
   * layers are the base's. With tied embeddings the LM head is the embedding table, so the copy
   * owns its embedding as well (only the bottom layers are shared).
   */
  finetune_top?: readonly { count: number; layers: number }[];
  /** Full copies of the base at other weight formats; they share nothing. */
  quantizations?: readonly WeightFormat[];
}

/**
 * The blocks and models of one family. Ids: base `<arch>@<fmt>` (e.g.
 * `llama-3.2-1b@fp16`), blocks `<base>/embed`, `<base>/layer.<l>`, `<base>/head`,
 * LoRA `<base>+lora.<j>` with block `<base>+lora.<j>/adapter`, fine-tuned copies
 * `<base>+ft<k>.<j>` with their own `layer.<l>` and `head` blocks (and their own
 * `embed` block when the embedding is tied to the LM head).
 */
export function familySpecs(f: FamilySpec): { blocks: BlockSpec[]; models: ModelSpec[] } {
  const blocks: BlockSpec[] = [];
  const models: ModelSpec[] = [];
  const family = f.arch.id;
  const L = f.arch.layers;

  const addBase = (fmt: WeightFormat, variant: VariantKind, include: boolean): string[] => {
    const base = `${f.arch.id}@${formatLabel(fmt)}`;
    const sz = blockBytes(f.arch, fmt);
    const ids = [`${base}/embed`, ...Array.from({ length: L }, (_, l) => `${base}/layer.${l}`), `${base}/head`];
    blocks.push({ id: ids[0]!, size_bytes: sz.embedding });
    for (let l = 0; l < L; l++) blocks.push({ id: ids[l + 1]!, size_bytes: sz.layer });
    blocks.push({ id: ids[L + 1]!, size_bytes: sz.head });
    if (include) models.push({ id: base, blocks: ids, family, base, variant });
    return ids;
  };

  const baseId = `${f.arch.id}@${formatLabel(f.format)}`;
  const baseBlocks = addBase(f.format, 'base', f.include_base ?? true);

  if (f.lora && f.lora.count > 0) {
    const bytes = (loraParams(f.arch, f.lora.rank, f.lora.matrices) * (f.lora.adapter_bits ?? 16)) / 8;
    for (let j = 0; j < f.lora.count; j++) {
      const id = `${baseId}+lora.${j}`;
      blocks.push({ id: `${id}/adapter`, size_bytes: bytes });
      models.push({ id, blocks: [...baseBlocks, `${id}/adapter`], family, base: baseId, variant: 'lora', base_blocks: baseBlocks });
    }
  }

  const own = blockBytes(f.arch, f.format);
  const tied = f.arch.tied_embeddings;
  for (const ft of f.finetune_top ?? []) {
    if (!(ft.layers >= 1 && ft.layers <= L)) throw new Error(`family ${family}: finetune_top.layers must be in 1..${L}, got ${ft.layers}`);
    for (let j = 0; j < ft.count; j++) {
      const id = `${baseId}+ft${ft.layers}.${j}`;
      const mine: string[] = [];
      // A tied LM head is the embedding table: fine-tuning the head fine-tunes it, so the copy
      // owns it (the whole embedding block, which keeps the copy's size equal to the base's).
      if (tied) {
        mine.push(`${id}/embed`);
        blocks.push({ id: `${id}/embed`, size_bytes: own.embedding });
      }
      for (let l = L - ft.layers; l < L; l++) {
        mine.push(`${id}/layer.${l}`);
        blocks.push({ id: `${id}/layer.${l}`, size_bytes: own.layer });
      }
      mine.push(`${id}/head`);
      blocks.push({ id: `${id}/head`, size_bytes: own.head });
      models.push({
        id,
        blocks: [...baseBlocks.slice(tied ? 1 : 0, 1 + L - ft.layers), ...mine],
        family,
        base: baseId,
        variant: 'finetune-top',
        base_blocks: baseBlocks,
      });
    }
  }

  for (const q of f.quantizations ?? []) {
    if (formatLabel(q) === formatLabel(f.format)) continue;
    addBase(q, 'quantized', true);
  }
  return { blocks, models };
}

/** A catalog from generated families plus hand-listed blocks and models. */
export function buildCatalog(
  families: readonly FamilySpec[],
  manual: { blocks: readonly BlockSpec[]; models: readonly ModelSpec[] } = { blocks: [], models: [] },
): BlockCatalog {
  return BlockCatalog.merge([...families.map(familySpecs), manual]);
}
