import { frame, utcTime, type ChartDef, type ChartSpec } from '../spec.ts';

/** Free-tier use of one WABA in a CBP month: conversations per local day, the limit, and the day it ran (or runs) out. */
export interface FreeTierInput {
  limit: number | null;
  days: ReadonlyArray<{ day: string; used: number }>;
  /** The day the free tier is (or is forecast to be) exhausted, if it is within the month. */
  exhaustedOn: string | null;
}

/** Running total of free-tier conversations, day by day (the report gives daily use). */
export function cumulative(days: FreeTierInput['days']): Array<{ day: string; used: number; cumulative: number }> {
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
  description: 'Cumulative conversations this month against the free tier, with the day it runs out.',
  size: { width: 640, height: 280 },
  emptyMessage: 'No free tier applies to this range (per-message pricing has none), or nothing was counted yet.',
  isEmpty: (input) => input.limit == null || input.days.length === 0,
  build: (input, ctx): ChartSpec => {
    const x = { field: 'day', type: 'temporal', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } } as const;
    const layers: unknown[] = [
      {
        data: { values: cumulative(input.days) },
        mark: { type: 'area', line: true, point: true, opacity: 0.3 },
        encoding: {
          x,
          y: { field: 'cumulative', type: 'quantitative', title: 'conversations this month' },
          tooltip: [
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
    if (input.exhaustedOn) {
      layers.push({
        data: { values: [{ day: input.exhaustedOn, label: `runs out ${input.exhaustedOn}` }] },
        layer: [
          { mark: { type: 'rule', color: '#f97316' }, encoding: { x } },
          { mark: { type: 'text', color: '#f97316', align: 'left', dx: 4, y: 8 }, encoding: { x, text: { field: 'label', type: 'nominal' } } },
        ],
      });
    }
    return { ...frame(ctx, 'Free tier', 'Cumulative free-tier use against the limit'), layer: layers } as unknown as ChartSpec;
  },
};
