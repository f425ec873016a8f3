import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';

export type Cell = number | string | boolean | null;

/**
 * A per-entity table (one row per request, job, entity, ...). Rows are
 * buffered and written synchronously in batches to `<out>/<name>.csv`; with no
 * output folder they are only counted. Column names carry units
 * (`latency_s`, `size_bytes`).
 */
export class Table {
  rows = 0;
  private buf: Cell[][] = [];
  private fd: number | null = null;

  constructor(
    readonly name: string,
    readonly columns: readonly string[],
    path: string | null,
  ) {
    if (path !== null) {
      this.fd = openSync(path, 'w');
      writeSync(this.fd, stringify([columns as string[]]));
    }
  }

  row(values: Cell[]): void {
    if (values.length !== this.columns.length) {
      throw new Error(`table ${this.name}: row has ${values.length} cells, expected ${this.columns.length}`);
    }
    this.rows++;
    if (this.fd === null) return;
    this.buf.push(values);
    if (this.buf.length >= 4096) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.buf.length === 0) return;
    writeSync(this.fd, stringify(this.buf, { cast: { number: formatNumber, boolean: (b) => (b ? 'true' : 'false') } }));
    this.buf = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Numbers in CSVs: shortest round-trip form, so outputs are byte-stable. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  return String(x);
}

/**
 * Streams metrics out of a run: scalar metrics evaluated at the end, tidy
 * tables written as they grow, and an optional JSON Lines event trace.
 */
export class Recorder {
  private readonly scalars = new Map<string, () => number>();
  private readonly tables = new Map<string, Table>();
  private traceFd: number | null = null;
  /** Check before building a trace record, so the hot path pays nothing when off. */
  readonly tracing: boolean;

  constructor(
    /** Folder for CSVs and the trace; null writes nothing (sweeps). */
    readonly outDir: string | null,
    trace = false,
  ) {
    this.tracing = trace && outDir !== null;
    if (this.tracing) this.traceFd = openSync(join(outDir!, 'trace.jsonl'), 'w');
  }

  /** Register a scalar metric, evaluated when the run ends. Names carry units. */
  metric(name: string, fn: () => number): void {
    if (this.scalars.has(name)) throw new Error(`metric "${name}" is registered twice`);
    this.scalars.set(name, fn);
  }

  /** Create a table `<name>.csv` with these columns. */
  table(name: string, columns: readonly string[]): Table {
    if (this.tables.has(name)) throw new Error(`table "${name}" is created twice`);
    const t = new Table(name, columns, this.outDir === null ? null : join(this.outDir, `${name}.csv`));
    this.tables.set(name, t);
    return t;
  }

  /** Append one trace record; call only when `tracing` is true. */
  trace(time_s: number, entity: string, event: string, data?: Record<string, Cell>): void {
    if (this.traceFd === null) return;
    this.traceBuf.push(JSON.stringify({ t: time_s, entity, event, ...data }));
    if (this.traceBuf.length >= 4096) this.flushTrace();
  }

  private traceBuf: string[] = [];

  private flushTrace(): void {
    if (this.traceFd === null || this.traceBuf.length === 0) return;
    writeSync(this.traceFd, this.traceBuf.join('\n') + '\n');
    this.traceBuf = [];
  }

  /** Evaluate the metrics (in registration order) and close every file. */
  finish(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, fn] of this.scalars) out[name] = fn();
    for (const t of this.tables.values()) t.close();
    this.flushTrace();
    if (this.traceFd !== null) closeSync(this.traceFd);
    this.traceFd = null;
    return out;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }
}
