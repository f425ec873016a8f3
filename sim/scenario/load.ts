import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { REPO_ROOT } from '../paths.ts';
import { parse as parseYamlValue } from 'yaml';
import type { z } from 'zod';
import { closest, InputError } from '../common/errors.ts';
import { scenarioSchema, type Scenario } from './schema.ts';
import { YamlSource } from './yaml-source.ts';
import { discriminatorAt, keysAt, variantsAt } from './zod-walk.ts';

export const DEFAULT_SCENARIO = resolve(REPO_ROOT, 'scenarios', 'quickstart.yaml');

type Path = (string | number)[];
type Plain = Record<string, unknown>;

export interface LoadedScenario {
  /** Validated scenario, SI units. */
  scenario: Scenario;
  /** The merged input document (after extends and --set), before unit conversion. */
  raw: Plain;
  /** Files read, most derived first. */
  files: string[];
  /** sha256 of the canonical merged input, seed excluded. */
  hash: string;
}

export interface LoadOptions {
  /** `a.b.c=value` overrides, applied in order after `extends`. */
  set?: string[];
  /** Overrides the scenario's seed. */
  seed?: number;
}

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The key that picks the variant of the scenario schema's discriminated union at `path` (a distribution's `dist`, a path-loss `model`, a PEFT `kind`, a cut `mode`). */
const variantKeyAt = (path: Path): string | undefined => discriminatorAt(scenarioSchema, path);

/**
 * Deep merge: objects merge key by key, everything else (lists included) replaces. An object that
 * switches variant where the schema has a discriminated union (`dist: fixed` over `dist: lognormal`)
 * replaces the base object: the old variant's fields (mean, cv) do not belong to the new one. Only
 * there: `inference.model` is a plain field, and overriding it keeps the rest of the section.
 */
export function deepMerge(base: unknown, over: unknown, path: Path = [], variantKey: (path: Path) => string | undefined = variantKeyAt): unknown {
  if (!isPlain(base) || !isPlain(over)) return over;
  const k = variantKey(path);
  if (k !== undefined && k in over && k in base && over[k] !== base[k]) return over;
  const out: Plain = { ...base };
  for (const [key, v] of Object.entries(over)) out[key] = key in base ? deepMerge(base[key], v, [...path, key], variantKey) : v;
  return out;
}

/** Read a scenario file and the chain of files it `extends`. */
function readChain(file: string, seen: string[] = []): YamlSource[] {
  const abs = resolve(file);
  if (seen.includes(abs)) throw new InputError(`${file}:1:1: extends: cycle ${[...seen, abs].join(' -> ')}`);
  const src = YamlSource.read(abs);
  if (!isPlain(src.value)) throw new InputError(`${src.locate([])}: expected a mapping of scenario keys at the top level`);
  const ext = src.value.extends;
  if (ext === undefined) return [src];
  const bases = typeof ext === 'string' ? [ext] : Array.isArray(ext) && ext.every((e) => typeof e === 'string') ? (ext as string[]) : null;
  if (bases === null) throw new InputError(`${src.locate(['extends'])}: extends: expected a file path or a list of file paths`);
  const chain: YamlSource[] = [];
  bases.forEach((b, i) => {
    const target = resolve(dirname(abs), b);
    try {
      chain.push(...readChain(target, [...seen, abs]));
    } catch (e) {
      if (e instanceof InputError && e.message.includes('cannot read the file')) {
        throw new InputError(`${src.locate(typeof ext === 'string' ? ['extends'] : ['extends', i])}: extends: cannot read "${b}" (resolved to ${target})`);
      }
      throw e;
    }
  });
  return [...chain, src];
}

function parseSet(expr: string): { path: Path; value: unknown } {
  const eq = expr.indexOf('=');
  if (eq <= 0) throw new InputError(`--set ${expr}: expected a.b.c=value`);
  const path: Path = expr
    .slice(0, eq)
    .trim()
    .split('.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (path.some((p) => p === '')) throw new InputError(`--set ${expr}: empty path segment`);
  const text = expr.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYamlValue(text);
  } catch {
    value = text;
  }
  return { path, value: value === null && text.trim() !== 'null' && text.trim() !== '~' ? text : value };
}

