import type { MonthCount } from '../../warehouse/queries/billing/reports.ts';
import { freeTierLimit, type PricingEra, PRICING_ERAS } from './rules.ts';
import type { ColumnSpec } from '../format.ts';

/**
 * The conversations report: per WABA and local month, CBP conversations by category (with the free
 * tier) and charged messages (NBP, PMP) by category × market × type (with the volume tier).
 */

export interface ConversationCountRow {
  waba_id: string;
  month: string;
  pricing_model: string;
  category: string;
  market: string;
  type: string;
  count: number;
  billable_count: number;
  free_count: number;
  /** CBP: free conversations that month (null when the month had no free tier, or for messages). */
  free_tier_limit: number | null;
  /** CBP: this category's conversations that were free and drew on the free tier. */
  free_tier_used: number | null;
  /** CBP: free conversations left to the WABA that month (same on each of its rows). */
  free_tier_remaining: number | null;
  /** PMP: volume tier in force on the last day with charged messages of this category and market. */
  volume_tier: string;
}

export const CONVERSATION_COLUMNS: ColumnSpec[] = [
  { name: 'waba_id', type: 'String' },
  { name: 'month', type: 'String' },
  { name: 'pricing_model', type: 'String' },
  { name: 'category', type: 'String' },
  { name: 'market', type: 'String' },
  { name: 'type', type: 'String' },
  { name: 'count', type: 'UInt64' },
  { name: 'billable_count', type: 'UInt64' },
  { name: 'free_count', type: 'UInt64' },
  { name: 'free_tier_limit', type: 'Nullable(UInt64)' },
  { name: 'free_tier_used', type: 'Nullable(UInt64)' },
  { name: 'free_tier_remaining', type: 'Nullable(UInt64)' },
  { name: 'volume_tier', type: 'String' },
];

/**
 * `periodCounts`: the rows whose free-tier use is the WABA's for the month (the whole period's,
 * also when `counts` are a labelled subset of it): the free tier left is the WABA's, not a label's.
 */
export function conversationCounts(counts: readonly MonthCount[], eras: readonly PricingEra[] = PRICING_ERAS, periodCounts: readonly MonthCount[] = counts): ConversationCountRow[] {
  const usedByPeriod = new Map<string, number>();
  for (const c of periodCounts) {
    if (c.kind === 'conversation') usedByPeriod.set(`${c.waba_id}\0${c.month}`, (usedByPeriod.get(`${c.waba_id}\0${c.month}`) ?? 0) + c.free_tier_used);
  }
  return counts
    .map((c) => {
      const isConversation = c.kind === 'conversation';
      const limit = isConversation ? freeTierLimit(c.month, eras) : null;
      return {
        waba_id: c.waba_id, month: c.month, pricing_model: c.pricing_model, category: c.category,
        market: isConversation ? '' : c.market, type: isConversation ? '' : c.type,
        count: c.count, billable_count: c.billable_count, free_count: c.free_count,
        free_tier_limit: limit,
        free_tier_used: isConversation ? c.free_tier_used : null,
        free_tier_remaining: limit === null ? null : Math.max(0, limit - (usedByPeriod.get(`${c.waba_id}\0${c.month}`) ?? 0)),
        volume_tier: isConversation ? '' : c.volume_tier,
      };
    })
    .sort(
      (a, b) =>
        a.waba_id.localeCompare(b.waba_id) || a.month.localeCompare(b.month) || a.pricing_model.localeCompare(b.pricing_model) ||
        a.category.localeCompare(b.category) || a.market.localeCompare(b.market) || a.type.localeCompare(b.type),
    );
}

type DailyCount = Pick<MonthCount, 'waba_id' | 'month' | 'kind' | 'pricing_model' | 'category' | 'market' | 'type' | 'count' | 'billable_count' | 'free_count' | 'free_tier_used'> & { day: string; tier: string };

/**
 * Daily rows summed to the conversations report's grain (as the month_counts query does): market and
 * type for messages only, the volume tier of the last day that had one.
 */
export function monthCountsOf(daily: readonly DailyCount[]): MonthCount[] {
  const out = new Map<string, MonthCount & { tierDay: string }>();
  for (const d of daily) {
    const msg = d.kind === 'message';
    const market = msg ? d.market : '';
    const type = msg ? d.type : '';
    const key = [d.waba_id, d.month, d.kind, d.pricing_model, d.category, market, type].join('\0');
    let acc = out.get(key);
    if (!acc) {
      acc = { waba_id: d.waba_id, month: d.month, kind: d.kind, pricing_model: d.pricing_model, category: d.category, market, type, count: 0, billable_count: 0, free_count: 0, free_tier_used: 0, volume_tier: '', tierDay: '' };
      out.set(key, acc);
    }
    acc.count += d.count;
    acc.billable_count += d.billable_count;
    acc.free_count += d.free_count;
    acc.free_tier_used += d.free_tier_used;
    if (d.tier !== '' && d.day > acc.tierDay) {
      acc.volume_tier = d.tier;
      acc.tierDay = d.day;
    }
  }
  return [...out.values()].map(({ tierDay: _, ...c }) => c);
}
