import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/**
 * Charged volume this month for a market–category pair (utility and authentication have tiers),
 * with the tier in force as Meta reports it: "LOWER:UPPER", UPPER possibly "MAX".
 */
export interface VolumeTierRow {
  month: string;
  market: string;
  category: string;
  volume: number;
  tier: string | null;
}

/** Parses "LOWER:UPPER" (UPPER may be MAX → null). */
export function parseTier(tier: string | null): { lower: number; upper: number | null } | null {
  const m = tier == null ? null : /^(\d+):(\d+|MAX)$/i.exec(tier.trim());
  if (!m) return null;
  return { lower: Number(m[1]), upper: /max/i.test(m[2]!) ? null : Number(m[2]) };
}

/** Pairs shown: the busiest ones, so every label fits the chart's height and stays readable. */
export const MAX_PAIRS = 12;

export function tierBars(rows: readonly VolumeTierRow[]) {
  return [...rows].sort((a, b) => b.volume - a.volume).slice(0, MAX_PAIRS).map((r) => {
    const t = parseTier(r.tier);
    return {
      pair: `${r.market} · ${r.category}`,
      month: r.month,
      volume: r.volume,
      tier: r.tier ?? 'unknown',
      tier_lower: t?.lower ?? null,
      tier_upper: t?.upper ?? null,
      label: t ? `tier ${t.lower.toLocaleString('en')}–${t.upper == null ? 'max' : t.upper.toLocaleString('en')}` : 'tier not reported',
    };
  });
}

export const volumeTierChart = rowsChart<VolumeTierRow>({
  id: 'volume-tier',
  title: 'Volume tier',
  description: 'Charged messages this month per market and category, with the volume tier in force (utility and authentication).',
  size: { width: 640, height: 260 },
  emptyMessage: 'No tiered (utility or authentication) charges this month.',
  build: (rows, ctx): ChartSpec => {
    const y = { field: 'pair', type: 'nominal', title: null, sort: null } as const;
    return {
      ...frame(ctx, 'Volume tier', `Charged volume this month against its volume tier (busiest ${MAX_PAIRS} pairs)`),
      data: { values: tierBars(rows) },
      layer: [
        {
          mark: { type: 'bar', color: '#2563eb' },
          encoding: {
            y,
            x: { field: 'volume', type: 'quantitative', title: 'charged messages this month' },
            tooltip: [
              { field: 'pair', type: 'nominal', title: 'market · category' },
              { field: 'month', type: 'nominal' },
              { field: 'volume', type: 'quantitative', format: ',' },
              { field: 'tier', type: 'nominal' },
            ],
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, color: '#374151' },
          encoding: { y, x: { field: 'volume', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    } as unknown as ChartSpec;
  },
});