function setIn(obj: Plain, path: Path, value: unknown): void {
  let cur: unknown = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const c = cur as Record<string | number, unknown>;
    if (c[k] === undefined || typeof c[k] !== 'object' || c[k] === null) c[k] = typeof path[i + 1] === 'number' ? [] : {};
    cur = c[k];
  }
  const last = path[path.length - 1]!;
  const parent = cur as Record<string | number, unknown>;
  // Setting a union's discriminator to another variant (--set training.split.cut.mode=min-latency)
  // starts that object afresh: the old variant's fields (layer) do not belong to the new one.
  if (path.length > 1 && last === variantKeyAt(path.slice(0, -1)) && parent[last] !== value) {
    for (const key of Object.keys(parent)) delete parent[key];
  }
  // `--set a.b=null` removes the key (back to its default, or left out), since no scenario key takes null.
  if (value === null) delete parent[last];
  else parent[last] = value;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlain(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function hashScenario(raw: Plain): string {
  const { seed: _seed, ...rest } = raw;
  return createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 16);
}

/**
 * Where a path was last defined: a --set expression or a file position. The path itself when
 * defined (a --set before a file); else its deepest defined ancestor, a file before a --set at the
 * same depth. So a field required by a union variant that a --set chose points at that --set,
 * while a defaulted field under a section the file has still points at the file.
 */
