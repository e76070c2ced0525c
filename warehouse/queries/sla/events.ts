import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';

/**
 * What the SLA job reads from the ingest tables: which chats changed since a watermark, and every
 * message of a set of chats (one row per message; a sent message's statuses folded into one row).
 * A chat is (waba_id, phone_number_id, wa_id); statuses name the customer in recipient_id, echoes
 * in to_wa_id. Group chats and rows without a customer id are out of scope.
 */

export interface ChatId {
  waba_id: string;
  phone_number_id: string;
  wa_id: string;
}

/** The chats a query covers: an explicit list, or one hash bucket of all chats (full recompute). */
export type ChatSelection = { chats: ChatId[] } | { buckets: number; bucket: number };

/** One message of a chat as the job reads it. Times are epoch ms. */
export interface ChatEventRow extends ChatId {
  dir: 'in' | 'out' | 'echo';
  wamid: string;
  /** Inbound and echo time; null for outbound (see the status times). */
  at: number | null;
  type: string;
  referral: boolean;
  sent: number | null;
  delivered: number | null;
  read: number | null;
  failed: boolean;
  tag: string;
  category: string;
  /** Latest received_at of the rows folded into this one, and how many distinct items they hold. */
  received: number;
  rows: number;
}

const CHAT_FILTER = {
  list: (cols: string) => `(${cols}) IN {chats:Array(Tuple(String, String, String))}`,
  bucket: (cols: string) => `cityHash64(${cols}) % {buckets:UInt32} = {bucket:UInt32}`,
};

/**
 * Every message of the chats a filter selects, one row each. `filter(cols, table)` gets the chat
 * key columns and the table of each branch. The last column, `first`, is the earliest time of any
 * row of the message (for a sent message, of any status, failed included).
 */
export function eventsSql(filter: (cols: string, table: string) => string): string {
  return `
SELECT waba_id, phone_number_id, wa_id, 'in' AS dir, wamid, toUnixTimestamp64Milli(min(ts)) AS at, any(type) AS type,
       max(referral_source_type != '' OR referral_source_id != '' OR referral_ctwa_clid != '') AS referral,
       CAST(NULL AS Nullable(Int64)) AS sent, CAST(NULL AS Nullable(Int64)) AS delivered, CAST(NULL AS Nullable(Int64)) AS read,
       0 AS failed, '' AS tag, '' AS category, toUnixTimestamp64Milli(max(received_at)) AS received, toUInt64(1) AS rows,
       toUnixTimestamp64Milli(min(ts)) AS first
FROM {{db}}.messages_v1
WHERE wa_id != '' AND ${filter('waba_id, phone_number_id, wa_id', 'messages_v1')}
GROUP BY waba_id, phone_number_id, wa_id, wamid
UNION ALL
SELECT waba_id, phone_number_id, recipient_id AS wa_id, 'out' AS dir, wamid, CAST(NULL AS Nullable(Int64)) AS at, '' AS type, 0 AS referral,
       toUnixTimestamp64Milli(minIfOrNull(ts, status = 'sent')) AS sent,
       toUnixTimestamp64Milli(minIfOrNull(ts, status = 'delivered')) AS delivered,
       toUnixTimestamp64Milli(minIfOrNull(ts, status = 'read')) AS read,
       max(status = 'failed') AS failed,
       anyIf(biz_opaque_callback_data, biz_opaque_callback_data != '') AS tag,
       anyIf(pricing_category, pricing_category != '') AS category,
       toUnixTimestamp64Milli(max(received_at)) AS received, toUInt64(uniqExact(status, ts)) AS rows,
       toUnixTimestamp64Milli(min(ts)) AS first
FROM {{db}}.statuses_v1
WHERE recipient_id != '' AND recipient_type != 'group' AND ${filter('waba_id, phone_number_id, recipient_id', 'statuses_v1')}
GROUP BY waba_id, phone_number_id, recipient_id, wamid
UNION ALL
SELECT waba_id, phone_number_id, to_wa_id AS wa_id, 'echo' AS dir, wamid, toUnixTimestamp64Milli(min(ts)) AS at, any(type) AS type, 0 AS referral,
       CAST(NULL AS Nullable(Int64)) AS sent, CAST(NULL AS Nullable(Int64)) AS delivered, CAST(NULL AS Nullable(Int64)) AS read,
       0 AS failed, '' AS tag, '' AS category, toUnixTimestamp64Milli(max(received_at)) AS received, toUInt64(1) AS rows,
       toUnixTimestamp64Milli(min(ts)) AS first
FROM {{db}}.message_echoes_v1
WHERE to_wa_id != '' AND ${filter('waba_id, phone_number_id, to_wa_id', 'message_echoes_v1')}
GROUP BY waba_id, phone_number_id, to_wa_id, wamid`;
}

