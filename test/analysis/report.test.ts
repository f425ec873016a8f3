import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { groupedBars, lineWithCI } from '../../analysis/plot/kinds.ts';
import { escapeHtml, INLINED_LIBRARIES, writeReport, type ReportInput } from '../../analysis/report.ts';

const dir = mkdtempSync(join(tmpdir(), 'mei-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rows = [
  { policy: 'lru', capacity_bytes: 1e9, mean: 0.2, ci95_lo: 0.18, ci95_hi: 0.22 },
  { policy: 'lru', capacity_bytes: 2e9, mean: 0.3, ci95_lo: 0.28, ci95_hi: 0.32 },
  { policy: 'trim</script><b>', capacity_bytes: 1e9, mean: 0.25, ci95_lo: 0.23, ci95_hi: 0.27 },
  { policy: 'trim</script><b>', capacity_bytes: 2e9, mean: 0.37, ci95_lo: 0.35, ci95_hi: 0.39 },
];
const input: ReportInput = {
  title: 'Capacity sweep <&>',
  kind: 'sweep',
  manifest: { version: '0.1.0', seeds: [1, 2, 3], scenario_hash: 'abc123', wall_time_s: 12.5 },
  scenarioYaml: 'name: demo\ncaching:\n  placement: "<lru>"\n',
  tables: [{ title: 'hit ratio', columns: ['policy', 'capacity_bytes', 'mean'], rows: rows.map((r) => [r.policy, r.capacity_bytes, r.mean]) }],
  charts: [
    { title: 'hit ratio vs capacity', spec: lineWithCI(rows, { x: 'capacity_bytes', y: 'mean', lo: 'ci95_lo', hi: 'ci95_hi', series: 'policy', yTitle: 'hit ratio' }) },
    { title: 'bars', spec: groupedBars(rows, { category: 'capacity_bytes', value: 'mean', series: 'policy' }) },
  ],
};
const path = writeReport(join(dir, 'out'), input);
const html = readFileSync(path, 'utf8');

function inlineScripts(page: string): { attrs: string; body: string }[] {
  return [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => ({ attrs: m[1]!, body: m[2]! }));
}

describe('HTML report', () => {
  it('is written to <dir>/report.html', () => {
    expect(path).toBe(join(dir, 'out', 'report.html'));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('inlines vega, vega-lite and vega-embed and loads nothing from the network', () => {
    for (const lib of INLINED_LIBRARIES) expect(html).toContain(`data-lib="${lib.name}"`);
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link[^>]*\bhref\s*=\s*["']?https?:/i);
    const vegaCode = readFileSync(join('node_modules', 'vega', 'build', 'vega.min.js'), 'utf8');
    expect(html).toContain(vegaCode.slice(0, 200));
    expect(html.length).toBeGreaterThan(700_000);
  });

  it('holds the data, tables, scenario and manifest, escaped', () => {
    expect(html).toContain('<title>Capacity sweep &lt;&amp;&gt;</title>');
    expect(html).toContain('placement: &quot;&lt;lru&gt;&quot;');
    expect(html).toContain('abc123');
    expect(html).toContain('wall_time_s');
    expect(html).toContain(`<td>${escapeHtml('trim</script><b>')}</td>`);
    // no raw tag from the data anywhere outside the escaped forms
    expect(html).not.toContain('trim</script>');
    expect(html).not.toContain('<b>');
    const specs = JSON.parse(html.match(/<script type="application\/json" id="report-specs">([\s\S]*?)<\/script>/)![1]!);
    expect(specs).toHaveLength(2);
    expect(specs[0].data.values).toContainEqual({ policy: 'trim</script><b>', capacity_bytes: 2e9, mean: 0.37, ci95_lo: 0.35, ci95_hi: 0.39 });
  });

  it('every inline script parses, and the inlined vega-lite compiles the embedded specs', () => {
    const scripts = inlineScripts(html);
    const code = scripts.filter((s) => !s.attrs.includes('application/json'));
    expect(code.length).toBe(INLINED_LIBRARIES.length + 2);
    for (const s of code) expect(() => new vm.Script(s.body)).not.toThrow();
    // run the UMD builds of vega and vega-lite in a bare context, as a browser would
    const ctx = vm.createContext({ console, setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask, structuredClone, TextEncoder, TextDecoder, URL });
    vm.runInContext('var self = this;', ctx);
    for (const s of scripts.filter((x) => /data-lib="vega(-lite)?"/.test(x.attrs))) vm.runInContext(s.body, ctx);
    const specsJson = scripts.find((s) => s.attrs.includes('report-specs'))!.body;
    ctx.specsJson = specsJson;
    const marks = vm.runInContext(
      'JSON.parse(specsJson).map(function (s) { var vg = vegaLite.compile(s).spec; vega.parse(vg); return vg.marks.length; })',
      ctx,
    ) as number[];
    expect(marks.every((m) => m > 0)).toBe(true);
  });
});

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
if (!chromium) {
  console.warn('report.test: skipping the headless browser check: no Chromium at /usr/bin/chromium (install with: apt-get install chromium)');
}

describe.skipIf(!chromium)('HTML report in headless Chromium', () => {
  it('renders every chart with no console errors', () => {
    const profile = mkdtempSync(join(tmpdir(), 'mei-chromium-'));
    try {
      const dom = execFileSync(
        chromium!,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          `--user-data-dir=${profile}`,
          '--virtual-time-budget=15000',
          '--dump-dom',
          pathToFileURL(path).href,
        ],
        { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
      );
      const status = dom.match(/<p id="report-status"[^>]*>[\s\S]*?<\/p>/)?.[0] ?? '';
      expect(status, status).toContain('data-errors="0"');
      expect(status).toContain('data-done="true"');
      expect(status).toContain(`data-rendered="${input.charts.length}"`);
      expect(dom).toContain('<svg');
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
