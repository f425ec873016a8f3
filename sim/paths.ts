import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (package) root: the folder holding package.json, scenarios/ and hardware-profiles/. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
