import type { TopLevelSpec } from 'vega-lite';

/**
 * A Vega-Lite spec with its data inlined: the same object drives the page, the pictures and the
 * snapshot. Builders cast their literals to it; the JSON-schema test is what checks them.
 */
export type ChartSpec = TopLevelSpec;

export interface ChartSize {
  width: number;
  height: number;
}

/** What every spec builder may know besides its rows. */
export interface ChartContext {
  size: ChartSize;
  /** The instant the data was read (live charts draw "now" lines from it). */
  now: Date;
}

export const SCHEMA_URL = 'https://vega.github.io/schema/vega-lite/v6.json';

/** One look for every chart: readable on screen and in a mailed PNG. */
const CONFIG = {
  font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e7eb', domainColor: '#9ca3af', tickColor: '#9ca3af' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'top' },
  title: { fontSize: 14, anchor: 'start' },
  range: { category: ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04', '#64748b'] },
} as const;

/**
 * The frame of a single-view or layered chart. `fit` with `contains: padding` makes the whole
 * picture exactly width × height, axes and legend included, so the pictures come out the asked size.
 */
export function frame(ctx: ChartContext, title: string, description: string) {
  return {
    $schema: SCHEMA_URL,
    title,
    description,
    width: ctx.size.width,
    height: ctx.size.height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 8,
    config: CONFIG,
  } as const;
}

/** What a chart shows when its report has no rows for the filters: a sentence, not a blank axis. */
export function emptySpec(ctx: ChartContext, title: string, message: string): ChartSpec {
  return {
    ...frame(ctx, title, message),
    data: { values: [{ message }] },
    mark: { type: 'text', fontSize: 14, color: '#6b7280' },
    encoding: { text: { field: 'message', type: 'nominal' } },
  } as unknown as ChartSpec;
}

/** Seconds → minutes with one decimal: response times read best in minutes on these charts. */
export function minutes(seconds: number | null | undefined): number | null {
  return seconds == null || !Number.isFinite(seconds) ? null : Math.round(seconds / 6) / 10;
}

/** Percent with one decimal, or null when there is nothing to divide. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;
}

/** A date-time axis in UTC (report days are calendar dates; the browser's zone must not shift them). */
export const utcTime = { type: 'utc' } as const;

/**
 * One chart of a dashboard: a pure builder from its report input to a spec. `isEmpty` decides
 * whether the page shows the chart or its empty-state sentence.
 */
export interface ChartDef<I> {
  id: string;
  title: string;
  description: string;
  /** Default picture size (the page overrides the width to fit its column). */
  size: ChartSize;
  /** Shown instead of the chart when the report has nothing for the filters. */
  emptyMessage: string;
  isEmpty(input: I, ctx: ChartContext): boolean;
  build(input: I, ctx: ChartContext): ChartSpec;
}

/** A chart whose input is a list of rows: empty when there are none. */
export function rowsChart<R>(
  def: Omit<ChartDef<readonly R[]>, 'isEmpty'> & { isEmpty?: ChartDef<readonly R[]>['isEmpty'] },
): ChartDef<readonly R[]> {
  return { isEmpty: (rows) => rows.length === 0, ...def };
}

/** The spec to send for a chart: its own, or the empty-state text. */
export function specFor<I>(chart: ChartDef<I>, input: I, ctx: ChartContext): { empty: boolean; spec: ChartSpec } {
  if (chart.isEmpty(input, ctx)) return { empty: true, spec: emptySpec(ctx, chart.title, chart.emptyMessage) };
  return { empty: false, spec: chart.build(input, ctx) };
}
