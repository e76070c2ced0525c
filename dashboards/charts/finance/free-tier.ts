import { frame, utcTime, type ChartDef, type ChartSpec } from '../spec.ts';

/**
 * Free-tier use in a CBP month, one series per WABA (the tier is per WABA): conversations that draw
 * on it per local day, and the day it ran (or is forecast to run) out.
 */
export interface FreeTierSeries {
  waba: string;
  days: ReadonlyArray<{ day: string; used: number }>;
  exhaustedOn: string | null;
}

export interface FreeTierInput {
  limit: number | null;
  series: readonly FreeTierSeries[];
}

/** Running total of free-tier conversations, day by day (the report gives daily use). */
export function cumulative(days: FreeTierSeries['days']): Array<{ day: string; used: number; cumulative: number }> {
  let total = 0;
  return [...days]
    .sort((a, b) => a.day.localeCompare(b.day))
    .map((d) => {
      total += d.used;
      return { day: d.day, used: d.used, cumulative: total };
    });
}

export const freeTierChart: ChartDef<FreeTierInput> = {
  id: 'free-tier',
  title: 'Free tier',
  description: 'Conversations drawing on the monthly free tier, cumulated, against the limit, with the day it runs out.',
  size: { width: 640, height: 280 },
  emptyMessage: 'No free tier applies to this month (per-message pricing and service-free months have none), or nothing drew on it yet.',
  isEmpty: (input) => input.limit == null || !input.series.some((s) => s.days.some((d) => d.used > 0)),
  build: (input, ctx): ChartSpec => {
    const x = { field: 'day', type: 'temporal', title: null, scale: utcTime, axis: { format: '%d %b' } } as const;
    const points = input.series.flatMap((s) => cumulative(s.days).map((d) => ({ waba: s.waba, ...d })));
    const runsOut = input.series.filter((s) => s.exhaustedOn).map((s) => ({ waba: s.waba, day: s.exhaustedOn, label: `${s.waba}: runs out ${s.exhaustedOn}` }));
    const layers: unknown[] = [
      {
        data: { values: points },
        mark: { type: 'line', point: true, strokeWidth: 2, interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'cumulative', type: 'quantitative', title: 'free-tier conversations this month' },
          color: { field: 'waba', type: 'nominal', title: null },
          tooltip: [
            { field: 'waba', type: 'nominal', title: 'WABA' },
            { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
            { field: 'used', type: 'quantitative', title: 'that day' },
            { field: 'cumulative', type: 'quantitative', title: 'month to date' },
          ],
        },
      },
      {
        data: { values: [{ limit: input.limit, label: `free tier: ${input.limit}` }] },
        layer: [
          { mark: { type: 'rule', color: '#dc2626', strokeDash: [6, 4] }, encoding: { y: { field: 'limit', type: 'quantitative' } } },
          {
            mark: { type: 'text', color: '#dc2626', align: 'left', dy: -6, x: 4 },
            encoding: { y: { field: 'limit', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
    ];
    if (runsOut.length) {
      layers.push({
        data: { values: runsOut },
        layer: [
          { mark: { type: 'rule', color: '#f97316', strokeDash: [2, 2] }, encoding: { x } },
          {
            mark: { type: 'text', color: '#9a3412', align: 'right', dx: -4, y: 8 },
            encoding: { x, text: { field: 'label', type: 'nominal' } },
          },
        ],
      });
    }
    return { ...frame(ctx, 'Free tier', 'Cumulative free-tier use against the limit'), layer: layers } as unknown as ChartSpec;
  },
};
