/**
 * Every shipped sweep file (scenarios/sweeps/*.yaml) loads, expands into a
 * grid of valid scenarios, and names only metrics its runs produce and only
 * parameter or policy columns on its plot axes, without running the grid.
 * (test/scenario/load.test.ts loads scenarios/*.yaml only, not this folder:
 * a sweep file is not a scenario, so a broken one went unnoticed.)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../../analysis/sweep/grid.ts';
import { checkSweepNames, GridMetrics } from '../../analysis/sweep/names.ts';
import { loadSweep } from '../../analysis/sweep/spec.ts';
import { ROOT } from '../helpers.ts';

const DIR = join(ROOT, 'scenarios', 'sweeps');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('shipped sweep files', () => {
  it('there are some', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(4);
  });

  it.each(FILES)('%s loads, expands and names existing metrics and columns', async (f) => {
    const def = loadSweep(join(DIR, f));
    const grid = expandGrid(def);
    expect(grid.points.length).toBeGreaterThan(0);
    expect(def.plots.length).toBeGreaterThan(0);
    await checkSweepNames(grid, new GridMetrics(grid), def.precision?.metrics);
  });
});
