/**
 * CSV input files (empirical distributions, learning curves, measurements):
 * an RFC 4180 parser (as csv-stringify writes it, including quoted fields with
 * commas, quotes and newlines) and a header-plus-records view. Shared by the
 * simulator's input readers and by analysis/load.ts, so it lives on the
 * simulator side of the one-way data flow.
 */

/** Parse RFC 4180 CSV text into records of raw strings. Accepts LF or CRLF, a trailing newline, and a BOM. */
export function parseCsv(text: string): string[][] {
  return parseCsvLines(text).records;
}

/** An error in CSV text, at a 1-based file line. */
export class CsvSyntaxError extends Error {
  constructor(readonly line: number, what: string) {
    super(`line ${line}: ${what}`);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * As `parseCsv`, with the 1-based file line each record starts on (a quoted field may span lines),
 * so readers can point at the line of a bad row.
 */
export function parseCsvLines(text: string): { records: string[][]; lines: number[] } {
  const out: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let rowLine = 1;
  let row: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (so "" is an empty string, not missing)
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  const endField = () => {
    row.push(field);
    field = '';
    wasQuoted = false;
  };
  for (; i < n; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field.length > 0) throw new CsvSyntaxError(line, 'a quote inside an unquoted field (quote the whole field, and double quotes inside it)');
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      out.push(row);
      lines.push(rowLine);
      row = [];
      rowLine = ++line;
    } else {
      if (wasQuoted) throw new CsvSyntaxError(line, 'text after a closing quote');
      field += c;
    }
  }
  if (quoted) throw new CsvSyntaxError(rowLine, 'a quoted field is never closed');
  if (field.length > 0 || wasQuoted || row.length > 0) {
    endField();
    out.push(row);
    lines.push(rowLine);
  }
  return { records: out, lines };
}

/** A CSV table: trimmed header names and the records after it, blank lines dropped. */
export interface CsvTable {
  header: string[];
  records: string[][];
}

/** Header plus records of CSV text; lines that hold only whitespace are dropped. */
export function csvTable(text: string): CsvTable {
  const recs = parseCsv(text).filter((row) => row.some((f) => f.trim() !== ''));
  return { header: (recs[0] ?? []).map((h) => h.trim()), records: recs.slice(1) };
}
