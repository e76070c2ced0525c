import type { DailyRow } from '../../warehouse/queries/billing/reports.ts';
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

export function conversationCounts(daily: readonly DailyRow[], eras: readonly PricingEra[] = PRICING_ERAS): ConversationCountRow[] {
  const rows = new Map<string, ConversationCountRow & { tierDay: string }>();
  const usedByPeriod = new Map<string, number>();
  for (const d of daily) {
    const isConversation = d.kind === 'conversation';
    const key = isConversation
      ? [d.waba_id, d.month, d.pricing_model, d.category].join('\0')
      : [d.waba_id, d.month, d.pricing_model, d.category, d.market, d.type].join('\0');
    let r = rows.get(key);
    if (!r) {
      const limit = isConversation ? freeTierLimit(d.month, eras) : null;
      r = {
        waba_id: d.waba_id, month: d.month, pricing_model: d.pricing_model, category: d.category,
        market: isConversation ? '' : d.market, type: isConversation ? '' : d.type,
        count: 0, billable_count: 0, free_count: 0,
        free_tier_limit: limit, free_tier_used: isConversation ? 0 : null, free_tier_remaining: null,
        volume_tier: '', tierDay: '',
      };
      rows.set(key, r);
    }
    r.count += d.count;
    r.billable_count += d.billable_count;
    r.free_count += d.free_count;
    if (isConversation) {
      r.free_tier_used! += d.free_tier_used;
      const p = `${d.waba_id}\0${d.month}`;
      usedByPeriod.set(p, (usedByPeriod.get(p) ?? 0) + d.free_tier_used);
    } else if (d.tier && d.day >= r.tierDay) {
      r.volume_tier = d.tier;
      r.tierDay = d.day;
    }
  }
  const out: ConversationCountRow[] = [];
  for (const { tierDay: _, ...r } of rows.values()) {
    if (r.free_tier_limit !== null) r.free_tier_remaining = Math.max(0, r.free_tier_limit - (usedByPeriod.get(`${r.waba_id}\0${r.month}`) ?? 0));
    out.push(r);
  }
  return out.sort(
    (a, b) =>
      a.waba_id.localeCompare(b.waba_id) || a.month.localeCompare(b.month) || a.pricing_model.localeCompare(b.pricing_model) ||
      a.category.localeCompare(b.category) || a.market.localeCompare(b.market) || a.type.localeCompare(b.type),
  );
}
