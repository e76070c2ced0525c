import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineInsert, defineQuery } from '../../query.ts';
import { BILLING_CONVERSATIONS, BILLING_JOB_STATE, BILLING_MESSAGES, type ConversationFactRow, type MessageFactRow } from '../../schema/billing.ts';

/**
 * The billing facts job's SQL: which statuses arrived in a window, each touched message's or
 * conversation's summary over all its statuses, and the fact rows it writes. Statuses are read from
 * their accounting copy (billing_statuses_v1: keyed message substitute, market, no personal data),
 * which outlives the personal tables' retention; a message is named by that substitute throughout. Windows are on
 * `loaded_at` (epoch ms); pages go by key so a backfill never holds every key at once.
 * Summaries read statuses without FINAL: every aggregate in them (min, argMin, "any row has…",
 * max(received_at)) gives the same answer whether Meta's duplicate deliveries are merged yet or not.
 */

const num = z.coerce.number();
const window = {
  from_ms: z.number().int(),
  to_ms: z.number().int(),
  after_waba: z.string(),
  after_key: z.string(),
};

// By when rows were stored (a body can wait in the ingest log after it was received).
const IN_WINDOW = `loaded_at > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND loaded_at <= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;
const HAS_PRICING = `(pricing_model != '' OR pricing_category != '' OR pricing_type != '' OR pricing_billable IS NOT NULL)`;
const BILLABLE8 = `if(isNull(pricing_billable), -1, toInt8(assumeNotNull(pricing_billable)))`;

/** Last key of the next page of touched messages (wamids with any status in the window). */
export const touchedMessagesPageEnd = defineQuery({
  name: 'billing.facts.touched_messages_page_end',
  sql: `SELECT waba_id, wamid AS key FROM (
          SELECT DISTINCT waba_id, message_key AS wamid FROM {{db}}.billing_statuses_v1
          WHERE ${IN_WINDOW} AND message_key != '' AND (waba_id, message_key) > ({after_waba:String}, {after_key:String})
          ORDER BY waba_id, wamid LIMIT {limit:UInt32})
        ORDER BY waba_id DESC, key DESC LIMIT 1`,
  params: z.object({ ...window, limit: z.number().int().positive() }),
  row: z.object({ waba_id: z.string(), key: z.string() }),
  connection: 'jobs',
});

const messagePage = `SELECT DISTINCT waba_id, message_key FROM {{db}}.billing_statuses_v1
  WHERE ${IN_WINDOW} AND message_key != '' AND (waba_id, message_key) > ({after_waba:String}, {after_key:String})
    AND (waba_id, message_key) <= ({upto_waba:String}, {upto_key:String})`;

export const messageSummarySchema = z.object({
  waba_id: z.string(),
  /** The keyed substitute of the wamid (never the wamid: it encodes the customer's number). */
  wamid: z.string(),
  phone_number_id: z.string(),
  market: z.string(),
  model: z.string(),
  category: z.string(),
  type: z.string(),
  billable: num,
  origin_type: z.string(),
  first_ms: num,
  sent_ms: num.nullable(),
  delivered_ms: num.nullable(),
  failed: num,
  has_pricing: num,
  version_ms: num,
  old_month: z.string(),
  /** Version of the stored fact (0: none yet). */
  old_version_ms: num,
});
export type MessageSummary = z.infer<typeof messageSummarySchema>;

/** Keys given explicitly (the billing follower: what one loaded batch touched). */
const KEY_LIST = '{keys:Array(Tuple(String, String))}';
const keyList = z.object({ keys: z.array(z.instanceof(TupleParam)) });

/**
 * Per wamid of a selection (`IN` a page subquery or a key list): the pricing it carries
 * (delivered/read row first), its times, failure, recipient, and the stored fact's month and version.
 */
const messageSummarySql = (keys: string) => `SELECT s.*, o.month AS old_month, toUnixTimestamp64Milli(o.source_received_at) AS old_version_ms FROM (
          SELECT waba_id, message_key AS wamid,
            argMin(phone_number_id, ts) AS phone_number_id,
            argMinIf(market, ts, market != '') AS market,
            argMinIf(pricing_model, (status = 'sent', ts), ${HAS_PRICING}) AS model,
            argMinIf(pricing_category, (status = 'sent', ts), ${HAS_PRICING}) AS category,
            argMinIf(pricing_type, (status = 'sent', ts), ${HAS_PRICING}) AS type,
            if(countIf(${HAS_PRICING}) > 0, argMinIf(${BILLABLE8}, (status = 'sent', ts), ${HAS_PRICING}), -1) AS billable,
            argMinIf(conversation_origin_type, ts, conversation_origin_type != '') AS origin_type,
            toUnixTimestamp64Milli(min(ts)) AS first_ms,
            if(countIf(status = 'sent') > 0, toUnixTimestamp64Milli(minIf(ts, status = 'sent')), NULL) AS sent_ms,
            if(countIf(status IN ('delivered', 'read')) > 0, toUnixTimestamp64Milli(minIf(ts, status IN ('delivered', 'read'))), NULL) AS delivered_ms,
            countIf(status = 'failed') > 0 AS failed,
            countIf(${HAS_PRICING}) > 0 AS has_pricing,
            toUnixTimestamp64Milli(max(received_at)) AS version_ms
          FROM {{db}}.billing_statuses_v1
          WHERE (waba_id, message_key) IN ${keys}
          GROUP BY waba_id, message_key
        ) AS s
        LEFT JOIN (
          SELECT waba_id, wamid, toString(month) AS month, source_received_at FROM {{db}}.billing_messages_v1 FINAL
          WHERE (waba_id, wamid) IN ${keys}
        ) AS o ON s.waba_id = o.waba_id AND s.wamid = o.wamid
        SETTINGS join_use_nulls = 0`;

export const messageSummaries = defineQuery({
  name: 'billing.facts.message_summaries',
  sql: messageSummarySql(`(${messagePage})`),
  params: z.object({ ...window, upto_waba: z.string(), upto_key: z.string() }),
  row: messageSummarySchema,
  connection: 'jobs',
});

/** The same summaries for (waba_id, wamid) pairs given as TupleParams. */
export const messageSummariesOf = defineQuery({
  name: 'billing.facts.message_summaries_of',
  sql: messageSummarySql(KEY_LIST),
  params: keyList,
  row: messageSummarySchema,
  connection: 'jobs',
});

export const touchedConversationsPageEnd = defineQuery({
  name: 'billing.facts.touched_conversations_page_end',
  sql: `SELECT waba_id, conversation_id AS key FROM (
          SELECT DISTINCT waba_id, conversation_id FROM {{db}}.billing_statuses_v1
          WHERE ${IN_WINDOW} AND conversation_id != '' AND pricing_model NOT IN ('PMP', 'NBP')
            AND (waba_id, conversation_id) > ({after_waba:String}, {after_key:String})
          ORDER BY waba_id, conversation_id LIMIT {limit:UInt32})
        ORDER BY waba_id DESC, key DESC LIMIT 1`,
  params: z.object({ ...window, limit: z.number().int().positive() }),
  row: z.object({ waba_id: z.string(), key: z.string() }),
  connection: 'jobs',
});

const conversationPage = `SELECT DISTINCT waba_id, conversation_id FROM {{db}}.billing_statuses_v1
  WHERE ${IN_WINDOW} AND conversation_id != '' AND pricing_model NOT IN ('PMP', 'NBP')
    AND (waba_id, conversation_id) > ({after_waba:String}, {after_key:String})
    AND (waba_id, conversation_id) <= ({upto_waba:String}, {upto_key:String})`;

export const conversationSummarySchema = z.object({
  waba_id: z.string(),
  conversation_id: z.string(),
  phone_number_id: z.string(),
  market: z.string(),
  model: z.string(),
  category: z.string(),
  billable: num,
  origin_type: z.string(),
  first_ms: num,
  version_ms: num,
  old_month: z.string(),
  /** Version of the stored fact (0: none yet). */
  old_version_ms: num,
});
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;

/**
 * Per conversation id of a selection: its earliest status, the pricing of its earliest priced
 * status, and the stored fact's month and version.
 */
const conversationSummarySql = (keys: string) => `SELECT s.*, o.month AS old_month, toUnixTimestamp64Milli(o.source_received_at) AS old_version_ms FROM (
          SELECT waba_id, conversation_id,
            argMin(phone_number_id, ts) AS phone_number_id,
            argMinIf(market, ts, market != '') AS market,
            argMinIf(pricing_model, ts, ${HAS_PRICING}) AS model,
            argMinIf(pricing_category, ts, ${HAS_PRICING}) AS category,
            if(countIf(${HAS_PRICING}) > 0, argMinIf(${BILLABLE8}, ts, ${HAS_PRICING}), -1) AS billable,
            argMinIf(conversation_origin_type, ts, conversation_origin_type != '') AS origin_type,
            toUnixTimestamp64Milli(min(ts)) AS first_ms,
            toUnixTimestamp64Milli(max(received_at)) AS version_ms
          FROM {{db}}.billing_statuses_v1
          WHERE (waba_id, conversation_id) IN ${keys}
          GROUP BY waba_id, conversation_id
        ) AS s
        LEFT JOIN (
          SELECT waba_id, conversation_id, toString(month) AS month, source_received_at FROM {{db}}.billing_conversations_v1 FINAL
          WHERE (waba_id, conversation_id) IN ${keys}
        ) AS o ON s.waba_id = o.waba_id AND s.conversation_id = o.conversation_id
        SETTINGS join_use_nulls = 0`;

export const conversationSummaries = defineQuery({
  name: 'billing.facts.conversation_summaries',
  sql: conversationSummarySql(`(${conversationPage})`),
  params: z.object({ ...window, upto_waba: z.string(), upto_key: z.string() }),
  row: conversationSummarySchema,
  connection: 'jobs',
});

/** The same summaries for (waba_id, conversation_id) pairs given as TupleParams. */
export const conversationSummariesOf = defineQuery({
  name: 'billing.facts.conversation_summaries_of',
  sql: conversationSummarySql(KEY_LIST),
  params: keyList,
  row: conversationSummarySchema,
  connection: 'jobs',
});

export type { ConversationFactRow, MessageFactRow };

export const insertMessageFacts = defineInsert({ name: 'billing.facts.insert_messages', table: BILLING_MESSAGES.name, row: BILLING_MESSAGES.row, connection: 'jobs' });

export const insertConversationFacts = defineInsert({
  name: 'billing.facts.insert_conversations',
  table: BILLING_CONVERSATIONS.name,
  row: BILLING_CONVERSATIONS.row,
  connection: 'jobs',
});

/** (waba, effective month) of volume-tier events that arrived in a window. */
export const touchedTierMonths = defineQuery({
  name: 'billing.facts.touched_tier_months',
  sql: `SELECT DISTINCT waba_id, tier_effective_month AS month FROM {{db}}.management_events_v1
        WHERE ${IN_WINDOW} AND event = 'VOLUME_BASED_PRICING_TIER_UPDATE' AND tier_effective_month != ''`,
  params: z.object({ from_ms: z.number().int(), to_ms: z.number().int() }),
  row: z.object({ waba_id: z.string(), month: z.string() }),
  connection: 'jobs',
});

export const tierEvents = defineQuery({
  name: 'billing.facts.tier_events',
  sql: `SELECT waba_id, tier, tier_category, tier_region, toUnixTimestamp64Milli(coalesce(tier_update_time, entry_time)) AS update_ms
        FROM {{db}}.management_events_v1 FINAL
        WHERE event = 'VOLUME_BASED_PRICING_TIER_UPDATE' AND waba_id IN {wabas:Array(String)} AND tier_effective_month = {month:String}`,
  params: z.object({ wabas: z.array(z.string()), month: z.string() }),
  row: z.object({ waba_id: z.string(), tier: z.string(), tier_category: z.string(), tier_region: z.string(), update_ms: num }),
  connection: 'jobs',
});

export const jobStateSchema = z.object({ watermark_ms: num, pending_periods: z.array(z.string()) });

export const billingJobState = defineQuery({
  name: 'billing.job_state',
  sql: `SELECT toUnixTimestamp64Milli(watermark) AS watermark_ms, pending_periods FROM {{db}}.billing_job_state_v1 FINAL WHERE job = {job:String}`,
  params: z.object({ job: z.string() }),
  row: jobStateSchema,
  connection: 'jobs',
});

const insertJobState = defineInsert({ name: 'billing.save_job_state', table: BILLING_JOB_STATE.name, row: BILLING_JOB_STATE.row, connection: 'jobs' });

export function saveBillingJobState(wh: Warehouse, state: { job: string; watermark_ms: number; pending_periods: string[] }): Promise<void> {
  return insertJobState(wh, [{ job: state.job, watermark: state.watermark_ms, pending_periods: state.pending_periods, updated_at: Date.now() }]);
}

/** Every (WABA, month) that has facts: what a full rebuild has to roll up again. */
export const factPeriods = defineQuery({
  name: 'billing.facts.periods',
  sql: `SELECT DISTINCT waba_id, toString(month) AS month FROM {{db}}.billing_messages_v1
        UNION DISTINCT SELECT DISTINCT waba_id, toString(month) AS month FROM {{db}}.billing_conversations_v1`,
  params: z.object({}),
  row: z.object({ waba_id: z.string(), month: z.string() }),
  connection: 'jobs',
});
