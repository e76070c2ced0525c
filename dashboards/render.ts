import { parse, View, type LoggerInterface } from 'vega';
import { compile } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import type { ChartSize, ChartSpec } from './charts/spec.ts';

export const MIN_SIDE = 120;
export const MAX_SIDE = 2400;
export const MAX_SCALE = 4;

/** Picture size from the query (`width`, `height`, `scale`), clamped; the chart's own size by default. */
export function pictureSize(raw: Record<string, unknown>, fallback: ChartSize): { size: ChartSize; scale: number } {
  const num = (v: unknown, dflt: number, min: number, max: number) => {
    const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : dflt;
  };
  return {
    size: { width: Math.round(num(raw.width, fallback.width, MIN_SIDE, MAX_SIDE)), height: Math.round(num(raw.height, fallback.height, MIN_SIDE, MAX_SIDE)) },
    scale: num(raw.scale, 1, 1, MAX_SCALE),
  };
}

/**
 * Renders a spec to SVG with vega's headless view (no browser, no canvas: text widths are
 * estimated). Specs carry their data inline, so the view never loads anything.
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const vega = compile(spec, { logger: silentLogger }).spec;
  const view = new View(parse(vega), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG → PNG with resvg; `scale` 2 gives a sharp picture for mail on high-density screens. */
export function svgToPng(svg: string, scale = 1): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** Vega-Lite's warnings (e.g. a dropped property) are for spec authors; the schema test covers them. */
const silentLogger: LoggerInterface = {
  level() {
    return silentLogger;
  },
  info() {
    return silentLogger;
  },
  warn() {
    return silentLogger;
  },
  debug() {
    return silentLogger;
  },
  error(...args: readonly unknown[]) {
    throw new Error(String(args[0]));
  },
} as LoggerInterface;