const EVENTS_SQL = { list: eventsSql(CHAT_FILTER.list), bucket: eventsSql(CHAT_FILTER.bucket) };

export function chatSelectionParams(sel: ChatSelection): z.input<typeof chatSelectionSchema> {
  return 'chats' in sel
    ? { chats: sel.chats.map((c) => new TupleParam([c.waba_id, c.phone_number_id, c.wa_id])) }
    : { buckets: sel.buckets, bucket: sel.bucket };
}

export function chatFilter(sel: ChatSelection, cols: string): string {
  return 'chats' in sel ? CHAT_FILTER.list(cols) : CHAT_FILTER.bucket(cols);
}

/** Query parameters of a chat selection, checked. */
export const chatSelectionSchema = z.union([
  z.object({ chats: z.array(z.instanceof(TupleParam)) }),
  z.object({ buckets: z.number().int().positive(), bucket: z.number().int().min(0) }),
]);

const ms = z.number().nullable();
const chatEventRow = z.object({
  waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), dir: z.enum(['in', 'out', 'echo']),
  wamid: z.string(), at: ms, type: z.string(), referral: z.coerce.boolean(),
  sent: ms, delivered: ms, read: ms, failed: z.coerce.boolean(),
  tag: z.string(), category: z.string(), received: z.coerce.number(), rows: z.coerce.number(),
}) satisfies z.ZodType<ChatEventRow>;

/** Every message of the selected chats; compact rows, since a full recompute reads millions. */
const chatEventsQuery = defineQuery({
  name: 'sla.chat_events',
  sql: (sel: ChatSelection) => ('chats' in sel ? EVENTS_SQL.list : EVENTS_SQL.bucket),
  params: chatSelectionSchema,
  row: chatEventRow,
  connection: 'jobs',
  format: 'compact',
});

export function chatEvents(wh: Warehouse, sel: ChatSelection): Promise<ChatEventRow[]> {
  return chatEventsQuery(wh, chatSelectionParams(sel), sel);
}

const touchedRow = z.object({ waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), received: z.coerce.number() });

/** Chats with rows stored in (`since`, `until`] (epoch ms, `loaded_at`), with the latest receipt of each. */
export const touchedChats = defineQuery({
  name: 'sla.touched_chats',
  connection: 'jobs',
  sql: `
SELECT waba_id, phone_number_id, wa_id, toUnixTimestamp64Milli(max(received_at)) AS received FROM (
  SELECT waba_id, phone_number_id, wa_id, received_at FROM {{db}}.messages_v1
  WHERE loaded_at > fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND loaded_at <= fromUnixTimestamp64Milli({until:Int64}, 'UTC') AND wa_id != ''
  UNION ALL
  SELECT waba_id, phone_number_id, recipient_id AS wa_id, received_at FROM {{db}}.statuses_v1
  WHERE loaded_at > fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND loaded_at <= fromUnixTimestamp64Milli({until:Int64}, 'UTC') AND recipient_id != '' AND recipient_type != 'group'
  UNION ALL
  SELECT waba_id, phone_number_id, to_wa_id AS wa_id, received_at FROM {{db}}.message_echoes_v1
  WHERE loaded_at > fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND loaded_at <= fromUnixTimestamp64Milli({until:Int64}, 'UTC') AND to_wa_id != ''
) GROUP BY waba_id, phone_number_id, wa_id`,
  params: z.object({ since: z.number().int(), until: z.number().int() }),
  row: touchedRow,
});

/** Rows in the three tables: sizes the buckets of a full recompute. */
export const eventTotals = defineQuery({
  name: 'sla.event_totals',
  connection: 'jobs',
  sql: `
SELECT (SELECT count() FROM {{db}}.messages_v1) + (SELECT count() FROM {{db}}.statuses_v1) + (SELECT count() FROM {{db}}.message_echoes_v1) AS rows`,
  params: z.object({}),
  row: z.object({ rows: z.coerce.number() }),
});
