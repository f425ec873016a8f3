/**
 * The block store of every edge server (world service "storage"). A server
 * holds parameter blocks; a model is present when all its blocks are. On top
 * of the blocks, the store keeps the set of *cached models* (what placement or
 * admission decided to keep); a block is needed while some cached model
 * contains it. Capacity counts present blocks plus bytes reserved for blocks
 * on their way over the backhaul.
 *
 * All state is in typed arrays indexed [server * blocks + block] or
 * [server * models + model]; nothing is allocated per operation except when a
 * server's list of cached models grows.
 */
import type { BlockCatalog } from '../blocks.ts';

export class BlockStores {
  readonly servers: number;
  readonly B: number;
  readonly I: number;
  /** Block present (1) per server x block. */
  readonly present: Uint8Array;
  /** Cached models that contain the block, per server x block. */
  readonly refs: Int32Array;
  /** Blocks of the model not present, per server x model (0 = model present). */
  readonly missing: Int32Array;
  /** Model in the cached set (1) per server x model. */
  readonly cached: Uint8Array;
  /** Last use time and use count per server x model (for replacement). */
  readonly lastUse: Float64Array;
  readonly uses: Float64Array;
  /** Bytes of present blocks per server. */
  readonly stored: Float64Array;
  /** Bytes reserved for blocks in flight per server. */
  readonly reserved: Float64Array;
  /** Time integral of `stored` per server since `usageFrom` (byte-seconds), when a clock is set. */
  private readonly usageArea: Float64Array;
  private readonly lastChange: Float64Array;
  private usageFrom = 0;
  private clock: (() => number) | null = null;
  /** Cached model indices per server (unordered). */
  private readonly cachedList: number[][];
  private readonly size: Float64Array;
  private readonly modelSize: Float64Array;

  constructor(
    readonly catalog: BlockCatalog,
    readonly capacity_bytes: Float64Array,
  ) {
    const S = (this.servers = capacity_bytes.length);
    const B = (this.B = catalog.blockCount);
    const I = (this.I = catalog.modelCount);
    this.present = new Uint8Array(S * B);
    this.refs = new Int32Array(S * B);
    this.missing = new Int32Array(S * I);
    this.cached = new Uint8Array(S * I);
    this.lastUse = new Float64Array(S * I);
    this.uses = new Float64Array(S * I);
    this.stored = new Float64Array(S);
    this.reserved = new Float64Array(S);
    this.usageArea = new Float64Array(S);
    this.lastChange = new Float64Array(S);
    this.cachedList = Array.from({ length: S }, () => []);
    this.size = Float64Array.from(catalog.blocks, (b) => b.size_bytes);
    this.modelSize = Float64Array.from(catalog.models, (m) => m.size_bytes);
    for (let n = 0; n < S; n++) for (let i = 0; i < I; i++) this.missing[n * I + i] = catalog.models[i]!.blocks.length;
  }

  blockSize(b: number): number {
    return this.size[b]!;
  }

  modelBytes(i: number): number {
    return this.modelSize[i]!;
  }

  hasBlock(n: number, b: number): boolean {
    return this.present[n * this.B + b] === 1;
  }

  /** All blocks of model `i` are on server `n`. */
  hasModel(n: number, i: number): boolean {
    return this.missing[n * this.I + i] === 0;
  }

  /** Same, by model id (for other domains, e.g. inference checking edge model presence). */
  hasModelId(n: number, id: string): boolean {
    return this.hasModel(n, this.catalog.modelIndex(id));
  }

  /** Bytes of model `i` not present on `n`. */
  missingBytes(n: number, i: number): number {
    if (this.missing[n * this.I + i] === 0) return 0;
    let s = 0;
    const base = n * this.B;
    for (const b of this.catalog.models[i]!.blocks) if (this.present[base + b] === 0) s += this.size[b]!;
    return s;
  }

  /** Bytes present plus reserved on `n`. */
  used(n: number): number {
    return this.stored[n]! + this.reserved[n]!;
  }

  free(n: number): number {
    return this.capacity_bytes[n]! - this.used(n);
  }

  isCached(n: number, i: number): boolean {
    return this.cached[n * this.I + i] === 1;
  }

  /** Cached models of `n` (do not keep the array: it changes). */
  cachedModels(n: number): readonly number[] {
    return this.cachedList[n]!;
  }

