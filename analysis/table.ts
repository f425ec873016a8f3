/** Tidy rows and tables shared by aggregation, comparison, CSV loading and the report. */

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell>;

/** A titled table; rows are arrays aligned with `columns`, or objects keyed by column. */
export interface TableData {
  title: string;
  columns: string[];
  rows: (Cell[] | Row)[];
}

/** Cell values of a row in column order. */
export function rowCells(columns: readonly string[], row: Cell[] | Row): Cell[] {
  if (Array.isArray(row)) return row;
  return columns.map((c) => (row[c] === undefined ? null : row[c]!));
}

/** Display form of a cell: integers as is, other numbers to `digits` significant digits. */
export function formatCell(v: Cell | undefined, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1);
    return String(Number(v.toPrecision(digits)));
  }
  return String(v);
}

/** GitHub-flavoured markdown table. */
export function toMarkdown(t: TableData, digits = 4): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const lines = [`| ${t.columns.map(esc).join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${rowCells(t.columns, r).map((c) => esc(formatCell(c, digits))).join(' | ')} |`);
  return (t.title ? `**${esc(t.title)}**\n\n` : '') + lines.join('\n') + '\n';
}

/** Plain-text table with aligned columns (numbers right-aligned), for the terminal. */
export function toText(t: TableData, digits = 4): string {
  const cells = t.rows.map((r) => rowCells(t.columns, r));
  const text = cells.map((r) => r.map((c) => formatCell(c, digits)));
  const width = t.columns.map((c, j) => Math.max(c.length, ...text.map((r) => (r[j] ?? '').length)));
  const pad = (s: string, j: number, right: boolean) => (right ? s.padStart(width[j]!) : s.padEnd(width[j]!));
  const out = [t.columns.map((c, j) => pad(c, j, false)).join('  '), width.map((w) => '-'.repeat(w)).join('  ')];
  for (let i = 0; i < text.length; i++) {
    out.push(text[i]!.map((s, j) => pad(s, j, typeof cells[i]![j] === 'number')).join('  ').trimEnd());
  }
  return (t.title ? t.title + '\n' : '') + out.join('\n') + '\n';
}
