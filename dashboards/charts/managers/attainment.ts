import { frame, percent, rowsChart, type ChartSpec } from '../spec.ts';

/** Counts per SLA policy (and target kind): attainment is achieved / (achieved + breached). */
export interface AttainmentRow {
  policy: string;
  achieved: number;
  breached: number;
  open: number;
}

export interface AttainmentBar {
  policy: string;
  attainment: number;
  achieved: number;
  breached: number;
  open: number;
  label: string;
}

/** Open waits are not yet decided, so they stay out of the ratio but are shown in the label. */
export function attainmentBars(rows: readonly AttainmentRow[]): AttainmentBar[] {
  return rows
    .filter((r) => r.achieved + r.breached > 0)
    .map((r) => {
      const decided = r.achieved + r.breached;
      const attainment = percent(r.achieved, decided)!;
      return { policy: r.policy, attainment, achieved: r.achieved, breached: r.breached, open: r.open, label: `${attainment}% of ${decided}` };
    })
    .sort((a, b) => a.attainment - b.attainment || a.policy.localeCompare(b.policy));
}

export const attainmentChart = rowsChart<AttainmentRow>({
  id: 'attainment',
  title: 'SLA attainment by policy',
  description: 'Share of decided waits answered within the policy target (open waits excluded).',
  size: { width: 640, height: 260 },
  emptyMessage: 'No waits under an SLA policy have been decided in this range.',
  build: (rows, ctx): ChartSpec => {
    const bars = attainmentBars(rows);
    // Worst policy first: the one to look at.
    const y = { field: 'policy', type: 'nominal', title: null, sort: null } as const;
    return {
      ...frame(ctx, 'SLA attainment by policy', 'Attainment percent per SLA policy'),
      data: { values: bars },
      layer: [
        {
          mark: { type: 'bar', color: '#2563eb' },
          encoding: {
            y,
            x: { field: 'attainment', type: 'quantitative', title: 'attainment (%)', scale: { domain: [0, 100] } },
            tooltip: [
              { field: 'policy', type: 'nominal' },
              { field: 'attainment', type: 'quantitative', title: 'attainment %' },
              { field: 'achieved', type: 'quantitative' },
              { field: 'breached', type: 'quantitative' },
              { field: 'open', type: 'quantitative', title: 'still open' },
            ],
          },
        },
        {
          mark: { type: 'text', align: 'right', dx: -4, color: 'white', fontWeight: 'bold' },
          encoding: { y, x: { field: 'attainment', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    } as unknown as ChartSpec;
  },
});
