import { rowsChart } from '../spec.ts';
import { tableSpec, type TableColumn } from '../table.ts';

/** One click-to-WhatsApp ad over the range (the ads report's row). */
export interface AdTableRow {
  source_id: string;
  source_type: string;
  headline: string;
  referrals: number;
  answered: number;
  frt_p50_s: number | null;
  free_entry_point_messages: number;
}

const COLUMNS: Array<TableColumn<AdTableRow>> = [
  { title: 'ad', value: (r) => (r.headline ? `${r.headline} (${r.source_id})` : r.source_id).slice(0, 40) },
  { title: 'type', value: (r) => r.source_type },
  { title: 'referrals', value: (r) => r.referrals },
  { title: 'answered', value: (r) => `${r.answered} (${r.referrals > 0 ? Math.round((r.answered / r.referrals) * 100) : 0} %)` },
  { title: 'FRT p50 (min)', value: (r) => (r.frt_p50_s == null ? null : Math.round(r.frt_p50_s / 6) / 10) },
  { title: 'free entry point', value: (r) => r.free_entry_point_messages },
];

export const adsChart = rowsChart<AdTableRow>({
  id: 'ads',
  title: 'Click-to-WhatsApp ads',
  description: 'Per ad: conversations opened from it, how many were answered and how fast, free-entry-point messages.',
  size: { width: 640, height: 200 },
  emptyMessage: 'No conversations from ads in this range.',
  build: (rows, ctx) => tableSpec(rows.slice(0, 20), COLUMNS, ctx, { title: 'Click-to-WhatsApp ads', description: 'Ads and the conversations they opened' }),
});
