import { rowsChart } from '../spec.ts';
import { tableSpec } from '../table.ts';
import { busiest, RESPONDER_COLUMNS, TABLE_LIMIT, type ResponderRow } from './responder-table.ts';

export const teamsChart = rowsChart<ResponderRow>({
  id: 'teams',
  title: 'Per team',
  description: `Waits of each team (busiest ${TABLE_LIMIT}): p50/p90 response and SLA attainment.`,
  size: { width: 640, height: 200 },
  emptyMessage: 'No waits assigned to a team in this range.',
  build: (rows, ctx) => tableSpec(busiest(rows), RESPONDER_COLUMNS, ctx, { title: 'Per team', description: 'Response times per team' }),
});
