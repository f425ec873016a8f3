import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine/engine.ts';
import { Site } from '../../sim/edge/site.ts';
import { curveFromCsv, effectiveSteps, hierarchicalEffectiveSteps, learningCurves } from '../../sim/training/progress.ts';
import { datasetSizes } from '../../sim/training/domain.ts';
import { datasetSchema, progressSchema } from '../../sim/training/schema.ts';

describe('edge site', () => {
  it('shares the accelerator equally among running jobs and keeps a memory ledger', () => {
    const engine = new Engine(1);
    const site = new Site(engine, 0, 'l4', 'gpu');
    expect(site.capacity_bytes).toBe(24e9);
    const done: [number, number][] = [];
    const owner = { onTransferDone: (tag: number) => done.push([tag, engine.now]) };
    // Alone, a 1 s job takes 1 s; with a second 1 s job started at the same time both take 2 s.
    expect(site.start({ work_s: 1, memory_bytes: 4e9 }, owner, 1)).toBeGreaterThanOrEqual(0);
    expect(site.submit({ work_s: 1, memory_bytes: 4e9 }, owner, 2)).toBe(true);
    expect(site.free_bytes()).toBe(16e9);
    expect(site.start({ work_s: 1, memory_bytes: 20e9 }, owner, 3)).toBe(-1);
    expect(site.reserve(17e9)).toBe(false);
    expect(site.reserve(10e9)).toBe(true);
    engine.run();
    expect(done).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(site.free_bytes()).toBe(14e9);
    site.release(10e9);
    expect(site.free_bytes()).toBe(24e9);
    expect(site.utilization()).toBe(1);
    expect(site.work_done_s()).toBeCloseTo(2, 12);
  });

  it('cancels a job without calling its owner and speeds up the others', () => {
    const engine = new Engine(1);
    const site = new Site(engine, 0, 'l4', 'gpu');
    const done: number[] = [];
    const owner = { onTransferDone: () => done.push(engine.now) };
    site.start({ work_s: 1, memory_bytes: 0 }, owner, 0);
    const b = site.start({ work_s: 10, memory_bytes: 1e9 }, owner, 1);
    engine.schedule(1, {
      handle: () => {
        expect(site.remaining(b)).toBeCloseTo(9.5, 12);
        expect(site.cancel(b)).toBe(true);
        expect(site.remaining(b)).toBe(-1);
      },
    });
    engine.run();
    // 0.5 s of work done by t = 1 (half share), the remaining 0.5 s alone
    expect(done).toEqual([1.5]);
    expect(site.free_bytes()).toBe(24e9);
  });
});

describe('progress model', () => {
  const defaults = progressSchema.parse({});

  it('counts sequential steps one for one, federated rounds as E K^alpha with a drift penalty', () => {
    expect(effectiveSteps('sequential', { participants: 4, steps: 40, non_iid: 0 }, defaults)).toBe(40);
    expect(effectiveSteps('federated', { participants: 4, steps: 40, non_iid: 0 }, defaults)).toBeCloseTo(10 * 2, 12);
    const skewed = effectiveSteps('federated', { participants: 4, steps: 40, non_iid: 0.5 }, defaults);
    expect(skewed).toBeCloseTo(20 / (1 + 0.5 * 9), 12);
    expect(effectiveSteps('federated', { participants: 0, steps: 0, non_iid: 0 }, defaults)).toBe(0);
  });

  it('hfl: an edge round without a cloud merge counts per site with its own K_s, a cloud round with all K', () => {
    const K = Int32Array.from([4, 1, 0]);
    const steps = Float64Array.from([40, 10, 0]);
    // cloud round: the fl rule over K = 5, E = 10
    expect(hierarchicalEffectiveSteps(K, steps, true, 0, defaults)).toBeCloseTo(10 * Math.sqrt(5), 12);
    // edge only: participant-weighted mean of 10 x 4^0.5 and 10 x 1^0.5
    expect(hierarchicalEffectiveSteps(K, steps, false, 0, defaults)).toBeCloseTo((4 * 20 + 1 * 10) / 5, 12);
    // a single site is plain fl either way
    const one = Int32Array.from([3]);
    const s3 = Float64Array.from([30]);
    expect(hierarchicalEffectiveSteps(one, s3, false, 0.5, defaults)).toBeCloseTo(effectiveSteps('federated', { participants: 3, steps: 30, non_iid: 0.5 }, defaults), 12);
  });

  it('inverse curve: steps to target solve final + (initial - final) h / (h + t) = target', () => {
    const c = learningCurves.get('inverse')({ model: 'inverse', initial_loss: 3, final_loss: 1, half_steps: 100, target_loss: 1.5 });
    expect(c.steps_to_target).toBeCloseTo(300, 9);
    expect(c.loss(c.steps_to_target)).toBeCloseTo(1.5, 12);
    expect(c.loss(100)).toBeCloseTo(2, 12);
  });

  it('csv curve: first crossing, interpolated', () => {
    const c = curveFromCsv('step,loss\n0,3\n100,2\n200,1.5\n300,1.2\n', 1.8);
    expect(c.steps_to_target).toBeCloseTo(140, 9);
    expect(c.loss(250)).toBeCloseTo(1.35, 12);
    expect(curveFromCsv('step,loss\n0,3\n100,2\n', 1).steps_to_target).toBe(Number.POSITIVE_INFINITY);
    expect(() => curveFromCsv('x,y\n1,2\n', 1)).toThrow(/step and loss/);
  });
});

describe('dataset sizes', () => {
  it('equal, zipf and dirichlet keep the mean and differ in spread', () => {
    const engine = new Engine(3);
    const eq = datasetSizes(50, datasetSchema.parse({ samples_per_client: 100 }), engine.rng('a'));
    expect(new Set(eq)).toEqual(new Set([100]));
    const zipf = datasetSizes(50, datasetSchema.parse({ samples_per_client: 100, skew: { kind: 'zipf', exponent: 1 } }), engine.rng('b'));
    const dir = datasetSizes(50, datasetSchema.parse({ samples_per_client: 100, skew: { kind: 'dirichlet', alpha: 0.5 } }), engine.rng('c'));
    for (const s of [zipf, dir]) {
      const sum = s.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum / 50 - 100)).toBeLessThan(3);
      expect(Math.max(...s)).toBeGreaterThan(3 * Math.min(...s));
    }
    expect(Math.max(...zipf)).toBeGreaterThan(800); // rank 1 holds 1/H_50 = 22% of 5000
  });
});
