/**
 * Vega-lite spec builders with the project's defaults: axis titles with units
 * (derived from unit-suffixed column names when not given), the Okabe-Ito
 * colour-blind-safe palette, a legend per series, DejaVu Sans. Each returns a
 * plain spec object with its data inlined; users restyle the saved .vl.json.
 */
import type { Row } from '../table.ts';

export type VlSpec = Record<string, unknown>;

/** Okabe & Ito (2008) colour-blind-safe palette, yellow moved late (poor contrast on white). */
export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
export const FONT_FAMILY = 'DejaVu Sans';

export interface CommonOptions {
  title?: string;
  /** Lines under the title (e.g. which points average fewer runs). */
  subtitle?: string | string[];
  width?: number;
  height?: number;
}

const UNIT_SUFFIXES: [string, string][] = [
  ['_flop_per_byte', 'FLOP/byte'],
  ['_flops_per_s', 'FLOP/s'],
  ['_flop_per_s', 'FLOP/s'],
  ['_bytes_per_s', 'B/s'],
  ['_bit_per_s', 'bit/s'],
  ['_bits_per_s', 'bit/s'],
  ['_bps', 'bit/s'],
  ['_tokens_per_s', 'token/s'],
  ['_per_s', '1/s'],
  ['_bytes', 'B'],
  ['_bits', 'bit'],
  ['_flops', 'FLOP'],
  ['_flop', 'FLOP'],
  ['_ms', 'ms'],
  ['_us', 'µs'],
  ['_s', 's'],
  ['_hz', 'Hz'],
  ['_Hz', 'Hz'],
  ['_w', 'W'],
  ['_W', 'W'],
  ['_j', 'J'],
  ['_J', 'J'],
  ['_m', 'm'],
  ['_db', 'dB'],
  ['_dB', 'dB'],
  ['_dbm', 'dBm'],
  ['_dBm', 'dBm'],
  ['_pct', '%'],
  ['_ratio', 'ratio'],
];

/** Axis title from a unit-suffixed column name: 'latency_s' -> 'latency (s)', 'caching.capacity_bytes' -> 'caching.capacity (B)'. */
export function titleFromField(field: string): string {
  for (const [suffix, unit] of UNIT_SUFFIXES) {
    if (field.length > suffix.length && field.endsWith(suffix)) {
      if (unit === 'ratio') return field.replace(/_/g, ' ');
      return `${field.slice(0, -suffix.length).replace(/_/g, ' ')} (${unit})`;
    }
  }
  return field.replace(/_/g, ' ');
}

/** Shared top-level properties: schema, size, font, palette, white background. */
function base(o: CommonOptions, width = 480, height = 300): VlSpec {
  const spec: VlSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: o.width ?? width,
    height: o.height ?? height,
    background: 'white',
    config: {
      font: FONT_FAMILY,
      range: { category: OKABE_ITO },
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.5 },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right' },
      title: { fontSize: 14 },
    },
  };
  if (o.title) spec.title = o.subtitle ? { text: o.title, subtitle: o.subtitle, subtitleFontSize: 11 } : o.title;
  return spec;
}

/** Vega-lite field names treat '.' and '[' as nested access; escape them for dotted column names. */
export function fieldRef(name: string): string {
  return name.replace(/([.[\]\\])/g, '\\$1');
}

/**
 * Axis properties for a numeric field: SI-prefixed labels ('~s': 2G, 500µ)
 * when the values are large or tiny, else vega's default. Discrete axes get a
 * label expression instead of a format.
 */
