import seedrandom from 'seedrandom';

/**
 * A named, seeded random stream. Streams are derived from (scenario seed, name)
 * with seedrandom's alea generator, so each consumer owns an independent stream:
 * adding a new consumer never perturbs the draws of existing ones, and two
 * policies run on the same seed see the same arrivals, positions and fading
 * (common random numbers).
 */
export class Rng {
  readonly name: string;
  private readonly prng: seedrandom.PRNG;

  constructor(seed: number | string, name: string) {
    this.name = name;
    this.prng = seedrandom.alea(`mei-sim/${String(seed)}/${name}`);
  }

  /** Uniform on [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.prng();
  }

  /** Uniform on (0, 1): never returns 0, safe for logarithms. */
  nextOpen(): number {
    let u = this.prng();
    while (u === 0) u = this.prng();
    return u;
  }

  /** Uniform on [0, 1) with 53 bits of randomness. */
  nextDouble(): number {
    return this.prng.double();
  }

  /** Integer uniform on [0, n). */
  int(n: number): number {
    return Math.floor(this.prng() * n);
  }
}

/** Cache of named streams for one seed. */
export class RngFactory {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number | string) {}

  /** A new stream at its start, not cached. */
  fresh(name: string): Rng {
    return new Rng(this.seed, name);
  }

  get(name: string): Rng {
    let r = this.streams.get(name);
    if (r === undefined) {
      r = new Rng(this.seed, name);
      this.streams.set(name, r);
    }
    return r;
  }
}
