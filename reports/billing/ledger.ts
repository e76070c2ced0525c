import type { StatusRow } from '../../warehouse/tables.ts';
import { insertBillingStatuses, insertMessageCustomers, statusesLoadedIn, type BillingStatusRow, type MessageCustomerRow } from '../../warehouse/queries/billing/ledger.ts';
import type { BillingEnv } from './facts-job.ts';

/**
 * Billing facts are accounting records: they are derived from the accounting copy of each status
 * (billing_statuses_v1), which keeps what a charge needs and nothing personal — the wamid replaced
 * by its keyed substitute, the recipient by its market — under the accounting retention. So a
 * status past the personal tables' retention on arrival (an old archive replayed) still counts.
 *
 * Beside it, who each keyed message went to (billing_message_customers_v1, personal: kept and erased
 * like the statuses), so charges can be split by the customers' labels in the warehouse.
 */

type StatusLike = Pick<StatusRow, 'waba_id' | 'phone_number_id' | 'wamid' | 'status' | 'ts' | 'recipient_id' | 'recipient_user_id'
  | 'conversation_id' | 'conversation_origin_type' | 'pricing_billable' | 'pricing_model' | 'pricing_category' | 'pricing_type' | 'received_at'> & { loaded_at?: number };

/** Pure: the accounting rows of statuses (those with a message or conversation id). */
export function ledgerRows(statuses: readonly StatusLike[], env: Pick<BillingEnv, 'messageKey' | 'markets'>, loadedAt: number): BillingStatusRow[] {
  const out: BillingStatusRow[] = [];
  for (const s of statuses) {
    if (!s.wamid && !s.conversation_id) continue;
    out.push({
      waba_id: s.waba_id,
      phone_number_id: s.phone_number_id,
      message_key: s.wamid ? env.messageKey(s.wamid) : '',
      status: s.status,
      ts: s.ts,
      conversation_id: s.conversation_id,
      conversation_origin_type: s.conversation_origin_type,
      pricing_billable: s.pricing_billable,
      pricing_model: s.pricing_model,
      pricing_category: s.pricing_category,
      pricing_type: s.pricing_type,
      market: env.markets.marketOf(s.recipient_id, s.recipient_user_id),
      received_at: s.received_at,
      loaded_at: s.loaded_at ?? loadedAt,
    });
  }
  return out;
}

/** Pure: one row per keyed message of the statuses sent to one customer (its earliest status time). */
export function customerRows(statuses: readonly StatusLike[], env: Pick<BillingEnv, 'messageKey'>): MessageCustomerRow[] {
  const byKey = new Map<string, MessageCustomerRow>();
  for (const s of statuses) {
    const waId = s.recipient_id || s.recipient_user_id;
    if (!s.wamid || !waId) continue;
    const key = `${s.waba_id}\0${s.wamid}`;
    const had = byKey.get(key);
    if (!had) byKey.set(key, { waba_id: s.waba_id, message_key: env.messageKey(s.wamid), wa_id: waId, ts: s.ts });
    else if (s.ts < had.ts) had.ts = s.ts;
  }
  return [...byKey.values()];
}

/** What `recordLedger` writes: the accounting copy, who each message went to, or both. */
export type LedgerParts = 'both' | 'customers';

export async function recordLedger(env: BillingEnv, statuses: readonly StatusLike[], now = Date.now(), parts: LedgerParts = 'both'): Promise<void> {
  if (parts === 'both') await insertBillingStatuses(env.wh, ledgerRows(statuses, env, now));
  await insertMessageCustomers(env.wh, customerRows(statuses, env));
}

/** Copies the statuses stored in a window into the ledger (idempotent: rows collapse on their key). */
export async function backfillLedger(env: BillingEnv, fromMs: number, toMs: number, pageSize = 50_000, parts: LedgerParts = 'both'): Promise<number> {
  let after = { after_waba: '', after_phone: '', after_wamid: '', after_status: '', after_ts: 0 };
  let copied = 0;
  for (;;) {
    const page = await statusesLoadedIn(env.wh, { from_ms: fromMs, to_ms: toMs, ...after, limit: pageSize });
    await recordLedger(env, page, Date.now(), parts);
    copied += page.length;
    if (page.length < pageSize) return copied;
    const last = page.at(-1)!;
    after = { after_waba: last.waba_id, after_phone: last.phone_number_id, after_wamid: last.wamid, after_status: last.status, after_ts: last.ts };
  }
}
