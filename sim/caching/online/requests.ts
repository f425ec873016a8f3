/**
 * Model download requests: a Poisson process per user; the model is drawn
 * from a Zipf law over a popularity ranking that can drift (adjacent ranks
 * swap at a fixed period) or shift (the ranking is reversed or reshuffled at a
 * set time). Optionally a share of requests goes to one family ("focus"),
 * Zipf within it.
 */
import type { Engine, EventTarget } from '../../engine/engine.ts';
import type { Rng } from '../../engine/rng.ts';
import { ZipfSampler } from '../../engine/variates.ts';
import type { BlockCatalog } from '../blocks.ts';

export interface PopularitySpec {
  zipf: number;
  order: 'catalog' | 'shuffled';
  focus?: { family: string; share: number } | undefined;
  drift?: { every: number; swaps: number } | undefined;
  shift?: { at: number; to: 'reverse' | 'shuffle' } | undefined;
}

const DRIFT = 0;
const SHIFT = 1;

function shuffle(a: Int32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

export class Popularity implements EventTarget {
  /** Model at each popularity rank (0 = most popular). */
  readonly rankToModel: Int32Array;
  /** Ranking changes so far (drift steps and shifts). */
  changes = 0;
  private readonly zipf: ZipfSampler;
  private readonly familyModels: Int32Array;
  private readonly familyZipf: ZipfSampler | null;
  private readonly focusShare: number;
  private readonly driftRng: Rng;

  constructor(
    private readonly engine: Engine,
    private readonly catalog: BlockCatalog,
    private readonly spec: PopularitySpec,
  ) {
    const I = catalog.modelCount;
    this.rankToModel = Int32Array.from({ length: I }, (_, i) => i);
    if (spec.order === 'shuffled') shuffle(this.rankToModel, engine.rng('caching:popularity:order'));
    this.zipf = new ZipfSampler(I, spec.zipf);
    const fam = spec.focus?.family;
    const members = fam === undefined ? [] : catalog.models.flatMap((m, i) => (m.family === fam ? [i] : []));
    if (fam !== undefined && members.length === 0) {
      throw new Error(`caching.demand.focus.family "${fam}" names no family of the catalog; families: ${[...new Set(catalog.models.map((m) => m.family))].join(', ')}`);
    }
    this.familyModels = Int32Array.from(members);
    this.familyZipf = members.length > 0 ? new ZipfSampler(members.length, spec.zipf) : null;
    this.focusShare = spec.focus?.share ?? 0;
    this.sortFamily();
    this.driftRng = engine.rng('caching:popularity:drift');
    if (spec.drift) engine.schedule(spec.drift.every, this, DRIFT, 0);
    if (spec.shift) engine.scheduleAt(spec.shift.at, this, SHIFT, 0);
  }

  /** Draw a model index. */
  sample(rng: Rng): number {
    if (this.familyZipf !== null && rng.next() < this.focusShare) return this.familyModels[this.familyZipf.sample(rng)]!;
    return this.rankToModel[this.zipf.sample(rng)]!;
  }

  /** Current request probability of every model. */
  pmf(): Float64Array {
    const I = this.catalog.modelCount;
    const p = new Float64Array(I);
    const rest = this.familyZipf !== null ? 1 - this.focusShare : 1;
    for (let r = 0; r < I; r++) p[this.rankToModel[r]!] = rest * this.zipf.pmf(r);
    if (this.familyZipf !== null) for (let r = 0; r < this.familyModels.length; r++) p[this.familyModels[r]!]! += this.focusShare * this.familyZipf.pmf(r);
    return p;
  }

  handle(kind: number): void {
    const perm = this.rankToModel;
    if (kind === DRIFT) {
      const d = this.spec.drift!;
      for (let k = 0; k < d.swaps && perm.length > 1; k++) {
        const r = this.driftRng.int(perm.length - 1);
        const t = perm[r]!;
        perm[r] = perm[r + 1]!;
        perm[r + 1] = t;
      }
      this.engine.schedule(d.every, this, DRIFT, 0);
    } else if (this.spec.shift!.to === 'reverse') perm.reverse();
    else shuffle(perm, this.engine.rng('caching:popularity:shift'));
    this.changes++;
    this.sortFamily();
  }

  /** Order the focus family by the current ranking. */
  private sortFamily(): void {
    if (this.familyModels.length < 2) return;
    const rank = new Int32Array(this.rankToModel.length);
    this.rankToModel.forEach((m, r) => (rank[m] = r));
    this.familyModels.sort((a, b) => rank[a]! - rank[b]!);
  }
}

export interface RequestSink {
  /** A user asks for a model now. */
  request(user: number, model: number): void;
}

/** One Poisson arrival stream per user (streams `user:<u>:requests` and `user:<u>:model-choice`). */
export class RequestSource implements EventTarget {
  requests = 0;
  private readonly arrivals: Rng[] = [];
  private readonly choice: Rng[] = [];

  constructor(
    private readonly engine: Engine,
    users: number,
    private readonly rate: number,
    private readonly popularity: Popularity,
    private readonly sink: RequestSink,
  ) {
    for (let u = 0; u < users; u++) {
      this.arrivals.push(engine.rng(`user:${u}:requests`));
      this.choice.push(engine.rng(`user:${u}:model-choice`));
    }
  }

  start(): void {
    if (!(this.rate > 0)) return;
    for (let u = 0; u < this.arrivals.length; u++) this.engine.schedule(this.gap(u), this, 0, u);
  }

  handle(_kind: number, user: number): void {
    this.requests++;
    this.sink.request(user, this.popularity.sample(this.choice[user]!));
    this.engine.schedule(this.gap(user), this, 0, user);
  }

  private gap(u: number): number {
    return -Math.log(1 - this.arrivals[u]!.next()) / this.rate;
  }
}
