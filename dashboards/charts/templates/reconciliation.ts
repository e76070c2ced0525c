import { rowsChart } from '../spec.ts';
import { tableSpec, type TableColumn } from '../table.ts';

/** One template and UTC day where Meta's imported template_analytics and our counts differ (the reconciliation report's row). */
export interface TemplateReconciliationRow {
  day: string;
  template: string;
  language: string;
  template_id: string;
  meta_sent: number;
  sent: number;
  meta_delivered: number;
  delivered: number;
  meta_read: number;
  read: number;
  meta_clicked: number;
  clicked: number;
  meta_cost: number | null;
  cost: number;
  status: string;
}

const pair = (meta: number | null, ours: number) => `${meta ?? '–'} / ${ours}`;
const money = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);

const COLUMNS: Array<TableColumn<TemplateReconciliationRow>> = [
  { title: 'day', value: (r) => r.day },
  { title: 'template', value: (r) => (r.template ? `${r.template}${r.language ? ` · ${r.language}` : ''}` : `id ${r.template_id}`).slice(0, 32) },
  { title: 'sent (Meta / ours)', value: (r) => pair(r.meta_sent, r.sent) },
  { title: 'delivered', value: (r) => pair(r.meta_delivered, r.delivered) },
  { title: 'read', value: (r) => pair(r.meta_read, r.read) },
  { title: 'clicked', value: (r) => pair(r.meta_clicked, r.clicked) },
  { title: 'cost', value: (r) => pair(money(r.meta_cost), money(r.cost)!) },
  { title: 'status', value: (r) => r.status.replace('_', ' ') },
];

/** Rows in the table: the latest days first, so a long range shows what is recent. */
const SHOWN = 20;

export const templateReconciliationChart = rowsChart<TemplateReconciliationRow>({
  id: 'template-reconciliation',
  title: "Meta's template analytics against ours",
  description: "Per template and UTC day where Meta's imported template_analytics and our counts differ (Meta's figure first).",
  size: { width: 640, height: 260 },
  emptyMessage: "No differences: no template_analytics imported for this range, or Meta's numbers and ours agree.",
  build: (rows, ctx) => {
    const shown = [...rows].sort((a, b) => (a.day === b.day ? a.template.localeCompare(b.template) : a.day < b.day ? 1 : -1)).slice(0, SHOWN);
    return tableSpec(shown, COLUMNS, ctx, { title: "Meta's template analytics against ours", description: 'Template days where the numbers differ' });
  },
});