export function numberAxis(rows: readonly Row[], field: string, discrete = false): Record<string, unknown> {
  let big = false;
  let small = false;
  let numeric = false;
  for (const r of rows) {
    const v = r[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    numeric = true;
    const a = Math.abs(v);
    if (a >= 1e4) big = true;
    else if (a !== 0 && a < 1e-3) small = true;
  }
  if (!numeric || !(big || small)) return {};
  return discrete ? { labelExpr: "format(datum.value, '~s')" } : { format: '~s' };
}

function rowsOnly(rows: readonly Row[], fields: (string | undefined)[]): Row[] {
  const fs = fields.filter((f): f is string => f !== undefined);
  return rows.map((r) => {
    const o: Row = {};
    for (const f of fs) o[f] = r[f] ?? null;
    return o;
  });
}

function seriesColor(series: string | undefined, title: string | undefined): Record<string, unknown> {
  if (series === undefined) return {};
  return { color: { field: fieldRef(series), type: 'nominal', title: title ?? titleFromField(series) } };
}

export interface LineWithCIOptions extends CommonOptions {
  x: string;
  y: string;
  /** CI band bounds (e.g. 'ci95_lo', 'ci95_hi'); the band is omitted if either is absent. */
  lo?: string;
  hi?: string;
  /** One line per distinct value (e.g. 'policy'). */
  series?: string;
  xTitle?: string;
  yTitle?: string;
  seriesTitle?: string;
  logX?: boolean;
  logY?: boolean;
  /** Draw points on the line (default true). */
  points?: boolean;
}

/** Mean line with a shaded CI band over a swept parameter, one line per series. */
export function lineWithCI(rows: readonly Row[], o: LineWithCIOptions): VlSpec {
  const x = {
    field: fieldRef(o.x),
    type: 'quantitative',
    title: o.xTitle ?? titleFromField(o.x),
    scale: o.logX ? { type: 'log', nice: false } : { zero: false, nice: false },
    axis: numberAxis(rows, o.x),
  };
  const yAxis = numberAxis(rows, o.y);
  const yScale = o.logY ? { type: 'log' } : { zero: false };
  const yTitle = o.yTitle ?? titleFromField(o.y);
  // one legend for band and line, drawn as a solid stroke (the band's faded fill would otherwise set the symbol)
  const color =
    o.series === undefined
      ? {}
      : { color: { ...(seriesColor(o.series, o.seriesTitle).color as object), legend: { symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolOpacity: 1 } } };
  const layer: unknown[] = [];
  if (o.lo !== undefined && o.hi !== undefined) {
    layer.push({
      mark: { type: 'area', opacity: 0.2 },
      encoding: {
        x,
        y: { field: fieldRef(o.lo), type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
        y2: { field: fieldRef(o.hi) },
        ...color,
      },
    });
  }
  layer.push({
    mark: { type: 'line', point: o.points ?? true, strokeWidth: 2 },
    encoding: {
      x,
      y: { field: fieldRef(o.y), type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
      ...color,
      tooltip: [o.series, o.x, o.y, o.lo, o.hi]
        .filter((f): f is string => f !== undefined)
        .map((f) => ({ field: fieldRef(f), title: f })),
    },
  });
  return { ...base(o), data: { values: rowsOnly(rows, [o.x, o.y, o.lo, o.hi, o.series]) }, layer };
}

export interface GroupedBarsOptions extends CommonOptions {
  category: string;
  value: string;
  /** Bars side by side within a category, one per series value. */
  series?: string;
  /** Optional error bar bounds. */
  lo?: string;
  hi?: string;
  categoryTitle?: string;
  valueTitle?: string;
  seriesTitle?: string;
}

/** Bars per category, grouped side by side by series, with optional error bars. */
export function groupedBars(rows: readonly Row[], o: GroupedBarsOptions): VlSpec {
  const x = { field: fieldRef(o.category), type: 'nominal', title: o.categoryTitle ?? titleFromField(o.category), axis: { labelAngle: 0, ...numberAxis(rows, o.category, true) } };
  const xOffset = o.series !== undefined ? { xOffset: { field: fieldRef(o.series), type: 'nominal' } } : {};
  const valueTitle = o.valueTitle ?? titleFromField(o.value);
  const layer: unknown[] = [
    {
      mark: { type: 'bar' },
      encoding: {
        x,
        ...xOffset,
        y: { field: fieldRef(o.value), type: 'quantitative', title: valueTitle, axis: numberAxis(rows, o.value) },
        ...seriesColor(o.series, o.seriesTitle),
        tooltip: [o.category, o.series, o.value, o.lo, o.hi]
          .filter((f): f is string => f !== undefined)
          .map((f) => ({ field: fieldRef(f), title: f })),
      },
    },
  ];
  if (o.lo !== undefined && o.hi !== undefined) {
    layer.push({
      mark: { type: 'rule', color: 'black', strokeWidth: 1.5 },
      encoding: {
        x,
        ...xOffset,
        y: { field: fieldRef(o.lo), type: 'quantitative', title: valueTitle },
        y2: { field: fieldRef(o.hi) },
      },
    });
  }
  return { ...base(o), data: { values: rowsOnly(rows, [o.category, o.value, o.series, o.lo, o.hi]) }, layer };
}

export interface EcdfOptions extends CommonOptions {
  value: string;
  series?: string;
  valueTitle?: string;
  seriesTitle?: string;
  logX?: boolean;
  /** At most this many points per series are inlined (evenly spaced in rank); default 1000. */
  maxPoints?: number;
}

/**
 * Empirical CDF per series, computed here (not in vega) so large samples stay
 * small: each series is sorted and thinned to maxPoints ranks, always keeping
 * the minimum and maximum. Non-finite values are dropped.
 */
export function ecdf(rows: readonly Row[], o: EcdfOptions): VlSpec {
  const maxPoints = o.maxPoints ?? 1000;
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    const v = r[o.value];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (o.logX && v <= 0) continue;
    const s = o.series === undefined ? '' : String(r[o.series]);
    let g = groups.get(s);
    if (!g) groups.set(s, (g = []));
    g.push(v);
  }
  const values: Row[] = [];
  for (const [s, xs] of groups) {
    xs.sort((a, b) => a - b);
    const n = xs.length;
    const step = Math.max(1, (n - 1) / Math.max(1, maxPoints - 1));
    let last = -1;
    for (let k = 0; ; k++) {
      const i = Math.min(n - 1, Math.round(k * step));
      if (i > last) {
        // the ECDF at x_(i) counts ties: advance to the last equal value
        let j = i;
        while (j + 1 < n && xs[j + 1] === xs[i]) j++;
        const row: Row = { value: xs[i]!, cdf: (j + 1) / n };
        if (o.series !== undefined) row.series = s;
        values.push(row);
        last = j;
      }
      if (i >= n - 1) break;
    }
  }
  return {
    ...base(o),
    data: { values },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: {
        field: 'value',
        type: 'quantitative',
        title: o.valueTitle ?? titleFromField(o.value),
        scale: o.logX ? { type: 'log' } : { zero: false },
        axis: numberAxis(values, 'value'),
      },
      y: { field: 'cdf', type: 'quantitative', title: 'empirical CDF', scale: { domain: [0, 1] } },
      ...(o.series !== undefined ? { color: { field: 'series', type: 'nominal', title: o.seriesTitle ?? titleFromField(o.series) } } : {}),
    },
  };
}

export interface RooflineInput extends CommonOptions {
  /** Compute ceilings (horizontal lines). */
  peaks: { label: string; flops_per_s: number }[];
  /** Memory-bandwidth ceilings (diagonal lines). */
  bandwidths: { label: string; bytes_per_s: number }[];
  /** Operators or kernels placed on the plot. */
  points: { label: string; intensity_flop_per_byte: number; flops_per_s: number; series?: string }[];
  xTitle?: string;
  yTitle?: string;
  /** Intensity range; default: a decade around the ridge points and the points. */
  xDomain?: [number, number];
}

/**
 * Log-log roofline: each bandwidth roof rises as B * I up to the highest
 * peak; each peak is flat from its ridge with the highest bandwidth onwards.
 * Points are coloured by `series` (or unlabelled), labelled in tooltips.
 */
export function roofline(input: RooflineInput): VlSpec {
  const pMax = Math.max(...input.peaks.map((p) => p.flops_per_s));
  const bMax = Math.max(...input.bandwidths.map((b) => b.bytes_per_s));
  const candidates = [
    ...input.points.map((p) => p.intensity_flop_per_byte),
    ...input.peaks.map((p) => p.flops_per_s / bMax),
    ...input.bandwidths.map((b) => pMax / b.bytes_per_s),
  ].filter((v) => Number.isFinite(v) && v > 0);
  const [iLo, iHi] = input.xDomain ?? [Math.min(...candidates) / 10, Math.max(...candidates) * 10];
  const ceilings: Row[] = [];
  for (const b of input.bandwidths) {
    const ridge = Math.min(iHi, pMax / b.bytes_per_s);
    ceilings.push({ ceiling: b.label, kind: 'bandwidth', i: iLo, perf: b.bytes_per_s * iLo, order: 0 });
    ceilings.push({ ceiling: b.label, kind: 'bandwidth', i: ridge, perf: b.bytes_per_s * ridge, order: 1 });
  }
  for (const p of input.peaks) {
    const start = Math.max(iLo, p.flops_per_s / bMax);
    ceilings.push({ ceiling: p.label, kind: 'compute', i: start, perf: p.flops_per_s, order: 0 });
    ceilings.push({ ceiling: p.label, kind: 'compute', i: iHi, perf: p.flops_per_s, order: 1 });
  }
  // compute labels above the right end of their line; bandwidth labels below the middle of the diagonal
  const peakLabels: Row[] = input.peaks.map((p) => ({ ceiling: p.label, i: iHi, perf: p.flops_per_s }));
  const bwLabels: Row[] = input.bandwidths.map((b) => {
    const i = Math.sqrt(iLo * Math.min(iHi, pMax / b.bytes_per_s));
    return { ceiling: b.label, i, perf: b.bytes_per_s * i };
  });
  const points: Row[] = input.points.map((p) => ({
    label: p.label,
    intensity_flop_per_byte: p.intensity_flop_per_byte,
    flops_per_s: p.flops_per_s,
    series: p.series ?? 'operator',
  }));
  const x = { field: 'i', type: 'quantitative', scale: { type: 'log', domain: [iLo, iHi] }, title: input.xTitle ?? 'arithmetic intensity (FLOP/byte)', axis: { format: '~s' } };
  const y = { field: 'perf', type: 'quantitative', scale: { type: 'log' }, title: input.yTitle ?? 'performance (FLOP/s)', axis: { format: '~s' } };
  const hasSeries = input.points.some((p) => p.series !== undefined);
  return {
    ...base(input, 520, 340),
    layer: [
      {
        data: { values: ceilings },
        mark: { type: 'line', color: '#555555', strokeWidth: 1.5, clip: true },
        encoding: {
          x,
          y,
          detail: { field: 'ceiling', type: 'nominal' },
          order: { field: 'order', type: 'quantitative' },
          strokeDash: { field: 'kind', type: 'nominal', title: 'ceiling', scale: { domain: ['compute', 'bandwidth'], range: [[1, 0], [6, 3]] } },
          tooltip: [{ field: 'ceiling' }, { field: 'perf', title: 'FLOP/s', format: '.3s' }],
        },
      },
      {
        data: { values: peakLabels },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -2, dy: -3, fontSize: 10, color: '#333333' },
        encoding: { x, y, text: { field: 'ceiling', type: 'nominal' } },
      },
      {
        data: { values: bwLabels },
        mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 3, fontSize: 10, color: '#333333' },
        encoding: { x, y, text: { field: 'ceiling', type: 'nominal' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 70, opacity: 1 },
        encoding: {
          x: { ...x, field: 'intensity_flop_per_byte' },
          y: { ...y, field: 'flops_per_s' },
          ...(hasSeries ? { color: { field: 'series', type: 'nominal', title: 'series' }, shape: { field: 'series', type: 'nominal', title: 'series' } } : {}),
          tooltip: [
            { field: 'label' },
            { field: 'intensity_flop_per_byte', title: 'FLOP/byte', format: '.3g' },
            { field: 'flops_per_s', title: 'FLOP/s', format: '.3s' },
          ],
        },
      },
    ],
  };
}

