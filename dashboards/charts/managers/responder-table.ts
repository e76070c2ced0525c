import { minutes } from '../spec.ts';
import type { TableColumn } from '../table.ts';

/** Response times of one agent or team (seconds), as the SLA aggregates give them. */
export interface ResponderRow {
  name: string;
  n: number;
  p50: number | null;
  p90: number | null;
  achieved: number;
  breached: number;
}

export const TABLE_LIMIT = 20;

const fmtMinutes = (s: number | null) => {
  const m = minutes(s);
  return m == null ? null : `${m} min`;
};

export const RESPONDER_COLUMNS: TableColumn<ResponderRow>[] = [
  { title: 'name', value: (r) => r.name || '(none)' },
  { title: 'waits', value: (r) => r.n },
  { title: 'p50', value: (r) => fmtMinutes(r.p50) },
  { title: 'p90', value: (r) => (r.n >= 10 ? fmtMinutes(r.p90) : null) },
  {
    title: 'attainment',
    value: (r) => (r.achieved + r.breached > 0 ? `${Math.round((r.achieved / (r.achieved + r.breached)) * 1000) / 10}%` : null),
  },
  { title: 'breached', value: (r) => r.breached },
];

/** Busiest first; ties by name so the picture is stable. */
export function busiest(rows: readonly ResponderRow[]): ResponderRow[] {
  return [...rows].sort((a, b) => b.n - a.n || a.name.localeCompare(b.name)).slice(0, TABLE_LIMIT);
}
