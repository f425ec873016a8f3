/** Seeded random placement instances for the caching tests and the placement benchmark. */
import { Rng } from '../../sim/engine/rng.ts';
import { BlockCatalog, type BlockSpec, type ModelSpec } from '../../sim/caching/blocks.ts';
import { DenseDemand, ProductDemand, RateReach, zipf, type PlacementInput } from '../../sim/caching/placement/common.ts';

export interface InstanceShape {
  bases: number;
  adaptersPerBase: number;
  /** Standalone models that share nothing. */
  singles: number;
  servers: number;
  users: number;
  /** Storage per server as a fraction of the library size (union of all blocks). */
  capacityFraction: number;
  /** Base size range, bytes. */
  baseBytes?: [number, number];
  /** Adapter (specific block) size range, bytes. */
  adapterBytes?: [number, number];
}

const GB = 1e9;

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** A random catalog: bases with adapters (base blocks shared), plus standalone models. */
export function randomCatalog(rng: Rng, s: InstanceShape): BlockCatalog {
  const blocks: BlockSpec[] = [];
  const models: ModelSpec[] = [];
  const [bl, bh] = s.baseBytes ?? [2 * GB, 8 * GB];
  const [al, ah] = s.adapterBytes ?? [0.05 * GB, 1 * GB];
  for (let b = 0; b < s.bases; b++) {
    blocks.push({ id: `base${b}`, size_bytes: uniform(rng, bl, bh) });
    for (let a = 0; a < s.adaptersPerBase; a++) {
      blocks.push({ id: `base${b}.ad${a}`, size_bytes: uniform(rng, al, ah) });
      models.push({ id: `m${b}.${a}`, blocks: [`base${b}`, `base${b}.ad${a}`], base: `base${b}`, variant: 'lora' });
    }
  }
  for (let j = 0; j < s.singles; j++) {
    blocks.push({ id: `single${j}`, size_bytes: uniform(rng, bl, bh) });
    models.push({ id: `s${j}`, blocks: [`single${j}`] });
  }
  return new BlockCatalog(blocks, models);
}

/**
 * A random instance: users uniform in a 1 km square, servers on it too; link
 * rate falls with distance (a stand-in for the channel); deadline chosen so that
 * only nearby users can get a model in time; Zipf-like per-user demand.
 */
export function randomInstance(seed: string, s: InstanceShape, dense = true): PlacementInput {
  const rng = new Rng(seed, 'instance');
  const catalog = randomCatalog(rng, s);
  const K = s.users;
  const N = s.servers;
  const I = catalog.modelCount;
  const ux = Array.from({ length: K }, () => rng.next() * 1000);
  const uy = Array.from({ length: K }, () => rng.next() * 1000);
  const sx = Array.from({ length: N }, () => rng.next() * 1000);
  const sy = Array.from({ length: N }, () => rng.next() * 1000);
  const rate = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      const d = Math.hypot(ux[k]! - sx[n]!, uy[k]! - sy[n]!);
      rate[k * N + n] = d < 500 ? 1e9 * (1 - d / 500) + 1e8 : 0;
    }
  }
  const sizes = Float64Array.from(catalog.models, (m) => m.size_bytes);
  const reach = new RateReach({ users: K, servers: N, rate_bps: rate, download_bytes: sizes, deadline_s: 60 });
  let demand;
  if (dense) {
    const w = new Float64Array(K * I);
    for (let k = 0; k < K; k++) {
      const pop = zipf(I, 0.8);
      // Each user ranks the models in its own random order.
      const perm = Array.from({ length: I }, (_, i) => i);
      for (let i = I - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      for (let i = 0; i < I; i++) w[k * I + perm[i]!] = pop[i]!;
    }
    demand = new DenseDemand(K, I, w);
  } else {
    demand = new ProductDemand(new Float64Array(K).fill(1), zipf(I, 0.8));
  }
  const cap = catalog.librarySize() * s.capacityFraction;
  return { catalog, capacity_bytes: new Float64Array(N).fill(cap), demand, reach };
}
