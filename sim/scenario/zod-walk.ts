import type { z } from 'zod';

/* Walks zod 4 schemas to find which keys an object accepts at a path, for
 * "did you mean" hints. Only reads public `_zod.def` structure. */

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } })?._zod?.def;

/** Peel wrappers and flatten unions and intersections into their member schemas. */
function unwrap(s: unknown, depth = 0): unknown[] {
  const p = peel(s);
  const d = defOf(p);
  if (!d || depth > 20) return [p];
  if (d.type === 'union') return (d.options as unknown[]).flatMap((o) => unwrap(o, depth + 1));
  if (d.type === 'intersection') return [...unwrap(d.left, depth + 1), ...unwrap(d.right, depth + 1)];
  return [p];
}

function child(s: unknown, key: string | number): unknown[] {
  const out: unknown[] = [];
  for (const u of unwrap(s)) {
    const d = defOf(u);
    if (!d) continue;
    if (d.type === 'object') {
      const shape = d.shape as Record<string, unknown>;
      if (typeof key === 'string' && key in shape) out.push(shape[key]);
    } else if (d.type === 'array' && typeof key === 'number') {
      out.push(d.element);
    } else if (d.type === 'record') {
      out.push(d.valueType);
    }
  }
  return out;
}

/** Keys accepted by the object schema(s) found at `path`. */
export function keysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let cur: unknown[] = [schema];
  for (const p of path) cur = cur.flatMap((s) => child(s, p));
  const keys = new Set<string>();
  for (const s of cur) {
    for (const u of unwrap(s)) {
      const d = defOf(u);
      if (d?.type === 'object') for (const k of Object.keys(d.shape as object)) keys.add(k);
    }
  }
  return [...keys];
}

/** Peel wrappers (optional, default, ...) but not unions. */
function peel(s: unknown, depth = 0): unknown {
  const d = defOf(s);
  if (!d || depth > 20) return s;
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
      return peel(d.innerType, depth + 1);
    case 'pipe':
      return peel(d.in, depth + 1);
    case 'lazy':
      return peel((d.getter as () => unknown)(), depth + 1);
    default:
      return s;
  }
}

/** The discriminator key of the discriminated union at `path` (`dist`, `model`, `kind`, `mode`), if the schema has one there. */
export function discriminatorAt(schema: z.ZodType, path: readonly (string | number)[]): string | undefined {
  let cur: unknown[] = [schema];
  for (const p of path) cur = cur.flatMap((s) => child(s, p));
  for (const s of cur) {
    const d = defOf(peel(s));
    if (d?.type === 'union' && typeof d.discriminator === 'string') return d.discriminator;
  }
  return undefined;
}

/**
 * The variants of the discriminated union at `path`: each variant's discriminator value(s) and
 * the keys its object accepts. Empty when no discriminated union is there.
 */
export function variantsAt(schema: z.ZodType, path: readonly (string | number)[]): { values: string[]; keys: string[] }[] {
  let cur: unknown[] = [schema];
  for (const p of path) cur = cur.flatMap((s) => child(s, p));
  for (const s of cur) {
    const d = defOf(peel(s));
    if (d?.type !== 'union' || typeof d.discriminator !== 'string') continue;
    const disc = d.discriminator;
    return (d.options as unknown[]).flatMap((o) => {
      const od = defOf(peel(o));
      if (od?.type !== 'object') return [];
      const shape = od.shape as Record<string, unknown>;
      const lit = defOf(peel(shape[disc]));
      const values = lit?.type === 'literal' ? (lit.values as unknown[]).map(String) : lit?.type === 'enum' ? Object.values(lit.entries as object).map(String) : [];
      return [{ values, keys: Object.keys(shape) }];
    });
  }
  return [];
}
