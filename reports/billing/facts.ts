import type { ConversationFactRow, ConversationSummary, MessageFactRow, MessageSummary } from '../../warehouse/queries/billing/facts.ts';
import { OTHER_MARKET, type MarketMatcher } from './markets.ts';
import { resolveConversationPricing, resolveMessagePricing, type PricingEra, PRICING_ERAS } from './rules.ts';
import type { LocalCalendar } from './zone.ts';

/**
 * Summaries of touched messages and conversations → billing fact rows. Pure: the WABA's calendar,
 * the market matcher and the pricing rules come in; the rows and the periods they touch go out.
 */

export interface FactContext {
  calendarOf(wabaId: string): LocalCalendar;
  markets: MarketMatcher;
  eras?: readonly PricingEra[];
}

/** 'waba_id|YYYY-MM': the unit the rollup recomputes. */
export const period = (waba: string, month: string) => `${waba}|${month}`;

/**
 * A charged message (NBP or PMP): once per wamid that carries pricing and has a delivered or read
 * status, charged at the earliest of those in the WABA's zone. Meta charges on delivery: a priced
 * `sent` alone (never delivered, or failed afterwards) is not a charge (docs/BILLING.md, "Charged
 * message"). Returns null when the wamid is not a charged message and never was one.
 */
export function messageFact(s: MessageSummary, ctx: FactContext): MessageFactRow | null {
  const chargeMs = s.delivered_ms ?? s.sent_ms ?? s.first_ms;
  const cal = ctx.calendarOf(s.waba_id);
  const date = cal.date(chargeMs);
  const pricing = resolveMessagePricing(
    { model: s.model, category: s.category, type: s.type, billable: s.billable < 0 ? null : s.billable === 1, originType: s.origin_type },
    date,
    ctx.eras ?? PRICING_ERAS,
  );
  const isCharge = s.has_pricing === 1 && s.delivered_ms !== null && pricing.model !== 'CBP';
  if (!isCharge && !s.old_month) return null;
  return {
    waba_id: s.waba_id,
    wamid: s.wamid,
    phone_number_id: s.phone_number_id,
    month: date.slice(0, 7),
    day: date,
    charge_ts: chargeMs,
    pricing_model: pricing.model,
    category: pricing.category,
    type: pricing.type,
    billable: pricing.billable ? 1 : 0,
    counted: isCharge ? 1 : 0,
    market: s.market || OTHER_MARKET,
    source_received_at: s.version_ms,
    // Looked up as the fact is written (reports/billing/facts-job.ts).
    label_set: '0',
  };
}

/** A CBP conversation: distinct id, in the month of its earliest status in the WABA's zone. */
export function conversationFact(s: ConversationSummary, ctx: FactContext): ConversationFactRow | null {
  const cal = ctx.calendarOf(s.waba_id);
  const date = cal.date(s.first_ms);
  const pricing = resolveConversationPricing(
    { model: s.model, category: s.category, type: '', billable: s.billable < 0 ? null : s.billable === 1, originType: s.origin_type },
    date,
    ctx.eras ?? PRICING_ERAS,
  );
  const isConversation = pricing.model === 'CBP';
  if (!isConversation && !s.old_month) return null;
  return {
    waba_id: s.waba_id,
    conversation_id: s.conversation_id,
    phone_number_id: s.phone_number_id,
    month: date.slice(0, 7),
    day: date,
    first_ts: s.first_ms,
    pricing_model: pricing.model,
    category: pricing.category,
    billable: pricing.billable === null ? null : pricing.billable ? 1 : 0,
    draws_on_free_tier: pricing.drawsOnFreeTier ? 1 : 0,
    counted: isConversation ? 1 : 0,
    market: s.market || OTHER_MARKET,
    source_received_at: s.version_ms,
  };
}

export interface Rebuilt<F> {
  waba_id: string;
  old_month: string;
  old_version_ms: number;
  fact: F | null;
}

/**
 * Facts that differ from the stored ones. A fact rebuilt from the same statuses (an overlapping
 * window, a second instance) has the same version and month and is left alone, unless `force`
 * (a rebuild after the rules, zones or market mapping changed).
 */
export function changedFacts<F extends { month: string; source_received_at: number }>(rebuilt: Iterable<Rebuilt<F>>, force = false): Array<Rebuilt<F>> {
  const out: Array<Rebuilt<F>> = [];
  for (const r of rebuilt) {
    if (r.fact === null && !r.old_month) continue;
    const same = r.fact !== null && r.old_month === r.fact.month && r.old_version_ms === r.fact.source_received_at;
    if (force || !same) out.push(r);
  }
  return out;
}

/** The periods a batch of facts changes: where each fact was before and where it is now. */
export function touchedPeriods(pairs: Iterable<{ waba_id: string; old_month: string; fact: { month: string } | null }>): Set<string> {
  const out = new Set<string>();
  for (const p of pairs) {
    if (p.old_month) out.add(period(p.waba_id, p.old_month));
    if (p.fact) out.add(period(p.waba_id, p.fact.month));
  }
  return out;
}
