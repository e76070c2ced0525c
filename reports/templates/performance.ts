import type { TemplateCell } from '../../warehouse/queries/templates/report.ts';
import { c, defineRows, type RowOf } from '../../warehouse/schema/columns.ts';
import { fromNano, type RateBook } from '../billing/rate-book.ts';
import type { ColumnSpec } from '../format.ts';
import type { Grouping } from './params.ts';

/**
 * Per template × language × category (and local day or campaign when asked): the funnel, failures,
 * opt-outs and what Meta charged, costed from the rate cards. Pure: cells from the warehouse and a
 * rate book in, rows out. A rate is always shown beside the counts it divides, never alone.
 */

export const TEMPLATE_ROWS = defineRows({
  waba_id: c.string,
  day: c.string,
  campaign: c.string,
  template: c.string,
  language: c.string,
  category: c.string,
  sent: c.uint64,
  delivered: c.uint64,
  read: c.uint64,
  replied: c.uint64,
  clicked: c.uint64,
  failed: c.uint64,
  failed_131049: c.uint64,
  failed_131050: c.uint64,
  opted_out: c.uint64,
  sent_not_delivered: c.uint64,
  charged: c.uint64,
  billable: c.uint64,
  unpriced: c.uint64,
  cost: c.float64,
  currency: c.string,
  untagged: c.uint64,
  from_send_log: c.uint64,
  delivery_rate: c.nullable(c.float64),
  read_rate: c.nullable(c.float64),
  reply_rate: c.nullable(c.float64),
  click_rate: c.nullable(c.float64),
  optout_rate: c.nullable(c.float64),
});
/** `label`: the customer's label at send time, only with group_by=label (a send under two labels counts in both). */
export type TemplateRow = RowOf<typeof TEMPLATE_ROWS> & { label?: string };

/** The export columns of a grouping: `day` and `campaign` only when grouped by them; `label` first when grouped by it. */
export function templateColumns(groupBy: readonly Grouping[]): ColumnSpec[] {
  const columns = TEMPLATE_ROWS.specs.filter((s) => (s.name !== 'day' && s.name !== 'campaign') || groupBy.includes(s.name));
  return groupBy.includes('label') ? [{ name: 'label', type: 'String' }, ...columns] : columns;
}

export interface CostContext {
  book: RateBook;
  currencyOf(wabaId: string): string;
}

const COUNTS = ['sent', 'delivered', 'read', 'replied', 'clicked', 'failed', 'failed_131049', 'failed_131050', 'opted_out', 'sent_not_delivered', 'charged'] as const;

const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 1e6) / 1e6 : null);

/**
 * A send Meta refused outright carries no pricing, so no category: it is put with its template's
 * priced sends of the same group (the category with the most sends), else left under ''.
 */
function withCategories(cells: readonly TemplateCell[], groupKey: (c: TemplateCell) => string): TemplateCell[] {
  const sums = new Map<string, Map<string, number>>();
  for (const c of cells) {
    if (c.category === '' || c.template === '') continue;
    const k = groupKey(c);
    const byCategory = sums.get(k) ?? new Map<string, number>();
    sums.set(k, byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + c.sent));
  }
  const best = new Map<string, { category: string; sent: number }>();
  for (const [k, byCategory] of sums) {
    for (const [category, sent] of byCategory) {
      const b = best.get(k);
      if (!b || sent > b.sent || (sent === b.sent && category < b.category)) best.set(k, { category, sent });
    }
  }
  return cells.map((c) => (c.category === '' && c.template !== '' ? { ...c, category: best.get(groupKey(c))?.category ?? '' } : c));
}

export function templateRows(cells: readonly TemplateCell[], groupBy: readonly Grouping[], ctx: CostContext): TemplateRow[] {
  const byDay = groupBy.includes('day');
  const byCampaign = groupBy.includes('campaign');
  const byLabel = groupBy.includes('label');
  const group = (c: TemplateCell) => [byLabel ? c.label : '', c.waba_id, byDay ? c.day : '', byCampaign ? c.campaign : '', c.template, c.language].join('\0');
  const rows = new Map<string, TemplateRow & { nano: bigint }>();
  for (const cell of withCategories(cells, group)) {
    const day = byDay ? cell.day : '';
    const campaign = byCampaign ? cell.campaign : '';
    const key = `${group(cell)}\0${cell.category}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        ...(byLabel ? { label: cell.label } : {}), waba_id: cell.waba_id, day, campaign, template: cell.template, language: cell.language, category: cell.category,
        sent: 0, delivered: 0, read: 0, replied: 0, clicked: 0, failed: 0, failed_131049: 0, failed_131050: 0, opted_out: 0,
        sent_not_delivered: 0, charged: 0, billable: 0, unpriced: 0, cost: 0, currency: ctx.currencyOf(cell.waba_id),
        untagged: 0, from_send_log: 0, delivery_rate: null, read_rate: null, reply_rate: null, click_rate: null, optout_rate: null,
        nano: 0n,
      };
      rows.set(key, r);
    }
    for (const k of COUNTS) r[k] += cell[k];
    if (cell.attribution === 'untagged') r.untagged += cell.sent;
    if (cell.attribution === 'send_log') r.from_send_log += cell.sent;
    if (cell.billable === 1 && cell.charged > 0) {
      r.billable += cell.charged;
      // Volume tiers are not applied here: the list rate of the card in force on the charge day.
      const price = ctx.book.price(r.currency, cell.charge_day, cell.market, cell.category, '');
      if (price) r.nano += price.nano * BigInt(cell.charged);
      else r.unpriced += cell.charged;
    }
  }
  return [...rows.values()].map(({ nano, ...r }) => ({
    ...r,
    cost: fromNano(nano),
    delivery_rate: ratio(r.delivered, r.sent),
    read_rate: ratio(r.read, r.delivered),
    reply_rate: ratio(r.replied, r.delivered),
    click_rate: ratio(r.clicked, r.delivered),
    optout_rate: ratio(r.opted_out, r.delivered),
  }));
}