  /** Models present on `n` (all blocks there), ascending. */
  presentModels(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.I; i++) if (this.missing[n * this.I + i] === 0) out.push(i);
    return out;
  }

  presentCount(n: number): number {
    let c = 0;
    for (let i = 0; i < this.I; i++) if (this.missing[n * this.I + i] === 0) c++;
    return c;
  }

  /** Integrate the stored bytes over time from `from_s` on (for `meanStored`), reading the time from `clock`. */
  trackUsage(clock: () => number, from_s: number): void {
    this.clock = clock;
    this.usageFrom = from_s;
  }

  /** Time-average of the bytes stored on `n` over [from_s, until_s] (see `trackUsage`); NaN when empty or untracked. */
  meanStored(n: number, until_s: number): number {
    if (this.clock === null || !(until_s > this.usageFrom)) return Number.NaN;
    const t0 = Math.max(this.lastChange[n]!, this.usageFrom);
    const area = this.usageArea[n]! + (until_s > t0 ? this.stored[n]! * (until_s - t0) : 0);
    return area / (until_s - this.usageFrom);
  }

  private accrue(n: number): void {
    if (this.clock === null) return;
    const t = this.clock();
    const t0 = Math.max(this.lastChange[n]!, this.usageFrom);
    if (t > t0) this.usageArea[n]! += this.stored[n]! * (t - t0);
    this.lastChange[n] = t;
  }

  /** Put block `b` on `n` (no capacity check: callers reserve first). */
  addBlock(n: number, b: number): void {
    const k = n * this.B + b;
    if (this.present[k] === 1) return;
    this.accrue(n);
    this.present[k] = 1;
    this.stored[n]! += this.size[b]!;
    const ms = this.catalog.blocks[b]!.models;
    const base = n * this.I;
    for (let j = 0; j < ms.length; j++) this.missing[base + ms[j]!]!--;
  }

  removeBlock(n: number, b: number): void {
    const k = n * this.B + b;
    if (this.present[k] === 0) return;
    this.accrue(n);
    this.present[k] = 0;
    this.stored[n]! -= this.size[b]!;
    const ms = this.catalog.blocks[b]!.models;
    const base = n * this.I;
    for (let j = 0; j < ms.length; j++) this.missing[base + ms[j]!]!++;
  }

  reserve(n: number, bytes: number): void {
    this.reserved[n]! += bytes;
  }

  unreserve(n: number, bytes: number): void {
    this.reserved[n] = Math.max(0, this.reserved[n]! - bytes);
  }

  /** Add model `i` to the cached set of `n` (its blocks become needed; it does not fetch them). */
  cache(n: number, i: number, now: number): void {
    const k = n * this.I + i;
    if (this.cached[k] === 1) return;
    this.cached[k] = 1;
    this.cachedList[n]!.push(i);
    this.lastUse[k] = now;
    const base = n * this.B;
    for (const b of this.catalog.models[i]!.blocks) this.refs[base + b]!++;
  }

  /**
   * Drop model `i` from the cached set of `n`. `blockAware`: free only the
   * blocks no other cached model needs. Otherwise (model granularity) free all
   * its blocks, and also drop every cached model that thereby lost a block.
   * Returns the bytes freed.
   */
  evict(n: number, i: number, blockAware: boolean): number {
    const before = this.stored[n]!;
    if (!this.uncache(n, i)) return 0;
    const base = n * this.B;
    const blocks = this.catalog.models[i]!.blocks;
    if (blockAware) {
      for (const b of blocks) if (this.refs[base + b] === 0) this.removeBlock(n, b);
    } else {
      for (const b of blocks) {
        if (this.present[base + b] === 0) continue;
        this.removeBlock(n, b);
        for (const j of this.catalog.blocks[b]!.models) if (j !== i && this.cached[n * this.I + j] === 1) this.evict(n, j, false);
      }
    }
    return before - this.stored[n]!;
  }

  /** Drop from the cached set without touching blocks; false when it was not cached. */
  private uncache(n: number, i: number): boolean {
    const k = n * this.I + i;
    if (this.cached[k] === 0) return false;
    this.cached[k] = 0;
    const list = this.cachedList[n]!;
    const at = list.indexOf(i);
    list[at] = list[list.length - 1]!;
    list.pop();
    const base = n * this.B;
    for (const b of this.catalog.models[i]!.blocks) this.refs[base + b]!--;
    return true;
  }

  /** Remove every present block that no cached model needs; returns bytes freed. */
  dropUnneeded(n: number): number {
    const before = this.stored[n]!;
    const base = n * this.B;
    for (let b = 0; b < this.B; b++) if (this.present[base + b] === 1 && this.refs[base + b] === 0) this.removeBlock(n, b);
    return before - this.stored[n]!;
  }

  /** Record a request for model `i` at server `n` (replacement statistics). */
  touch(n: number, i: number, now: number): void {
    const k = n * this.I + i;
    this.lastUse[k] = now;
    this.uses[k]!++;
  }
}
