import { frame, rowsChart, utcTime, type ChartSpec } from '../spec.ts';

/** A data-subject rights request (R14) with its legal due date (GDPR one month, LGPD 15 days). */
export interface RightsRequestRow {
  request_id: string;
  type: string;
  jurisdiction: string;
  received_at: string;
  due_at: string;
  completed_at: string | null;
  status: string;
}

export type RequestState = 'completed' | 'completed late' | 'open' | 'overdue';

/** The state that matters to the officer: done (in time or not), open, or past its due date. */
export function requestState(r: RightsRequestRow, now: Date): RequestState {
  const due = Date.parse(r.due_at);
  if (r.completed_at) return Date.parse(r.completed_at) <= due ? 'completed' : 'completed late';
  return now.getTime() > due ? 'overdue' : 'open';
}

export function requestBars(rows: readonly RightsRequestRow[], now: Date) {
  return rows.map((r) => ({
    request: `${r.type} ${r.request_id.slice(0, 8)}`,
    request_id: r.request_id,
    type: r.type,
    jurisdiction: r.jurisdiction,
    received_at: r.received_at,
    due_at: r.due_at,
    until: r.completed_at ?? now.toISOString(),
    completed_at: r.completed_at ?? '',
    state: requestState(r, now),
  }));
}

export const rightsRequestsChart = rowsChart<RightsRequestRow>({
  id: 'rights-requests',
  title: 'Rights requests and due dates',
  description: 'Each request from receipt to completion (or now), with its legal due date as a black tick.',
  size: { width: 640, height: 280 },
  emptyMessage: 'No rights requests in this range.',
  build: (rows, ctx): ChartSpec => {
    const y = { field: 'request', type: 'nominal', title: null, sort: { field: 'received_at' } } as const;
    return {
      ...frame(ctx, 'Rights requests and due dates', 'Request timelines against due dates'),
      data: { values: requestBars(rows, ctx.now) },
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.6 }, cornerRadius: 2 },
          encoding: {
            y,
            x: { field: 'received_at', type: 'temporal', title: null, scale: utcTime, axis: { format: '%d %b' } },
            x2: { field: 'until' },
            color: {
              field: 'state',
              type: 'nominal',
              title: null,
              scale: { domain: ['completed', 'completed late', 'open', 'overdue'], range: ['#16a34a', '#ca8a04', '#2563eb', '#dc2626'] },
            },
            tooltip: [
              { field: 'request_id', type: 'nominal', title: 'request' },
              { field: 'type', type: 'nominal' },
              { field: 'jurisdiction', type: 'nominal' },
              { field: 'received_at', type: 'nominal', title: 'received (UTC)' },
              { field: 'due_at', type: 'nominal', title: 'due (UTC)' },
              { field: 'completed_at', type: 'nominal', title: 'completed (UTC)' },
              { field: 'state', type: 'nominal' },
            ],
          },
        },
        {
          mark: { type: 'tick', color: '#111827', thickness: 2, bandSize: 16 },
          encoding: { y, x: { field: 'due_at', type: 'temporal', scale: utcTime } },
        },
      ],
    } as unknown as ChartSpec;
  },
});
