import { frame, rowsChart, type ChartSpec } from '../spec.ts';

/** An open wait right now; `contact` is already a pseudonym unless the viewer may see personal data. */
export interface WaitingRow {
  contact: string;
  phone_number_id: string;
  team: string | null;
  started_at: string;
  due_at: string | null;
}

export const WAITING_LIMIT = 25;

/** Longest waits first, elapsed in minutes at `now`, and whether the target has passed. */
export function waitingBars(rows: readonly WaitingRow[], now: Date) {
  return rows
    .map((r) => {
      const elapsed = Math.max(0, (now.getTime() - Date.parse(r.started_at)) / 60000);
      const overdue = r.due_at != null && Date.parse(r.due_at) <= now.getTime();
      return {
        // A customer can wait on two of the business's numbers at once: one bar each.
        chat: `${r.contact} · …${r.phone_number_id.slice(-4)}`,
        contact: r.contact,
        phone_number_id: r.phone_number_id,
        team: r.team ?? '',
        started_at: r.started_at,
        due_at: r.due_at ?? '',
        waiting_minutes: Math.round(elapsed * 10) / 10,
        state: overdue ? 'past target' : 'within target',
      };
    })
    .sort((a, b) => b.waiting_minutes - a.waiting_minutes)
    .slice(0, WAITING_LIMIT);
}

/** Minutes read well up to a couple of hours; longer waits (abandoned chats) read better in hours. */
export function waitingUnit(bars: ReadonlyArray<{ waiting_minutes: number }>): { unit: 'minutes' | 'hours'; divisor: number } {
  const longest = Math.max(0, ...bars.map((b) => b.waiting_minutes));
  return longest > 180 ? { unit: 'hours', divisor: 60 } : { unit: 'minutes', divisor: 1 };
}

export const waitingNowChart = rowsChart<WaitingRow>({
  id: 'waiting-now',
  title: 'Waiting now',
  description: `Customers waiting for a reply (longest ${WAITING_LIMIT}), red once past the SLA target.`,
  size: { width: 640, height: 300 },
  emptyMessage: 'Nobody is waiting for a reply right now.',
  build: (rows, ctx): ChartSpec => {
    const bars = waitingBars(rows, ctx.now);
    const { unit, divisor } = waitingUnit(bars);
    return {
      ...frame(ctx, 'Waiting now', `How long each open wait has lasted (${unit})`),
      data: { values: bars.map((b) => ({ ...b, waiting: Math.round((b.waiting_minutes / divisor) * 10) / 10 })) },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'chat', type: 'nominal', title: null, sort: '-x' },
        x: { field: 'waiting', type: 'quantitative', title: `waiting (${unit})` },
        color: {
          field: 'state',
          type: 'nominal',
          title: null,
          scale: { domain: ['within target', 'past target'], range: ['#2563eb', '#dc2626'] },
        },
        tooltip: [
          { field: 'contact', type: 'nominal' },
          { field: 'phone_number_id', type: 'nominal', title: 'phone number id' },
          { field: 'team', type: 'nominal' },
          { field: 'started_at', type: 'nominal', title: 'waiting since (UTC)' },
          { field: 'due_at', type: 'nominal', title: 'due (UTC)' },
          { field: 'waiting_minutes', type: 'quantitative', title: 'minutes' },
        ],
      },
    } as unknown as ChartSpec;
  },
});
