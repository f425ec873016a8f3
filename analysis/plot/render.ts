/**
 * Headless rendering of vega-lite specs: vega-lite -> vega -> SVG (vega View,
 * renderer 'none', no canvas) -> PNG (resvg). Text uses DejaVu Sans loaded by
 * file from the dejavu-fonts-ttf package on both sides, so output does not
 * depend on the machine's fonts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { packageDir } from '../resolve.ts';
import { FONT_FAMILY } from './kinds.ts';

/** Absolute path of DejaVuSans.ttf in node_modules/dejavu-fonts-ttf/ttf. */
export const FONT_FILE = join(packageDir('dejavu-fonts-ttf'), 'ttf', 'DejaVuSans.ttf');

/** The spec with config.font set to DejaVu Sans unless it sets a font itself. */
function withFont(spec: object): TopLevelSpec {
  const s = spec as Record<string, unknown>;
  const config = (s.config ?? {}) as Record<string, unknown>;
  if (config.font !== undefined) return spec as TopLevelSpec;
  return { ...s, config: { ...config, font: FONT_FAMILY } } as unknown as TopLevelSpec;
}

/** Compile a vega-lite spec to vega and render it to an SVG string, headless. */
export async function specToSvg(spec: object): Promise<string> {
  const vg = compile(withFont(spec)).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG with resvg using only the bundled DejaVu Sans; scale 2 gives a sharp figure. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    font: { fontFiles: [FONT_FILE], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return r.render().asPng();
}

/** The spec as pretty JSON and its SVG, without touching the disk (for the HTML report). */
export async function renderSpecToStrings(spec: object): Promise<{ vl: string; svg: string }> {
  return { vl: JSON.stringify(spec, null, 2) + '\n', svg: await specToSvg(spec) };
}

/**
 * Write `<outBase>.vl.json` (the spec as given), `<outBase>.svg` and
 * `<outBase>.png`; returns the three paths. Creates the folder if needed.
 */
export async function renderSpec(spec: object, outBase: string): Promise<{ svg: string; png: string; vl: string }> {
  const { vl, svg } = await renderSpecToStrings(spec);
  mkdirSync(dirname(outBase), { recursive: true });
  const paths = { vl: `${outBase}.vl.json`, svg: `${outBase}.svg`, png: `${outBase}.png` };
  writeFileSync(paths.vl, vl);
  writeFileSync(paths.svg, svg);
  writeFileSync(paths.png, svgToPng(svg));
  return paths;
}
