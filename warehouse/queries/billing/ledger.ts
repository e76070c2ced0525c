import { z } from 'zod';
import { defineCommand, defineInsert, defineQuery } from '../../query.ts';
import { localDatabase } from '../../migrate.ts';
import { BILLING_MESSAGE_CUSTOMERS, BILLING_STATUSES, type BillingStatusRow, type MessageCustomerRow } from '../../schema/billing.ts';

/**
 * The accounting copy of statuses (billing_statuses_v1): written from every loaded batch, and
 * filled from statuses_v1 for rows the follower did not copy (a crash between load and follow, or
 * rows stored before the copy existed). The keyed substitute of the wamid is computed in the
 * service, so no wamid and no key ever travel in SQL text.
 */

export type { BillingStatusRow, MessageCustomerRow };

export const insertBillingStatuses = defineInsert({ name: 'billing.ledger.insert', table: BILLING_STATUSES.name, row: BILLING_STATUSES.row, connection: 'jobs' });
export const insertMessageCustomers = defineInsert({
  name: 'billing.ledger.insert_customers', table: BILLING_MESSAGE_CUSTOMERS.name, row: BILLING_MESSAGE_CUSTOMERS.row, connection: 'jobs',
});

const num = z.coerce.number();

/**
 * Statuses stored in a window of `loaded_at` that can make a charge, a page at a time in the table's
 * own key order: the engine reads in order and stops at the limit, and the spelled-out key prefix
 * lets the primary index skip the pages already read (a tuple comparison alone does not), so a full
 * copy costs one pass instead of a scan and sort per page.
 */
export const statusesLoadedIn = defineQuery({
  name: 'billing.ledger.statuses_loaded_in',
  // Aliases differ from the columns: an alias named like a column would replace it in WHERE.
  sql: `SELECT waba_id, phone_number_id, wamid, status, toUnixTimestamp64Milli(ts) AS ts_ms, recipient_id, recipient_user_id,
               conversation_id, conversation_origin_type, pricing_billable, pricing_model, pricing_category, pricing_type,
               toUnixTimestamp64Milli(received_at) AS received_ms, toUnixTimestamp64Milli(loaded_at) AS loaded_ms
        FROM {{db}}.statuses_v1
        WHERE loaded_at > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND loaded_at <= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
          AND (wamid != '' OR conversation_id != '')
          AND (waba_id > {after_waba:String} OR (waba_id = {after_waba:String} AND (phone_number_id > {after_phone:String}
               OR (phone_number_id = {after_phone:String} AND wamid >= {after_wamid:String}))))
          AND (waba_id, phone_number_id, wamid, status, ts)
              > ({after_waba:String}, {after_phone:String}, {after_wamid:String}, {after_status:String}, fromUnixTimestamp64Milli({after_ts:Int64}, 'UTC'))
        ORDER BY waba_id, phone_number_id, wamid, status, ts LIMIT {limit:UInt32}`,
  params: z.object({
    from_ms: z.number().int(), to_ms: z.number().int(), after_waba: z.string(), after_phone: z.string(), after_wamid: z.string(), after_status: z.string(),
    after_ts: z.number().int(), limit: z.number().int().positive(),
  }),
  row: z.object({
    waba_id: z.string(), phone_number_id: z.string(), wamid: z.string(), status: z.string(), ts_ms: num, recipient_id: z.string(), recipient_user_id: z.string(),
    conversation_id: z.string(), conversation_origin_type: z.string(), pricing_billable: z.boolean().nullable(), pricing_model: z.string(),
    pricing_category: z.string(), pricing_type: z.string(), received_ms: num, loaded_ms: num,
  }).transform(({ ts_ms, received_ms, loaded_ms, ...s }) => ({ ...s, ts: ts_ms, received_at: received_ms, loaded_at: loaded_ms })),
  connection: 'jobs',
});

/** Message facts written before facts were keyed (their `wamid` is Meta's), a page at a time. */
export const unkeyedMessageFacts = defineQuery({
  name: 'billing.ledger.unkeyed_message_facts',
  sql: `SELECT waba_id, wamid, phone_number_id, toString(month) AS month, toString(day) AS day, toUnixTimestamp64Milli(charge_ts) AS charge_ts,
               pricing_model, category, type, billable, counted, market, toUnixTimestamp64Milli(source_received_at) AS source_received_at
        FROM {{db}}.billing_messages_v1 FINAL
        WHERE NOT startsWith(wamid, 'mk_') AND (waba_id, wamid) > ({after_waba:String}, {after_wamid:String})
        ORDER BY waba_id, wamid LIMIT {limit:UInt32}`,
  params: z.object({ after_waba: z.string(), after_wamid: z.string(), limit: z.number().int().positive() }),
  row: z.object({
    waba_id: z.string(), wamid: z.string(), phone_number_id: z.string(), month: z.string(), day: z.string(), charge_ts: num,
    pricing_model: z.string(), category: z.string(), type: z.string(), billable: num, counted: num, market: z.string(), source_received_at: num,
  }),
  connection: 'jobs',
});

/** Removes the unkeyed message facts once their keyed copies are written (no id in the SQL text). */
export const deleteUnkeyedMessageFacts = defineCommand({
  name: 'billing.ledger.delete_unkeyed_message_facts',
  // The shard table holds the rows (on a cluster, `<db>_local` on every node).
  sql: (_: void, wh) => `ALTER TABLE ${localDatabase(wh)}.billing_messages_v1${wh.cluster ? ` ON CLUSTER ${wh.cluster}` : ''} DELETE WHERE NOT startsWith(wamid, 'mk_')`,
  params: z.object({}),
  connection: 'jobs',
  settings: { mutations_sync: '2' },
});

/** Whether the ledger is empty while statuses exist (a store from before the ledger). */
/** Whether the message customers were never written though statuses with a wamid are stored (a store from before them). */
export const customersNeedFill = defineQuery({
  name: 'billing.ledger.customers_need_fill',
  // Run at every start: the statuses are asked for one row, not counted.
  sql: `SELECT (SELECT count() FROM {{db}}.billing_message_customers_v1) = 0
          AND (SELECT count() FROM (SELECT 1 FROM {{db}}.statuses_v1 WHERE wamid != '' LIMIT 1)) > 0 AS needed`,
  params: z.object({}),
  row: z.object({ needed: z.coerce.boolean() }),
  connection: 'jobs',
});

export const ledgerNeedsFill = defineQuery({
  name: 'billing.ledger.needs_fill',
  sql: `SELECT (SELECT count() FROM {{db}}.billing_statuses_v1) = 0 AND (SELECT count() FROM {{db}}.statuses_v1) > 0 AS needed`,
  params: z.object({}),
  row: z.object({ needed: z.coerce.boolean() }),
  connection: 'jobs',
});
