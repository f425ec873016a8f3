/** Test and benchmark helper: Poisson arrivals with exponential service into a FifoServer (M/M/c). */
import type { Engine, EventTarget } from '../../sim/engine/engine.ts';
import type { FifoServer } from '../../sim/engine/resources.ts';
import type { Rng } from '../../sim/engine/rng.ts';
import { exponential } from '../../sim/engine/variates.ts';

export class MarkovSource implements EventTarget {
  /** Stop the engine once this many events have been processed. */
  limit = Number.POSITIVE_INFINITY;
  private job = 0;
  private readonly arr: Rng;
  private readonly svc: Rng;

  constructor(
    private readonly engine: Engine,
    private readonly server: FifoServer,
    private readonly lambda: number,
    private readonly mu: number,
  ) {
    this.arr = engine.rng('source:0:arrivals');
    this.svc = engine.rng('server:0:service');
    engine.schedule(exponential(this.arr, lambda), this);
  }

  handle(): void {
    this.server.request(this.job++, exponential(this.svc, this.mu));
    this.engine.schedule(exponential(this.arr, this.lambda), this);
    if (this.engine.eventsProcessed >= this.limit) this.engine.stop();
  }
}
