import type { ChartDef } from '../spec.ts';
import { rowsChart } from '../spec.ts';
import { tableSpec, type TableColumn } from '../table.ts';

/** One announcement of the firing history (reports/alerts/history.ts), as the viewer may read it. */
export interface FiringRow {
  at: string;
  rule_id: string;
  title: string;
  state: string;
  count: number;
  waba_ids: string;
}

const COLUMNS: Array<TableColumn<FiringRow>> = [
  { title: 'when (UTC)', value: (r) => r.at.slice(0, 16).replace('T', ' ') },
  { title: 'alert', value: (r) => r.title.slice(0, 44) },
  { title: 'rule', value: (r) => r.rule_id.slice(0, 24) },
  { title: 'state', value: (r) => r.state },
  { title: 'items', value: (r) => r.count },
  { title: 'WABAs', value: (r) => r.waba_ids.slice(0, 32) || 'service' },
];

/** The same panel on each audience's dashboard (chart ids are unique across the catalogue). */
export function alertFiringsChart(dashboard: string): ChartDef<readonly FiringRow[]> {
  return rowsChart<FiringRow>({
    id: `alerts-${dashboard}`,
    title: 'Alerts: current and recent',
    description: 'Firings and resolutions of the last 7 days of the alert rules meant for you, in the WABAs you may see, newest first.',
    size: { width: 640, height: 260 },
    emptyMessage: 'No alert for you fired or resolved in the last 7 days.',
    build: (rows, ctx) => tableSpec(rows.slice(0, 10), COLUMNS, ctx, { title: 'Alerts: current and recent', description: 'Newest first; a firing without a later resolution still holds' }),
  });
}
