import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { csvToRows, parseCell, parseCsv, readRunFolder } from '../../analysis/load.ts';
import { Recorder } from '../../sim/metrics/recorder.ts';

const dir = mkdtempSync(join(tmpdir(), 'mei-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CSV', () => {
  it('parses quoted fields with commas, quotes, CR/LF and empty strings', () => {
    const text = 'a,b,c\r\n"x,y","say ""hi""","line1\nline2"\r\n,"",3\n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['x,y', 'say "hi"', 'line1\nline2'],
      ['', '', '3'],
    ]);
  });

  it('round-trips anything csv-stringify writes', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '1') });
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 8 }), (records) => {
        expect(parseCsv(stringify(records))).toEqual(records);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects malformed quoting', () => {
    expect(() => parseCsv('a,"b')).toThrow(/line 1: a quoted field is never closed/);
    expect(() => parseCsv('x\ny,"z\nw')).toThrow(/line 2: a quoted field is never closed/);
    expect(() => parseCsv('a,b"c"')).toThrow();
    expect(() => parseCsv('"a"b')).toThrow();
  });

  it('types cells', () => {
    expect(parseCell('')).toBeNull();
    expect(parseCell('1e-7')).toBe(1e-7);
    expect(parseCell('-3.5')).toBe(-3.5);
    expect(parseCell('NaN')).toBeNaN();
    expect(parseCell('-Infinity')).toBe(-Infinity);
    expect(parseCell('true')).toBe(true);
    expect(parseCell('lru')).toBe('lru');
    expect(parseCell('1.2.3')).toBe('1.2.3');
    expect(csvToRows('a,b\n1,x\n\n2,y\n')).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(() => csvToRows('a,b\n1\n')).toThrow(/1 fields/);
  });
});

describe('run folder', () => {
  it('reads what the Recorder writes, plus summary, manifest and scenario', () => {
    const run = join(dir, 'demo-1');
    mkdirSync(run);
    const rec = new Recorder(run, true);
    const t = rec.table('requests', ['id', 'model', 'latency_s', 'hit']);
    t.row([1, 'llama,"7b"', 0.125, true]);
    t.row([2, 'gpt2', NaN, false]);
    rec.trace(0.5, 'user:1', 'arrive', { size_bytes: 10 });
    rec.metric('mean_latency_s', () => 0.125);
    const summary = rec.finish();
    writeFileSync(join(run, 'summary.json'), JSON.stringify({ metrics: summary, manifest: { seed: 1, version: '0.1.0' } }));
    writeFileSync(join(run, 'scenario.yaml'), 'name: demo\n');
    const f = readRunFolder(run);
    expect(f.tableNames).toEqual(['requests']);
    const rows = f.table('requests');
    expect(rows[0]).toEqual({ id: 1, model: 'llama,"7b"', latency_s: 0.125, hit: true });
    expect(rows[1]!.latency_s).toBeNaN();
    expect(f.manifest).toEqual({ seed: 1, version: '0.1.0' });
    expect(f.scenarioYaml).toBe('name: demo\n');
    expect(f.tracePath).toBe(join(run, 'trace.jsonl'));
    expect(() => f.table('nope')).toThrow(/no table "nope"/);
  });
});

