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

export const overlaySchema = z.object({
  source: z.string().min(1),
  derived: z.string().min(1),
  groups: z.array(overlayGroupSchema),
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
