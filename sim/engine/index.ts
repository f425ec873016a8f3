/** The whole engine: clock and event list, random streams, variates, resources, statistics. */
export { Engine, type EventTarget, type EventId } from './engine.ts';
export { EventHeap } from './heap.ts';
export { Rng, RngFactory } from './rng.ts';
export {
  exponential,
  uniform,
  normal,
  normalQuantile,
  lognormal,
  lognormalFromMean,
  poisson,
  ZipfSampler,
  EmpiricalSampler,
  PoissonProcess,
  type EmpiricalOptions,
  type RateFn,
} from './variates.ts';
export { FifoServer, PsLink, Timer, type FifoListener, type PsListener } from './resources.ts';
export { Counter, Tally, TimeWeighted, QuantileSketch, type QuantileSketchOptions } from './stats.ts';
