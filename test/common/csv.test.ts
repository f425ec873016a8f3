import { describe, expect, it } from 'vitest';
import { parseCsv as analysisParseCsv } from '../../analysis/load.ts';
import { csvTable, parseCsv } from '../../sim/common/csv.ts';

describe('csvTable', () => {
  it('trims the header, drops blank lines and keeps quoted commas in one field', () => {
    const t = csvTable('\ufeff step , loss\r\n\n1,"2.5"\n  \n"3",4\n');
    expect(t.header).toEqual(['step', 'loss']);
    expect(t.records).toEqual([
      ['1', '2.5'],
      ['3', '4'],
    ]);
    expect(csvTable('a,"b, c"\n1,2\n').header).toEqual(['a', 'b, c']);
  });

  it('an empty text has no header and no records', () => {
    expect(csvTable('')).toEqual({ header: [], records: [] });
  });

  it('analysis/load re-exports the same parser', () => {
    expect(analysisParseCsv).toBe(parseCsv);
  });
});
