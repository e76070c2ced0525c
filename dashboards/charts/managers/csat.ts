import { rowsChart } from '../spec.ts';
import { tableSpec, type TableColumn } from '../table.ts';

/** CSAT of one agent (the CSAT report grouped by agent). */
export interface CsatRow {
  agent: string;
  surveys: number;
  responses: number;
  satisfied: number;
  meanScore: number | null;
}

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((1000 * part) / whole) / 10}%` : null);

export const CSAT_COLUMNS: TableColumn<CsatRow>[] = [
  { title: 'agent', value: (r) => r.agent },
  { title: 'surveys', value: (r) => r.surveys },
  { title: 'answered', value: (r) => pct(r.responses, r.surveys) },
  { title: 'CSAT', value: (r) => pct(r.satisfied, r.responses) },
  { title: 'mean', value: (r) => (r.meanScore == null ? null : Math.round(r.meanScore * 10) / 10) },
];

export const csatChart = rowsChart<CsatRow>({
  id: 'csat',
  title: 'CSAT per agent',
  description: 'Survey answers credited to the agent who answered the chat before the survey: share answered, CSAT (4 or 5 of 5) and mean score.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No CSAT surveys sent in this range.',
  build: (rows, ctx) => tableSpec(rows.slice(0, 20), CSAT_COLUMNS, ctx, { title: 'CSAT per agent', description: 'CSAT per agent' }),
});
