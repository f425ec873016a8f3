import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Folder of an installed package. Walks up from its resolved entry point, since
 * packages with an "exports" map (vega, vega-lite) do not export package.json.
 */
export function packageDir(name: string): string {
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    entry = require.resolve(`${name}/package.json`); // asset-only packages (no main), e.g. dejavu-fonts-ttf
  }
  for (let d = dirname(entry); d !== dirname(d); d = dirname(d)) {
    const pj = join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return d;
  }
  throw new Error(`cannot find the folder of package ${name}`);
}
