import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/** An unanswered chat whose 24-hour customer-service window closes soon. */
export interface WindowClosingRow {
  contact: string;
  phone_number_id: string;
  last_customer_message_at: string;
  window_closes_at: string;
}

/** Hours left before only a paid template can reach the customer; closed windows drop out. */
export function windowBars(rows: readonly WindowClosingRow[], now: Date) {
  return rows
    .map((r) => ({
      chat: `${r.contact} · …${r.phone_number_id.slice(-4)}`,
      contact: r.contact,
      phone_number_id: r.phone_number_id,
      window_closes_at: r.window_closes_at,
      hours_left: Math.round(((Date.parse(r.window_closes_at) - now.getTime()) / 3_600_000) * 100) / 100,
    }))
    .filter((r) => r.hours_left > 0)
    .sort((a, b) => a.hours_left - b.hours_left)
    .slice(0, 25)
    .map((r) => ({ ...r, urgency: r.hours_left < 1 ? 'under 1 h' : 'under 4 h' }));
}

export const windowClosingChart = rowsChart<WindowClosingRow>({
  id: 'window-closing',
  title: 'Window closing soon',
  description: 'Unanswered chats whose 24-hour customer-service window closes within hours.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No unanswered chat is about to leave its 24-hour window.',
  isEmpty: (rows, ctx) => windowBars(rows, ctx.now).length === 0,
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Window closing soon', 'Hours left in the customer-service window'),
      data: { values: windowBars(rows, ctx.now) },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'chat', type: 'nominal', title: null, sort: 'x' },
        x: { field: 'hours_left', type: 'quantitative', title: 'hours left in the window' },
        color: { field: 'urgency', type: 'nominal', title: null, scale: { domain: ['under 1 h', 'under 4 h'], range: ['#dc2626', '#f97316'] } },
        tooltip: [
          { field: 'contact', type: 'nominal' },
          { field: 'phone_number_id', type: 'nominal', title: 'phone number id' },
          { field: 'window_closes_at', type: 'nominal', title: 'closes (UTC)' },
          { field: 'hours_left', type: 'quantitative', title: 'hours left' },
        ],
      },
    }) as unknown as ChartSpec,
});
