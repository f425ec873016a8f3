/**
 * Self-contained HTML report for a run, sweep or comparison: vega, vega-lite
 * and vega-embed are inlined from node_modules (works offline), charts are
 * interactive, tables and the scenario are plain HTML. Script errors are
 * collected into #report-status (data-errors / data-rendered) so a headless
 * browser test can read them from the DOM.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VlSpec } from './plot/kinds.ts';
import { packageDir } from './resolve.ts';
import { formatCell, rowCells, type TableData } from './table.ts';

export interface ReportInput {
  title: string;
  kind: 'run' | 'sweep' | 'compare';
  /** Version, seeds, hashes, wall time, ...: shown as a key/value table and as JSON. */
  manifest: object;
  /** The scenario (or sweep) file, shown verbatim. */
  scenarioYaml?: string;
  tables: TableData[];
  charts: { title: string; spec: VlSpec | object }[];
}

/** UMD builds inlined into the page, in load order (vega-lite and vega-embed need the globals before them). */
export const INLINED_LIBRARIES = [
  { name: 'vega', file: 'build/vega.min.js' },
  { name: 'vega-lite', file: 'build/vega-lite.min.js' },
  { name: 'vega-embed', file: 'build/vega-embed.min.js' },
] as const;

function libraryPath(name: string, file: string): string {
  return join(packageDir(name), file);
}

let libCache: string | null = null;
function librariesHtml(): string {
  if (libCache === null) {
    libCache = INLINED_LIBRARIES.map(({ name, file }) => {
      const version = (JSON.parse(readFileSync(libraryPath(name, 'package.json'), 'utf8')) as { version: string }).version;
      const code = readFileSync(libraryPath(name, file), 'utf8');
      return `<script data-lib="${name}" data-version="${version}">\n${scriptSafe(code)}\n</script>`;
    }).join('\n');
  }
  return libCache;
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Make code safe inside <script>: no '</script' or '<!--' can end or confuse the element. */
function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\u0021--');
}

/** JSON for a <script type="application/json"> block: '<', '>', '&', U+2028/9 as \u escapes. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function tableHtml(t: TableData): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows
    .map((r) => {
      const cells = rowCells(t.columns, r)
        .map((v) => {
          const cls = typeof v === 'number' ? ' class="num"' : '';
          const full = typeof v === 'number' ? ` title="${escapeHtml(String(v))}"` : '';
          return `<td${cls}${full}>${escapeHtml(formatCell(v))}</td>`;
        })
        .join('');
      return `<tr>${cells}</tr>`;
    })
    .join('\n');
  return `<section class="table"><h3>${escapeHtml(t.title)}</h3>\n<div class="scroll"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div></section>`;
}

function manifestHtml(manifest: object): string {
  const rows = Object.entries(manifest as Record<string, unknown>)
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(text ?? 'undefined')}</code></td></tr>`;
    })
    .join('\n');
  return `<table class="kv">\n${rows}\n</table>\n<details><summary>manifest.json</summary><pre>${escapeHtml(JSON.stringify(manifest, null, 2))}</pre></details>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
.kind { color: #666; font-size: .7em; font-weight: normal; text-transform: uppercase; letter-spacing: .05em; }
.chart { margin: 1.5em 0; } .chart h3, .table h3 { font-size: 1.05em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: #f8f8f8; white-space: nowrap; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: .8em; overflow-x: auto; font-size: .85em; }
#report-status.error { color: #b00; white-space: pre-wrap; }
`;

// Runs first in the page (before the libraries): collect errors and console.error calls.
const EARLY = `
(function () {
  var errors = window.__reportErrors = [];
  function fail(msg) {
    errors.push(String(msg));
    var status = document.getElementById('report-status');
    if (status) { status.className = 'error'; status.textContent = 'Errors:\\n' + errors.join('\\n'); status.setAttribute('data-errors', String(errors.length)); }
  }
  window.__reportFail = fail;
  window.addEventListener('error', function (e) { fail(e.message || e); });
  window.addEventListener('unhandledrejection', function (e) { fail((e.reason && e.reason.message) || e.reason); });
  var origError = console.error;
  console.error = function () { fail(Array.prototype.join.call(arguments, ' ')); return origError.apply(console, arguments); };
})();
`;

// Runs last: embed each chart and publish counts on #report-status.
const BOOT = `
(function () {
  var status = document.getElementById('report-status');
  var fail = window.__reportFail;
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  var rendered = 0;
  var jobs = specs.map(function (spec, i) {
    return vegaEmbed('#chart-' + i, spec, { renderer: 'svg', actions: { export: true, source: true, compiled: true, editor: false } })
      .then(function () { rendered++; status.setAttribute('data-rendered', String(rendered)); })
      .catch(function (e) { fail('chart ' + i + ': ' + ((e && e.message) || e)); });
  });
  Promise.all(jobs).then(function () {
    status.setAttribute('data-done', 'true');
    if (!window.__reportErrors.length) status.textContent = rendered + ' chart(s) rendered';
  });
})();
`;

/** Render the report page as a string (see writeReport). */
export function reportHtml(input: ReportInput): string {
  const charts = input.charts
    .map((c, i) => `<section class="chart"><h3>${escapeHtml(c.title)}</h3><div id="chart-${i}"></div></section>`)
    .join('\n');
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(input.title)}</title>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<style>${STYLE}</style>`,
    `<script>${EARLY}</script>`,
    librariesHtml(),
    '</head>',
    '<body>',
    `<h1>${escapeHtml(input.title)} <span class="kind">${escapeHtml(input.kind)}</span></h1>`,
    `<p id="report-status" data-errors="0" data-rendered="0" data-charts="${input.charts.length}">${input.charts.length > 0 ? 'rendering charts...' : ''}</p>`,
  ];
  if (input.charts.length > 0) parts.push('<h2>Charts</h2>', charts);
  if (input.tables.length > 0) parts.push('<h2>Tables</h2>', ...input.tables.map(tableHtml));
  if (input.scenarioYaml !== undefined) parts.push('<h2>Scenario</h2>', `<pre class="scenario">${escapeHtml(input.scenarioYaml)}</pre>`);
  parts.push('<h2>Manifest</h2>', manifestHtml(input.manifest));
  parts.push(
    `<script type="application/json" id="report-specs">${jsonForScript(input.charts.map((c) => c.spec))}</script>`,
    `<script>${BOOT}</script>`,
    '</body>',
    '</html>',
    '',
  );
  return parts.join('\n');
}

/** Write `<dir>/report.html` (creating dir) and return its path. */
export function writeReport(dir: string, input: ReportInput): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'report.html');
  writeFileSync(path, reportHtml(input));
  return path;
}