export interface HeatmapOptions extends CommonOptions {
  x: string;
  y: string;
  value: string;
  xTitle?: string;
  yTitle?: string;
  valueTitle?: string;
  /** Vega colour scheme; default 'viridis' (perceptually uniform, colour-blind-safe). */
  scheme?: string;
  /** Print the value in each cell; default true when there are at most 150 cells. */
  labels?: boolean;
  /** d3 format of the labels (default '.3~g'). */
  format?: string;
}

/** Value over a grid of two (discrete) parameters. */
export function heatmap(rows: readonly Row[], o: HeatmapOptions): VlSpec {
  const x = { field: fieldRef(o.x), type: 'ordinal', title: o.xTitle ?? titleFromField(o.x), sort: 'ascending', axis: { grid: false, labelAngle: 0, ...numberAxis(rows, o.x, true) } };
  const y = { field: fieldRef(o.y), type: 'ordinal', title: o.yTitle ?? titleFromField(o.y), sort: 'descending', axis: { grid: false, ...numberAxis(rows, o.y, true) } };
  const v = fieldRef(o.value);
  const layer: unknown[] = [
    {
      mark: { type: 'rect' },
      encoding: {
        x,
        y,
        color: { field: v, type: 'quantitative', title: o.valueTitle ?? titleFromField(o.value), scale: { scheme: o.scheme ?? 'viridis' } },
        tooltip: [o.x, o.y, o.value].map((f) => ({ field: fieldRef(f), title: f })),
      },
    },
  ];
  if (o.labels ?? rows.length <= 150) {
    layer.push({
      mark: { type: 'text', fontSize: 10 },
      encoding: {
        x,
        y,
        text: { field: v, type: 'quantitative', format: o.format ?? '.3~g' },
        // light text on the dark (low) end of viridis
        color: { condition: { test: `datum['${o.value.replace(/'/g, "\\'")}'] < (${midpoint(rows, o.value)})`, value: 'white' }, value: 'black' },
      },
    });
  }
  return { ...base(o, 420, 320), data: { values: rowsOnly(rows, [o.x, o.y, o.value]) }, layer };
}

