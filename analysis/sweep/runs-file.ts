/**
 * runs.csv: one tidy row per run (parameters, policy, seed, scenario hash,
 * error, metrics). Rows are appended as runs complete, each batch in one
 * write of whole lines, so an interrupted sweep leaves a consistent file (a
 * torn last line from a hard kill is cut on the next open). A sweep that
 * finishes rewrites the file in canonical order (parameters, policy, seed),
 * so its bytes do not depend on the number of workers or on interruptions.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { compareCells } from '../aggregate.ts';
import { parseCell, parseCsv } from '../load.ts';
import type { Cell } from '../table.ts';

/** Columns after the parameter and policy columns, before the metrics. */
export const RUN_COLUMNS = ['seed', 'scenario_hash', 'error'] as const;

/** A row as CSV text per column (absent column = ''). */
export type RawRow = Record<string, string>;

export function cellText(v: Cell | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? String(v) : String(v);
}

export function toCsv(header: readonly string[], rows: readonly RawRow[], withHeader: boolean): string {
  const records = rows.map((r) => header.map((c) => r[c] ?? ''));
  return stringify(withHeader ? [header as string[], ...records] : records);
}

/** Write a file whole, through a temporary sibling and a rename. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Read a CSV written by RunsFile as raw text cells; a torn last line (no newline) is cut from the file. */
export function readRawCsv(path: string, repair = false): { header: string[]; rows: RawRow[] } {
  let text = readFileSync(path, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    text = text.slice(0, cut);
    if (repair) truncateSync(path, Buffer.byteLength(text));
  }
  const recs = parseCsv(text);
  if (recs.length === 0) return { header: [], rows: [] };
  const header = recs[0]!;
  const rows: RawRow[] = [];
  for (let i = 1; i < recs.length; i++) {
    const rec = recs[i]!;
    if (rec.length !== header.length) continue; // a record torn inside a quoted field
    const r: RawRow = {};
    header.forEach((c, j) => {
      if (rec[j] !== '') r[c] = rec[j]!;
    });
    rows.push(r);
  }
  return { header, rows };
}

/** Canonical row order: the lead columns (typed), then the seed. */
export function sortRows(rows: RawRow[], lead: readonly string[]): RawRow[] {
  const keys = rows.map((r) => ({ r, k: [...lead, 'seed'].map((c) => (r[c] === undefined ? null : parseCell(r[c]!))) }));
  keys.sort((a, b) => {
    for (let i = 0; i < a.k.length; i++) {
      const d = compareCells(a.k[i], b.k[i]);
      if (d !== 0) return d;
    }
    return 0;
  });
  return keys.map((x) => x.r);
}

/**
 * Header for rows: lead columns, RUN_COLUMNS, then the given metrics in their
 * order, then any other column the rows hold in first-seen order. A column
 * present in a row is never left out (a resume with a shorter metrics list
 * must not drop the values of earlier runs).
 */
export function headerFor(rows: readonly RawRow[], lead: readonly string[], metrics?: readonly string[]): string[] {
  const out = [...lead, ...RUN_COLUMNS];
  const seen = new Set<string>(out);
  const add = (c: string) => {
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  };
  for (const m of metrics ?? []) add(m);
  for (const r of rows) for (const c of Object.keys(r)) add(c);
  return out;
}

/** The metric columns of a raw row (everything but the lead and run columns). */
export function metricColumnsOf(r: RawRow, lead: readonly string[]): string[] {
  const fixed = new Set<string>([...lead, ...RUN_COLUMNS]);
  return Object.keys(r).filter((c) => !fixed.has(c));
}

export class RunsFile {
  /** Rows by run key (scenario_hash:seed), in file order. */
  readonly rows = new Map<string, RawRow>();
  private header: string[];

  constructor(
    readonly path: string,
    readonly lead: readonly string[],
    /** Metric columns first in the header, in this order (others the rows hold follow). */
    public metrics?: readonly string[],
  ) {
    this.header = headerFor([], lead, metrics);
  }

  static keyOf(r: RawRow): string {
    return `${r.scenario_hash ?? ''}:${r.seed ?? ''}`;
  }

  /**
   * Load the rows of an earlier (possibly interrupted) sweep into memory; the
   * caller decides which to keep (see retain). Returns the rows read.
   */
  readExisting(): RawRow[] {
    if (!existsSync(this.path) || statSync(this.path).size === 0) return [];
    return readRawCsv(this.path, true).rows;
  }

  /** Make the file hold exactly these rows (rewritten whole). */
  reset(rows: RawRow[]): void {
    this.rows.clear();
    for (const r of rows) this.rows.set(RunsFile.keyOf(r), r);
    this.header = headerFor([...this.rows.values()], this.lead, this.metrics);
    writeAtomic(this.path, toCsv(this.header, [...this.rows.values()], true));
  }

  /** Append rows (one write); a row with a metric not yet in the header rewrites the file with a wider header. */
  append(rows: RawRow[]): void {
    if (rows.length === 0) return;
    for (const r of rows) this.rows.set(RunsFile.keyOf(r), r);
    const known = new Set(this.header);
    if (rows.some((r) => Object.keys(r).some((c) => !known.has(c)))) {
      this.header = headerFor([...this.rows.values()], this.lead, this.metrics);
      writeAtomic(this.path, toCsv(this.header, [...this.rows.values()], true));
      return;
    }
    appendFileSync(this.path, toCsv(this.header, rows, false));
  }

  /**
   * Rewrite in canonical order (the final form of a finished sweep); `rows`
   * follows, so whatever is computed from it next (summary.csv) sees the rows
   * in the file's order, not in completion order.
   */
  finalize(): void {
    const sorted = sortRows([...this.rows.values()], this.lead);
    this.rows.clear();
    for (const r of sorted) this.rows.set(RunsFile.keyOf(r), r);
    this.header = headerFor(sorted, this.lead, this.metrics);
    writeAtomic(this.path, toCsv(this.header, sorted, true));
  }
}