function locator(chain: YamlSource[], sets: { label: string; path: Path }[]) {
  const same = (a: Path, b: Path, n: number) => a.slice(0, n).every((p, j) => String(p) === String(b[j]));
  return (path: Path): string => {
    for (let k = path.length; k >= 1; k--) {
      const prefix = path.slice(0, k);
      const set = () => {
        for (let i = sets.length - 1; i >= 0; i--) if (same(sets[i]!.path, prefix, Math.min(sets[i]!.path.length, k))) return sets[i]!.label;
        return undefined;
      };
      // later files override earlier
      const file = () => {
        for (let i = chain.length - 1; i >= 0; i--) if (chain[i]!.has(prefix)) return chain[i]!.locate(prefix);
        return undefined;
      };
      const found = k === path.length ? (set() ?? file()) : (file() ?? set());
      if (found !== undefined) return found;
    }
    return chain[chain.length - 1]!.locate([]);
  };
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Turn zod issues into one InputError naming place, path and expectation. */
export function issuesToError(issues: z.core.$ZodIssue[], schema: z.ZodType, where: (p: Path) => string, raw: unknown): InputError {
  const lines = issues.slice(0, 5).map((iss) => {
    const path = iss.path as Path;
    if (iss.code === 'unrecognized_keys') {
      const allowed = keysAt(schema, path);
      return iss.keys
        .map((k) => {
          const full = [...path, k];
          // A key of another variant of a union (a cut's `layer` under mode: min-latency)
          const disc = discriminatorAt(schema, path);
          if (allowed.includes(k) && disc !== undefined) {
            return `${where(full)}: ${formatPath(full)}: "${k}" belongs to another ${disc} than ${JSON.stringify(valueAt(raw, [...path, disc]))}; drop it or change ${disc}`;
          }
          const hint = closest(k, allowed);
          return `${where(full)}: ${formatPath(full)}: unknown key "${k}"${hint ? `; did you mean "${hint}"?` : ''} (expected one of: ${allowed.join(', ')})`;
        })
        .join('\n');
    }
    if (iss.code === 'invalid_union' && typeof (iss as { discriminator?: unknown }).discriminator === 'string') return discriminatorMessage(iss, path, schema, where, raw);
    let msg = iss.message.replace(/^Invalid input: /, '');
    if (iss.code === 'invalid_type') {
      const got = valueAt(raw, path);
      msg = got === undefined ? `required: ${msg.replace(/, received undefined$/, '')}` : msg;
    }
    if (iss.code === 'invalid_value' && 'values' in iss) {
      const got = valueAt(raw, path);
      const hint = typeof got === 'string' ? closest(got, (iss.values as unknown[]).map(String)) : undefined;
      msg = `expected one of: ${(iss.values as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(got)}${hint ? `; did you mean "${hint}"?` : ''}`;
    }
    return `${where(path)}: ${formatPath(path)}: ${msg}`;
  });
  if (issues.length > 5) lines.push(`(${issues.length - 5} more problems)`);
  return new InputError(lines.join('\n'));
}

/**
 * A union's discriminator (`pathloss.model`, `skew.kind`) that is missing or not one of its values.
 * Missing: the object was given without it (often by a `--set` of one of its fields onto a default),
 * so the message names the object's place, the values, and which variant holds the fields given.
 */
function discriminatorMessage(iss: z.core.$ZodIssue, path: Path, schema: z.ZodType, where: (p: Path) => string, raw: unknown): string {
  const disc = String(path[path.length - 1]);
  const parent = path.slice(0, -1);
  const variants = variantsAt(schema, parent);
  const values = variants.length > 0 ? variants.flatMap((v) => v.values) : ((iss as { options?: unknown[] }).options ?? []).map(String);
  const list = values.map((v) => JSON.stringify(v)).join(', ');
  const got = valueAt(raw, path);
  if (got !== undefined) {
    const hint = typeof got === 'string' ? closest(got, values) : undefined;
    return `${where(path)}: ${formatPath(path)}: expected one of: ${list}, got ${JSON.stringify(got)}${hint ? `; did you mean "${hint}"?` : ''}`;
  }
  const obj = valueAt(raw, parent);
  const given = obj !== null && typeof obj === 'object' ? Object.keys(obj) : [];
  const owners = given.map((k) => {
    const of = variants.filter((v) => v.keys.includes(k)).flatMap((v) => v.values);
    return of.length > 0 && of.length < values.length ? `"${k}" is a field of ${disc} ${of.map((v) => JSON.stringify(v)).join(' or ')}` : undefined;
  });
  const why = owners.filter((o) => o !== undefined).join('; ');
  return `${where(parent)}: ${formatPath(path)}: required when ${formatPath(parent)} is given: one of ${list}${why ? `; ${why}` : ''}`;
}

function valueAt(obj: unknown, path: Path): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/**
 * Parse, merge (`extends`, then `--set`) and validate a scenario file.
 * `file` undefined loads the embedded default, scenarios/quickstart.yaml.
 */
export function loadScenario(file: string | undefined, opts: LoadOptions = {}): LoadedScenario {
  const chain = readChain(file ?? DEFAULT_SCENARIO);
  let merged: Plain = {};
  for (const src of chain) merged = deepMerge(merged, src.value) as Plain;
  delete merged.extends;
  const sets: { label: string; path: Path; value: unknown }[] = (opts.set ?? []).map((expr) => ({ label: `--set ${expr}`, ...parseSet(expr) }));
  const ext = sets.find((x) => String(x.path[0]) === 'extends');
  if (ext) throw new InputError(`${ext.label}: extends is read from the scenario file before any --set; write it in the file`);
  if (opts.seed !== undefined) sets.push({ label: `--seed ${opts.seed}`, path: ['seed'], value: opts.seed });
  // A union's discriminator (pathloss.model=log-distance) goes first, so the fields given beside it
  // (pathloss.pl0=40) land in the new variant whatever the order on the command line.
  const isVariant = (x: { path: Path }) => x.path.length > 1 && x.path[x.path.length - 1] === variantKeyAt(x.path.slice(0, -1));
  const ordered = [...sets.filter(isVariant), ...sets.filter((x) => !isVariant(x))];
  for (const s of ordered) setIn(merged, s.path, s.value);
  const where = locator(chain, sets);
  const result = scenarioSchema.safeParse(merged);
  if (!result.success) throw issuesToError(result.error.issues, scenarioSchema, where, merged);
  return { scenario: result.data, raw: merged, files: chain.map((c) => c.file).reverse(), hash: hashScenario(merged) };
}
