import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams, type ScopeParams } from '../../scope.ts';
import { labelParams, labelRows, labelSetRows } from './intervals.ts';

/**
 * Charged messages and conversations of a month by the labels their customer had when they were
 * charged (a message at its charge time, a conversation at its first status), read from the
 * billing facts; the customer of a fact is the recipient its statuses name. A message fact stores
 * the label set in force at its charge (`label_set`, warehouse/queries/labels/charge-sets.ts): it
 * holds only the keyed substitute of its wamid (facts outlive erasure), and its customer is in
 * billing_message_customers_v1, read when the fact is written rather than by every report.
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

export const conversationItems = `
SELECT c.conversation_id AS item_id, c.waba_id AS waba_id, s.wa_id AS wa_id, c.first_ts AS at
FROM (SELECT conversation_id, waba_id, first_ts FROM {{db}}.billing_conversations_v1 FINAL WHERE ${MONTH}) AS c
INNER JOIN (SELECT conversation_id, any(if(recipient_id != '', recipient_id, recipient_user_id)) AS wa_id FROM {{db}}.statuses_v1
            WHERE conversation_id != '' AND ({waba:String} = '' OR waba_id = {waba:String}) AND ${inScope()} AND ${AROUND_MONTH}
              -- Only the month's conversations (none in a month priced per message: nothing grouped).
              AND conversation_id IN (SELECT conversation_id FROM {{db}}.billing_conversations_v1 FINAL WHERE ${MONTH})
            GROUP BY conversation_id) AS s ON s.conversation_id = c.conversation_id`;

/**
 * With asked labels, rows under none of them are left out (and with `all`, rows without every one);
 * without, they are the '' label (`labelRows`).
 */
const messageRows = labelSetRows(`SELECT wamid, waba_id, charge_ts, pricing_model, category, billable, label_set FROM {{db}}.billing_messages_v1 FINAL WHERE ${MONTH}`, true);
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
