import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../paths.ts';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import {
  profileSchema,
  runtimeSchema,
  UNIT_NAMES,
  type HardwareProfile,
  type RuntimeProfile,
  type UnitName,
} from './profile-schema.ts';

/**
 * Loader for hardware profiles (hardware-profiles/<id>.yaml, then
 * hardware-profiles/calibrated/<id>.yaml) and runtime profiles
 * (hardware-profiles/runtimes/<id>.yaml). Files are parsed with positions so
 * that a schema error reads `file:line:col: path: message`.
 */

/** Repo root: this file lives at sim/hardware/profiles.ts. */
export { REPO_ROOT };
export const PROFILE_DIR = join(REPO_ROOT, 'hardware-profiles');
export const DEFAULT_PROFILE_DIRS = [PROFILE_DIR, join(PROFILE_DIR, 'calibrated')];
export const DEFAULT_RUNTIME_DIRS = [join(PROFILE_DIR, 'runtimes')];

export class ProfileError extends Error {
  override name = 'ProfileError';
}

export interface ProfileSummary {
  id: string;
  name: string;
  kind: HardwareProfile['kind'];
  units: UnitName[];
}

export interface RuntimeSummary {
  id: string;
  name: string;
  units: UnitName[];
}

const profileCache = new Map<string, HardwareProfile>();
const runtimeCache = new Map<string, RuntimeProfile>();

/** Drop cached profiles (tests, or after `calibrate` writes a new file). */
export function clearProfileCache(): void {
  profileCache.clear();
  runtimeCache.clear();
}

/** Ids of the `.yaml` files in the given directories, first directory wins. */
function idsIn(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith('.yaml')) continue;
      const id = f.slice(0, -'.yaml'.length);
      if (!found.has(id)) found.set(id, join(dir, f));
    }
  }
  return found;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * Parse a YAML file and validate it with a zod schema. Errors carry the file,
 * line and column of the offending node (or of the nearest existing parent).
 */
export function parseYamlWith<S extends z.ZodType>(file: string, schema: S, text?: string): z.output<S> {
  const src = text ?? readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(src, { lineCounter, prettyErrors: false });
  const where = (offset: number): string => {
    const p = lineCounter.linePos(offset);
    return `${displayPath(file)}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ProfileError(`${where(e.pos[0])}: ${e.message.split('\n')[0]}`);
  }
  const result = schema.safeParse(doc.toJS());
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 8).map((issue) => {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    const offset = nodeOffset(doc.contents as YamlNode | null, path);
    const shown = path.length > 0 ? path.join('.') : '(root)';
    return `${where(offset)}: ${shown}: ${describeIssue(issue)}`;
  });
  const more = result.error.issues.length > 8 ? `\n(${result.error.issues.length - 8} more)` : '';
  throw new ProfileError(lines.join('\n') + more);
}

/** Start offset of the deepest node along `path` that exists in the document. */
function nodeOffset(root: YamlNode | null, path: (string | number)[]): number {
  let node: unknown = root;
  let offset = root?.range?.[0] ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => {
        const k = p.key as { value?: unknown } | null;
        return k !== null && typeof k === 'object' && String(k.value) === String(key);
      });
      if (pair === undefined) break;
      const value = pair.value as YamlNode | null;
      const keyNode = pair.key as YamlNode | null;
      node = value;
      offset = value?.range?.[0] ?? keyNode?.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as YamlNode | undefined;
      if (item === undefined) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const msg = issue.message;
  if (issue.code === 'invalid_type') return msg.replace(/^Invalid input: /, '');
  if (issue.code === 'unrecognized_keys') return `unknown key(s) ${issue.keys.join(', ')}`;
  return msg;
}

function unknownId(kind: string, id: string, known: Iterable<string>, dirs: string[]): ProfileError {
  const list = [...known].sort();
  return new ProfileError(
    `unknown ${kind} "${id}" (searched ${dirs.map(displayPath).join(', ')}); known: ${list.length > 0 ? list.join(', ') : '(none)'}`,
  );
}

/**
 * Shared lookup for profiles and runtimes: find `<id>.yaml` in the first
 * directory that has it, validate, check the id matches the file name, cache.
 */
function loadCached<S extends typeof profileSchema | typeof runtimeSchema>(
  kind: string,
  id: string,
  dirs: string[],
  cache: Map<string, z.output<S>>,
  schema: S,
): z.output<S> {
  const key = `${dirs.join('|')}#${id}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const files = idsIn(dirs);
  const file = files.get(id);
  if (file === undefined) throw unknownId(kind, id, files.keys(), dirs);
  const parsed = parseYamlWith(file, schema) as z.output<S>;
  if (parsed.id !== id) {
    throw new ProfileError(`${displayPath(file)}:1:1: id: expected "${id}" (the file name), got "${parsed.id}"`);
  }
  for (const [name, unit] of Object.entries(parsed.units)) {
    const unitKind = (unit as { kind?: string } | undefined)?.kind;
    if (unitKind !== undefined && unitKind !== name) {
      throw new ProfileError(`${displayPath(file)}: units.${name}.kind: expected "${name}", got "${unitKind}"`);
    }
  }
  cache.set(key, parsed);
  return parsed;
}

/** Load and validate one hardware profile by id. Cached per (dirs, id). */
export function loadProfile(id: string, dirs: string[] = DEFAULT_PROFILE_DIRS): HardwareProfile {
  return loadCached('device', id, dirs, profileCache, profileSchema);
}

/** Every profile in the directories, validated. */
export function listProfiles(dirs: string[] = DEFAULT_PROFILE_DIRS): ProfileSummary[] {
  return [...idsIn(dirs).keys()].sort().map((id) => {
    const p = loadProfile(id, dirs);
    return { id: p.id, name: p.name, kind: p.kind, units: unitNames(p.units) };
  });
}

/** Load and validate one runtime profile by id (llama.cpp, qnn, ...). */
export function loadRuntime(id: string, dirs: string[] = DEFAULT_RUNTIME_DIRS): RuntimeProfile {
  return loadCached('runtime', id, dirs, runtimeCache, runtimeSchema);
}

export function listRuntimes(dirs: string[] = DEFAULT_RUNTIME_DIRS): RuntimeSummary[] {
  return [...idsIn(dirs).keys()].sort().map((id) => {
    const r = loadRuntime(id, dirs);
    return { id: r.id, name: r.name, units: unitNames(r.units) };
  });
}

function unitNames(units: Partial<Record<UnitName, unknown>>): UnitName[] {
  return UNIT_NAMES.filter((u) => units[u] !== undefined);
}
