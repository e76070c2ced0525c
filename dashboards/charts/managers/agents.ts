import { rowsChart } from '../spec.ts';
import { tableSpec } from '../table.ts';
import { busiest, RESPONDER_COLUMNS, TABLE_LIMIT, type ResponderRow } from './responder-table.ts';

export const agentsChart = rowsChart<ResponderRow>({
  id: 'agents',
  title: 'Per agent',
  description: `Waits answered by each agent (busiest ${TABLE_LIMIT}): p50/p90 response and SLA attainment.`,
  size: { width: 640, height: 300 },
  emptyMessage: 'No waits answered by a named agent in this range.',
  build: (rows, ctx) => tableSpec(busiest(rows), RESPONDER_COLUMNS, ctx, { title: 'Per agent', description: 'Response times per agent' }),
});