function midpoint(rows: readonly Row[], f: string): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    const v = r[f];
    if (typeof v === 'number' && Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return Number.isFinite(lo) ? (lo + hi) / 2 : 0;
}

export interface TimelineOptions extends CommonOptions {
  t: string;
  value: string;
  series?: string;
  tTitle?: string;
  valueTitle?: string;
  seriesTitle?: string;
}

/** Step lines over simulated time (queue lengths, cache occupancy), one per series. */
export function timeline(rows: readonly Row[], o: TimelineOptions): VlSpec {
  return {
    ...base(o, 560, 260),
    data: { values: rowsOnly(rows, [o.t, o.value, o.series]) },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
    encoding: {
      x: { field: fieldRef(o.t), type: 'quantitative', title: o.tTitle ?? (o.t === 't' ? 'simulated time (s)' : titleFromField(o.t)), axis: numberAxis(rows, o.t) },
      y: { field: fieldRef(o.value), type: 'quantitative', title: o.valueTitle ?? titleFromField(o.value), axis: numberAxis(rows, o.value) },
      ...seriesColor(o.series, o.seriesTitle),
    },
  };
}

export interface ForestOptions extends CommonOptions {
  /** One row per label (e.g. metric), estimate with its CI. */
  label: string;
  value: string;
  lo: string;
  hi: string;
  /** Estimates of several series per label are dodged vertically (e.g. policy). */
  series?: string;
  valueTitle?: string;
  labelTitle?: string;
  seriesTitle?: string;
  /** Reference line (default 0: no difference). */
  reference?: number;
}

