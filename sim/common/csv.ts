/**
 * CSV input files (empirical distributions, learning curves, measurements):
 * an RFC 4180 parser (as csv-stringify writes it, including quoted fields with
 * commas, quotes and newlines) and a header-plus-records view. Shared by the
 * simulator's input readers and by analysis/load.ts, so it lives on the
 * simulator side of the one-way data flow.
 */

/** Parse RFC 4180 CSV text into records of raw strings. Accepts LF or CRLF, a trailing newline, and a BOM. */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
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
      } else field += c;
      continue;
    }
    if (c === '"') {
      if (field.length > 0) throw new Error(`CSV: quote inside an unquoted field at offset ${i}`);
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField();
      out.push(row);
      row = [];
    } else {
      if (wasQuoted) throw new Error(`CSV: text after a closing quote at offset ${i}`);
      field += c;
    }
  }
  if (quoted) throw new Error('CSV: unterminated quoted field');
  if (field.length > 0 || wasQuoted || row.length > 0) {
    endField();
    out.push(row);
  }
  return out;
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
