/**
 * Readers for simulator outputs: RFC 4180 CSV (as csv-stringify writes it,
 * including quoted fields with commas, quotes and newlines), typed cells, and
 * a run folder (summary.json, manifest.json, scenario.yaml, *.csv, trace.jsonl).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseCsv } from '../sim/common/csv.ts';
import type { Cell, Row } from './table.ts';

/** The CSV parser lives on the simulator side (scenario input files use it too); re-exported for analysis code. */
export { parseCsv };

/**
 * Typed cell from CSV text: '' -> null, 'true'/'false' -> boolean, numbers
 * (including NaN, Infinity, exponents) -> number, anything else stays a string.
 */
export function parseCell(s: string): Cell {
  if (s === '') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'NaN') return NaN;
  if (s === 'Infinity' || s === '+Infinity') return Infinity;
  if (s === '-Infinity') return -Infinity;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return s;
}

/** CSV text with a header row -> rows keyed by column, typed with parseCell. */
export function csvToRows(text: string, typed = true): Row[] {
  const recs = parseCsv(text);
  if (recs.length === 0) return [];
  const header = recs[0]!;
  const rows: Row[] = [];
  for (let r = 1; r < recs.length; r++) {
    const rec = recs[r]!;
    if (rec.length === 1 && rec[0] === '' && header.length > 1) continue; // blank line
    if (rec.length !== header.length) throw new Error(`CSV: record ${r} has ${rec.length} fields, header has ${header.length}`);
    const row: Row = {};
    for (let j = 0; j < header.length; j++) row[header[j]!] = typed ? parseCell(rec[j]!) : rec[j]!;
    rows.push(row);
  }
  return rows;
}

export function readCsv(path: string, typed = true): Row[] {
  return csvToRows(readFileSync(path, 'utf8'), typed);
}

/** JSON Lines (trace.jsonl) -> objects; blank lines skipped. */
export function readJsonl(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
      }
    });
}

export interface RunFolder {
  dir: string;
  /** summary.json (scalar metrics and whatever the CLI stores there); {} if absent. */
  summary: Record<string, unknown>;
  /** manifest.json if present, else summary.manifest if that is an object, else undefined. */
  manifest?: Record<string, unknown>;
  /** The scenario file copied into the folder (scenario.yaml or scenario.yml), if any. */
  scenarioYaml?: string;
  /** Names of the CSV tables (file names without .csv), sorted. */
  tableNames: string[];
  /** Read one table (parsed on demand; tables can be large). */
  table(name: string): Row[];
  /** Path of trace.jsonl if the run was traced. */
  tracePath?: string;
}

function readJsonIf(path: string): Record<string, unknown> | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : undefined;
}

/** Open a run's result folder (results/<name>-<seed>/). */
export function readRunFolder(dir: string): RunFolder {
  if (!existsSync(dir)) throw new Error(`no such run folder: ${dir}`);
  const files = readdirSync(dir).sort();
  const summary = readJsonIf(join(dir, 'summary.json')) ?? {};
  const sm = summary.manifest;
  const manifest = readJsonIf(join(dir, 'manifest.json')) ?? (sm !== null && typeof sm === 'object' ? (sm as Record<string, unknown>) : undefined);
  const yamlName = files.find((f) => f === 'scenario.yaml' || f === 'scenario.yml');
  const tableNames = files.filter((f) => f.endsWith('.csv')).map((f) => basename(f, '.csv'));
  const folder: RunFolder = {
    dir,
    summary,
    tableNames,
    table(name: string): Row[] {
      if (!tableNames.includes(name)) throw new Error(`run folder ${dir} has no table "${name}" (has: ${tableNames.join(', ') || 'none'})`);
      return readCsv(join(dir, `${name}.csv`));
    },
  };
  if (manifest !== undefined) folder.manifest = manifest;
  if (yamlName !== undefined) folder.scenarioYaml = readFileSync(join(dir, yamlName), 'utf8');
  if (files.includes('trace.jsonl')) folder.tracePath = join(dir, 'trace.jsonl');
  return folder;
}