/**
 * Point estimates with CI bars per label, against a reference line: the plot
 * of paired differences (policy minus baseline) from comparePaired.
 */
export function forest(rows: readonly Row[], o: ForestOptions): VlSpec {
  // no label limit: metric names such as download_latency_p50_s and _p95_s differ at their end
  const y = { field: fieldRef(o.label), type: 'nominal', title: o.labelTitle ?? titleFromField(o.label), sort: null, axis: { labelLimit: 0 } };
  const yOffset = o.series !== undefined ? { yOffset: { field: fieldRef(o.series), type: 'nominal' } } : {};
  const valueTitle = o.valueTitle ?? titleFromField(o.value);
  const color = seriesColor(o.series, o.seriesTitle);
  const count = new Set(rows.map((r) => String(r[o.label]))).size;
  return {
    ...base(o, 460, Math.max(120, 40 * count * (o.series !== undefined ? 1.5 : 1))),
    layer: [
      {
        data: { values: [{ ref: o.reference ?? 0 }] },
        mark: { type: 'rule', color: '#888888', strokeDash: [4, 3] },
        encoding: { x: { field: 'ref', type: 'quantitative' } },
      },
      {
        data: { values: rowsOnly(rows, [o.label, o.value, o.lo, o.hi, o.series]) },
        layer: [
          {
            mark: { type: 'rule', strokeWidth: 2 },
            encoding: { y, ...yOffset, x: { field: fieldRef(o.lo), type: 'quantitative', title: valueTitle }, x2: { field: fieldRef(o.hi) }, ...color },
          },
          {
            mark: { type: 'point', filled: true, size: 60, opacity: 1 },
            encoding: {
              y,
              ...yOffset,
              x: { field: fieldRef(o.value), type: 'quantitative', title: valueTitle },
              ...color,
              tooltip: [o.label, o.series, o.value, o.lo, o.hi]
                .filter((f): f is string => f !== undefined)
                .map((f) => ({ field: fieldRef(f), title: f })),
            },
          },
        ],
      },
    ],
  };
}
