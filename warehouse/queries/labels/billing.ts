import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams, type ScopeParams } from '../../scope.ts';
import { labelledRows, labelParams, labelRows, matchesAsked } from './intervals.ts';

/**
 * Charged messages and conversations of a month by the labels their customer had when they were
 * charged (a message at its charge time, a conversation at its first status), read from the
 * billing facts; the customer of a fact is the recipient its statuses name. A message fact holds
 * only the keyed substitute of its wamid (facts outlive erasure): its customer is found in
 * billing_message_customers_v1, written with the accounting copy of each status under the same key.
 * Counts only: the volume tier and the free tier are the WABA's, not a label's, so amounts stay in
 * the charges report.
 */

const MONTH = `month = {month:String} AND counted = 1 AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()}`;

/**
 * Statuses that can name a charge of the month (partitions by month): a conversation's first status
 * is in the WABA's local month (within 14 h of the UTC one); a message is charged within days of its
 * first status.
 */
const AROUND_MONTH = `ts >= toDateTime64({month:String} || '-01', 3, 'UTC') - INTERVAL 31 DAY AND ts < toDateTime64({month:String} || '-01', 3, 'UTC') + INTERVAL 62 DAY`;

/**
 * Customers whose rows can carry a label: with asked labels, those who ever had one of them; else
 * those who ever had any (a row of anyone else is under '' whatever the items say).
 */
const LABELLED_CUSTOMERS = `wa_id IN (SELECT wa_id FROM {{db}}.label_events_v1 WHERE empty({labels:Array(String)}) OR ${matchesAsked('label')})`;

/** Who each of the month's charged messages went to (those who can carry a label): `waba_id, message_key, customer`. */
const CUSTOMERS = `SELECT waba_id, message_key, any(wa_id) AS customer FROM {{db}}.billing_message_customers_v1
  WHERE ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND ${AROUND_MONTH} AND ${LABELLED_CUSTOMERS}
    -- Only the month's charged messages, by a hash of the key (a set of numbers, not of long
    -- strings); the join on the key decides.
    AND cityHash64(message_key) IN (SELECT cityHash64(wamid) FROM {{db}}.billing_messages_v1 FINAL WHERE ${MONTH})
  GROUP BY waba_id, message_key`;

/**
 * Message facts of the month (`rows`, a SELECT with `waba_id` and `wamid`, the keyed substitute)
 * with the customer each went to as `wa_id` ('' for one nobody labelled), ready for
 * `labelledRows(…, 'charge_ts', …)`: the facts are read once, not joined again to themselves.
 */
export function withCustomers(rows: string): string {
  return `SELECT m.*, s.customer AS wa_id FROM (${rows}) AS m
LEFT JOIN (${CUSTOMERS}) AS s ON s.waba_id = m.waba_id AND s.message_key = m.wamid`;
}

export const conversationItems = `
SELECT c.conversation_id AS item_id, c.waba_id AS waba_id, s.wa_id AS wa_id, c.first_ts AS at
FROM (SELECT conversation_id, waba_id, first_ts FROM {{db}}.billing_conversations_v1 FINAL WHERE ${MONTH}) AS c
INNER JOIN (SELECT conversation_id, any(if(recipient_id != '', recipient_id, recipient_user_id)) AS wa_id FROM {{db}}.statuses_v1
            WHERE conversation_id != '' AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND ${AROUND_MONTH}
            GROUP BY conversation_id) AS s ON s.conversation_id = c.conversation_id`;

/**
 * With asked labels, rows under none of them are left out (and with `all`, rows without every one);
 * without, they are the '' label (`labelRows`).
 */
const messageRows = labelledRows(withCustomers(`SELECT wamid, waba_id, charge_ts, pricing_model, category, billable FROM {{db}}.billing_messages_v1 FINAL WHERE ${MONTH}`), 'charge_ts', true);
const conversationRows = labelRows('c', 'conversation_id', conversationItems);

const byLabel = defineQuery({
  name: 'labels.billing_counts',
  sql: `SELECT * FROM (
SELECT label, 'message' AS kind, pricing_model, category, count() AS count, countIf(billable = 1) AS billable_count, countIf(billable = 0) AS free_count
FROM (${messageRows})
GROUP BY label, kind, pricing_model, category
UNION ALL
SELECT label, 'conversation' AS kind, pricing_model, category, count() AS count, countIf(billable = 1) AS billable_count, countIf(billable = 0) AS free_count
FROM (SELECT conversation_id, pricing_model, category, billable FROM {{db}}.billing_conversations_v1 FINAL WHERE ${MONTH}) ${conversationRows.join}
WHERE ${conversationRows.labelled}
GROUP BY label, kind, pricing_model, category
) ORDER BY label, kind, pricing_model, category`,
  params: z.object({ month: z.string(), waba: z.string().default(''), ...labelParams, ...scopeParams.shape }),
  row: z.object({
    label: z.string(), kind: z.string(), pricing_model: z.string(), category: z.string(),
    count: z.coerce.number(), billable_count: z.coerce.number(), free_count: z.coerce.number(),
  }),
  format: 'compact',
});

export type LabelBillingRow = Awaited<ReturnType<typeof byLabel>>[number];

/** The month's charged messages and conversations by label. */
export function billingByLabel(
  wh: Warehouse,
  f: { month: string; waba?: string; labels: string[]; label_match: 'any' | 'all' } & ScopeParams,
): Promise<LabelBillingRow[]> {
  return byLabel(wh, f);
}
