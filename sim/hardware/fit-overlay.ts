/**
 * Calibration overlay: efficiency multipliers fitted by `mei-sim calibrate --from`
 * live in `hardware-profiles/fitted/*.yaml`, apart from the hand-written
 * profiles, whose `efficiency` / runtime factors stay the un-fitted physical
 * priors. `unitCtx` (predict.ts) multiplies the prior eta_c / eta_m by every
 * overlay group the (device, unit, runtime, weight format) belongs to.
 *
 * Because a fit is always computed against the priors (plus the OTHER overlay
 * files, never its own), running `calibrate --from` twice writes the same file.
 *
 * Group levels (the key of a group, `|`-separated):
 *   unit     unit (rows with a runtime)
 *   runtime  runtime|unit                  format   runtime|unit|16 or q
 *   backend  runtime|unit|vendor           device   device|unit
 *   pair     device|runtime|unit
 *
 * An all-device fit also records `heldout`: per runtime|unit, the MAPE of its rows
 * when each device is predicted by a fit that never saw it; `predict` prints it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { UnitName } from './profile-schema.ts';

export type Level = 'unit' | 'runtime' | 'format' | 'backend' | 'device' | 'pair';
export const ALL_LEVELS: readonly Level[] = ['unit', 'runtime', 'format', 'backend', 'device', 'pair'];

export const overlayGroupSchema = z.object({
  level: z.enum(['unit', 'runtime', 'format', 'backend', 'device', 'pair']),
  key: z.string(),
  param: z.enum(['compute', 'memory']),
  value: z.number().positive(),
  derived: z.string().min(1),
});
export type OverlayGroup = z.infer<typeof overlayGroupSchema>;

/**
 * Held-out error of one runtime|unit on the fit's own CSV: the MAPE of its rows
 * when each row is predicted by a fit that never saw its device
 * (leave-one-device-out). null: no rows of that kind.
 */
export const heldoutGroupSchema = z.object({
  key: z.string(),
  decode_n: z.number().int().nonnegative(),
  decode_mape_pct: z.number().nonnegative().nullable(),
  prefill_n: z.number().int().nonnegative(),
  prefill_mape_pct: z.number().nonnegative().nullable(),
});
export type HeldoutGroup = z.infer<typeof heldoutGroupSchema>;

export const overlaySchema = z.object({
  source: z.string().min(1),
  derived: z.string().min(1),
  groups: z.array(overlayGroupSchema),
  heldout: z.object({ method: z.string().min(1), groups: z.array(heldoutGroupSchema) }).optional(),
});
export type Overlay = z.infer<typeof overlaySchema>;

/** What a group key is computed from. */
export interface GroupSubject {
  device: string;
  unit: UnitName;
  runtime: string | undefined;
  weight_bits: number;
  vendor: string;
}

export const formatClass = (bits: number): '16' | 'q' => (bits >= 16 ? '16' : 'q');

/** Key of the group of `level` that a subject belongs to (undefined: the level needs a runtime and there is none). */
export function groupKey(level: Level, s: GroupSubject): string | undefined {
  const rt = s.runtime;
  switch (level) {
    case 'unit':
      return rt ? s.unit : undefined;
    case 'runtime':
      return rt ? `${rt}|${s.unit}` : undefined;
    case 'format':
      return rt ? `${rt}|${s.unit}|${formatClass(s.weight_bits)}` : undefined;
    case 'backend':
      return rt ? `${rt}|${s.unit}|${s.vendor}` : undefined;
    case 'device':
      return `${s.device}|${s.unit}`;
    case 'pair':
      return rt ? `${s.device}|${rt}|${s.unit}` : undefined;
  }
}

/** Map key of a fitted log-multiplier: `${level}#${group}#${param}`. */
export const thetaKey = (level: Level, group: string, param: 'compute' | 'memory') => `${level}#${group}#${param}`;

/** Sum of log multipliers of the groups a subject belongs to. */
export function logMultipliers(theta: ReadonlyMap<string, number>, s: GroupSubject, levels: readonly Level[] = ALL_LEVELS): { compute: number; memory: number } {
  let c = 0;
  let m = 0;
  for (const lv of levels) {
    const g = groupKey(lv, s);
    if (g === undefined) continue;
    c += theta.get(thetaKey(lv, g, 'compute')) ?? 0;
    m += theta.get(thetaKey(lv, g, 'memory')) ?? 0;
  }
  return { compute: c, memory: m };
}

/** Overlay files of a folder (sorted), parsed and validated. */
export function readOverlays(dir: string): { file: string; overlay: Overlay }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const r = overlaySchema.safeParse(parse(readFileSync(file, 'utf8')));
      if (!r.success) throw new Error(`${file}: not a calibration overlay: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return { file, overlay: r.data };
    });
}

/** Log multipliers of overlay files, optionally without one file (the one a fit is about to rewrite). */
export function overlayTheta(dir: string, excludeFile?: string): Map<string, number> {
  const theta = new Map<string, number>();
  for (const { file, overlay } of readOverlays(dir)) {
    if (excludeFile !== undefined && file === excludeFile) continue;
    for (const g of overlay.groups) {
      const k = thetaKey(g.level, g.key, g.param);
      theta.set(k, (theta.get(k) ?? 0) + Math.log(g.value));
    }
  }
  return theta;
}

/** Key of a held-out error entry: runtime|unit ("-|unit" without a runtime). */
export const heldoutKey = (runtime: string | undefined, unit: string) => `${runtime ?? '-'}|${unit}`;

/** What an overlay says of the error to expect for a runtime|unit: the first overlay file (sorted) with an entry. */
export interface HeldoutError extends HeldoutGroup {
  source: string;
  method: string;
}

export function heldoutError(dir: string, runtime: string | undefined, unit: string): HeldoutError | undefined {
  const key = heldoutKey(runtime, unit);
  for (const { overlay } of readOverlays(dir)) {
    const g = overlay.heldout?.groups.find((x) => x.key === key);
    if (g) return { ...g, source: overlay.source, method: overlay.heldout!.method };
  }
  return undefined;
}
