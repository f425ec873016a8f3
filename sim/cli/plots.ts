/** The run plot: rendered after a run from its tables. Filled in once analysis/plot exists. */
export async function writeRunPlot(_dir: string, _tables: string[]): Promise<void> {}
