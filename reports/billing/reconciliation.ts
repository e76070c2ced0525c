import type { metaAnalyticsDays } from '../../warehouse/queries/billing/reconciliation.ts';
import type { DailyTotal } from '../../warehouse/queries/billing/reports.ts';
import { c, defineRows, type RowOf } from '../../warehouse/schema/columns.ts';
import type { ColumnSpec } from '../format.ts';
import { priceRow, type ChargeContext } from './charges.ts';
import { fromNano, toNano } from './rate-book.ts';
import { normalizeCategory } from './rules.ts';

/**
 * Reconciliation with Meta's own analytics: a saved `pricing_analytics` (PMP) or
 * `conversation_analytics` (CBP) Graph API response, set against our counts and charges per local
 * day and category. Meta calls its figures approximate; this shows where they and ours part.
 */

export type MetaSource = 'pricing_analytics' | 'conversation_analytics';

export interface MetaPoint {
  startMs: number;
  endMs: number;
  category: string;
  type: string;
  country: string;
  phone: string;
  tier: string;
  volume: number;
  cost: number | null;
}

export interface MetaAnalytics {
  wabaId: string;
  source: MetaSource;
  points: MetaPoint[];
}

export class AnalyticsFormatError extends Error {}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const number = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** Accepts the WABA node (`{id, pricing_analytics: {data: […]}}`), the edge (`{data: […]}`) or bare data points. */
export function parseMetaAnalytics(json: unknown): MetaAnalytics {
  const root = obj(json);
  if (!root) throw new AnalyticsFormatError('expected a JSON object from the Graph API');
  let source: MetaSource | undefined = root.pricing_analytics ? 'pricing_analytics' : root.conversation_analytics ? 'conversation_analytics' : undefined;
  const edge = obj(root.pricing_analytics) ?? obj(root.conversation_analytics) ?? root;
  const blocks = Array.isArray(edge.data) ? edge.data : Array.isArray(root.data_points) ? [root] : [];
  const raw: Obj[] = [];
  for (const b of blocks) for (const p of Array.isArray(obj(b)?.data_points) ? (obj(b)!.data_points as unknown[]) : []) if (obj(p)) raw.push(obj(p)!);
  if (raw.length === 0 && blocks.length === 0) throw new AnalyticsFormatError('no data[].data_points[] found: save the pricing_analytics or conversation_analytics response as returned');
  source ??= raw.some((p) => 'conversation' in p || 'conversation_category' in p) ? 'conversation_analytics' : 'pricing_analytics';
  const points = raw.map((p, i) => point(p, i, source!));
  return { wabaId: text(root.id), source, points };
}

function point(p: Obj, i: number, source: MetaSource): MetaPoint {
  const start = number(p.start);
  const end = number(p.end);
  if (start === null) throw new AnalyticsFormatError(`data point ${i + 1}: missing start`);
  const volume = number(source === 'pricing_analytics' ? p.volume : p.conversation);
  if (volume === null) throw new AnalyticsFormatError(`data point ${i + 1}: missing ${source === 'pricing_analytics' ? 'volume' : 'conversation'}`);
  const type = text(source === 'pricing_analytics' ? p.pricing_type : p.conversation_type).toLowerCase();
  let category = text(source === 'pricing_analytics' ? p.pricing_category : p.conversation_category);
  if (source === 'conversation_analytics') {
    // Free-entry-point conversations are `referral_conversion` in webhooks; before June 2023 only the direction existed.
    if (type === 'free_entry_point' || type === 'free_entry') category = 'referral_conversion';
    else if (!category || category.toUpperCase() === 'UNKNOWN') category = text(p.conversation_direction);
  }
  return {
    startMs: start * 1000,
    endMs: (end ?? start) * 1000,
    category: normalizeCategory(category),
    type: type === 'free_entry' ? 'free_entry_point' : type,
    country: text(p.country),
    phone: text(p.phone ?? p.phone_number),
    tier: text(p.tier),
    volume,
    cost: number(p.cost),
  };
}

/** Meta's and our figures for one WABA, source, local day and category: the row type and export columns. */
const RECONCILIATION = defineRows({
  waba_id: c.string,
  source: c.string,
  day: c.string,
  category: c.string,
  meta_count: c.float64,
  our_count: c.uint64,
  count_difference: c.float64,
  meta_cost: c.nullable(c.float64),
  our_amount: c.float64,
  cost_difference: c.nullable(c.float64),
  status: c.oneOf(c.string, ['match', 'differs', 'only_meta', 'only_ours']),
});
export type ReconciliationRow = RowOf<typeof RECONCILIATION>;
export const RECONCILIATION_COLUMNS: ColumnSpec[] = RECONCILIATION.specs;

/** Meta's figures for a day and category, as the warehouse reads them. */
export type StoredMetaPoint = Awaited<ReturnType<typeof metaAnalyticsDays>>[number];

/**
 * Meta's and our figures side by side per day and category, for the days Meta's import covers.
 * A cost is only compared where Meta gave one (partner-billed WABAs get none).
 */
export function reconcile(meta: readonly StoredMetaPoint[], ours: readonly DailyTotal[], charge: ChargeContext): ReconciliationRow[] {
  const rows = new Map<string, ReconciliationRow & { metaNano: bigint | null; ourNano: bigint }>();
  const covered = new Set<string>();
  const get = (waba: string, source: string, day: string, category: string) => {
    const key = [waba, source, day, category].join('\0');
    let r = rows.get(key);
    if (!r) {
      r = { waba_id: waba, source, day, category, meta_count: 0, our_count: 0, count_difference: 0, meta_cost: null, our_amount: 0, cost_difference: null, status: 'match', metaNano: null, ourNano: 0n };
      rows.set(key, r);
    }
    return r;
  };
  for (const m of meta) {
    covered.add(`${m.waba_id}\0${m.source}\0${m.day}`);
    const r = get(m.waba_id, m.source, m.day, m.category);
    r.meta_count += m.volume;
    if (m.cost !== null) r.metaNano = (r.metaNano ?? 0n) + toNano(m.cost.toFixed(8));
  }
  for (const d of ours) {
    const source = d.kind === 'conversation' ? 'conversation_analytics' : 'pricing_analytics';
    if (!covered.has(`${d.waba_id}\0${source}\0${d.day}`)) continue;
    const r = get(d.waba_id, source, d.day, d.category);
    r.our_count += d.count;
    r.ourNano += priceRow(d, charge).nano;
  }
  return [...rows.values()]
    .map(({ metaNano, ourNano, ...r }) => {
      const metaCost = metaNano === null ? null : fromNano(metaNano);
      const ourAmount = fromNano(ourNano);
      const costDiff = metaNano === null ? null : fromNano(ourNano - metaNano);
      const status: ReconciliationRow['status'] =
        r.meta_count === 0 && r.our_count > 0 ? 'only_ours'
        : r.our_count === 0 && r.meta_count > 0 ? 'only_meta'
        : r.our_count !== r.meta_count || (costDiff !== null && Math.abs(costDiff) >= 0.005) ? 'differs'
        : 'match';
      return { ...r, count_difference: r.our_count - r.meta_count, meta_cost: metaCost, our_amount: ourAmount, cost_difference: costDiff, status };
    })
    .sort((a, b) => a.waba_id.localeCompare(b.waba_id) || a.source.localeCompare(b.source) || a.day.localeCompare(b.day) || a.category.localeCompare(b.category));
}
