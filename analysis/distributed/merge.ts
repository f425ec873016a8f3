/**
 * `mei-sim merge`: combine the output folders of `mei-sim sweep --shard i/N`
 * (or of any partial runs of one sweep) into one folder, as if the sweep had
 * run in one go: runs.csv in canonical order, summary.csv, plots, manifest.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION } from '../../sim/version.ts';
import { InputError } from '../../sim/common/errors.ts';
import { assertReplaceable, markOutputFolder } from '../../sim/common/output-folder.ts';
import { readRawCsv, RunsFile, sortRows, toCsv, headerFor, writeAtomic, type RawRow } from '../sweep/runs-file.ts';
import { byColumns, writeSweepSummary, type SweepInfo } from '../sweep/outputs.ts';
import { typedRows } from '../sweep/runner.ts';

export interface MergeResult {
  dir: string;
  rows: number;
  failed: number;
  missing: number;
  duplicates: number;
  manifest: Record<string, unknown>;
}

function readManifest(dir: string): Record<string, unknown> {
  const p = join(dir, 'manifest.json');
  if (!existsSync(p)) throw new InputError(`${dir}: no manifest.json; is this a sweep output folder?`);
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${p}: not valid JSON (${(e as Error).message}); is this a sweep output folder?`);
  }
  if (typeof m.grid_hash !== 'string' || !Array.isArray(m.parameters)) {
    throw new InputError(`${p}: not the manifest of a mei-sim sweep (no grid_hash or parameters); is this a sweep output folder?`);
  }
  return m;
}

export async function mergeSweeps(dirs: string[], out: string): Promise<MergeResult> {
  if (dirs.length === 0) throw new InputError('merge: give at least one sweep folder');
  const t0 = performance.now();
  const manifests = dirs.map(readManifest);
  const first = manifests[0]!;
  for (let i = 1; i < dirs.length; i++) {
    if (manifests[i]!.grid_hash !== first.grid_hash) {
      throw new InputError(`merge: ${dirs[i]} comes from another sweep grid (grid_hash ${String(manifests[i]!.grid_hash)} vs ${String(first.grid_hash)} in ${dirs[0]})`);
    }
  }
  const info = first as unknown as SweepInfo;
  const lead = byColumns(info);
  const byKey = new Map<string, RawRow>();
  let duplicates = 0;
  dirs.forEach((d) => {
    const f = join(d, 'runs.csv');
    if (!existsSync(f)) return;
    for (const r of readRawCsv(f).rows) {
      const k = RunsFile.keyOf(r);
      const prev = byKey.get(k);
      if (prev === undefined) byKey.set(k, r);
      else {
        duplicates++;
        if (prev.error !== undefined && r.error === undefined) byKey.set(k, r); // a success beats a failure
        else if (prev.error === undefined && r.error === undefined && JSON.stringify(prev) !== JSON.stringify(r)) {
          throw new InputError(`merge: run ${k} has different results in two folders (${d}); the shards ran different code or data`);
        }
      }
    }
  });
  const rows = sortRows([...byKey.values()], lead);
  const dir = resolve(out);
  assertReplaceable(out, '--out');
  mkdirSync(dir, { recursive: true });
  markOutputFolder(dir);
  const metrics = Array.isArray(first.metrics_requested) ? (first.metrics_requested as string[]) : undefined;
  writeAtomic(join(dir, 'runs.csv'), toCsv(headerFor(rows, lead, metrics), rows, true));
  const sweepYaml = dirs.map((d) => join(d, 'sweep.yaml')).find(existsSync);
  if (sweepYaml) copyFileSync(sweepYaml, join(dir, 'sweep.yaml'));
  const ok = rows.filter((r) => r.error === undefined).length;
  const inGrid = Number(first.runs_in_grid ?? 0);
  const missing = Math.max(0, inGrid - rows.length);
  const manifest: Record<string, unknown> = {
    ...first,
    status: missing === 0 ? 'complete' : 'incomplete',
    shard: null,
    merged_from: dirs,
    shards: manifests.map((m) => m.shard ?? null),
    runs_in_file: rows.length,
    runs_failed: rows.length - ok,
    runs_missing: missing,
    runs_executed: manifests.reduce((s, m) => s + Number(m.runs_executed ?? 0), 0),
    wall_time_s: manifests.reduce((s, m) => s + Number(m.wall_time_s ?? 0), 0),
    run_wall_time_s: manifests.reduce((s, m) => s + Number(m.run_wall_time_s ?? 0), 0),
    merge_wall_time_s: (performance.now() - t0) / 1000,
    mei_sim_version: VERSION,
    finished_at: new Date().toISOString(),
  };
  await writeSweepSummary(dir, typedRows(rows), manifest);
  writeAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { dir, rows: rows.length, failed: rows.length - ok, missing, duplicates, manifest };
}
