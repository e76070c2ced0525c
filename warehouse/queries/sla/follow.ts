import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import { defineQuery } from '../../query.ts';
import { eventsSql, type ChatEventRow, type ChatId } from './events.ts';
import { WAITS_TABLE } from './store.ts';

/**
 * What the SLA follower reads: a chat's messages from a time on (so a chat is recomputed from the
 * thread that holds its earliest new event, not from its whole history), and the state of its
 * stored waits (to carry the waits still open at that thread's start). A chat whose state the
 * follower carries is read only from its carried point on, and its stored waits from the earliest
 * one still open.
 */

const CHATS = '{chats:Array(Tuple(String, String, String))}';

/**
 * Messages with any row at or after their chat's `from` (the `froms` entry at the chat's index);
 * such a message is read with all its rows, whatever their time, so its fold equals the full one.
 * `min_from` (the smallest `from`) lets the engine skip older monthly partitions. The chat's `from`
 * is looked up by a hash of its key: `transform` over constant arrays is a hash-table lookup, where
 * `indexOf` would scan the list for every row.
 */
const FROM_SQL = eventsSql(
  (cols, table) => `(${cols}) IN ${CHATS} AND wamid IN (
    SELECT wamid FROM {{db}}.${table}
    WHERE (${cols}) IN ${CHATS} AND ts >= fromUnixTimestamp64Milli({min_from:Int64}, 'UTC')
      AND ts >= fromUnixTimestamp64Milli(
        transform(cityHash64(${cols}), arrayMap(c -> cityHash64(c.1, c.2, c.3), ${CHATS}), {froms:Array(Int64)}, toInt64(0)), 'UTC'))`,
);

const num = z.coerce.number();
const nullableNum = z.union([z.null(), z.coerce.number()]);

const eventRow = z.object({
  waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), dir: z.enum(['in', 'out', 'echo']), wamid: z.string(),
  at: nullableNum, type: z.string(), referral: z.coerce.boolean(), sent: nullableNum, delivered: nullableNum, read: nullableNum,
  failed: z.coerce.boolean(), tag: z.string(), category: z.string(), received: num, rows: num, first: num,
});

export type ChatEventFromRow = ChatEventRow & { first: number };

const chatEventsFromQuery = defineQuery({
  name: 'sla.chat_events_from',
  connection: 'jobs',
  sql: FROM_SQL,
  params: z.object({ chats: z.array(z.instanceof(TupleParam)), froms: z.array(z.number().int()), min_from: z.number().int() }),
  row: eventRow,
});

export interface ChatFrom extends ChatId {
  /** Epoch ms: messages with a row at or after it are read. */
  from: number;
}

/** The messages of each chat that have a row at or after the chat's `from`. */
export async function chatEventsFrom(wh: Parameters<typeof chatEventsFromQuery>[0], chats: readonly ChatFrom[]): Promise<ChatEventFromRow[]> {
  if (chats.length === 0) return [];
  return chatEventsFromQuery(wh, {
    chats: chats.map((c) => new TupleParam([c.waba_id, c.phone_number_id, c.wa_id])),
    froms: chats.map((c) => Math.max(0, Math.floor(c.from))),
    min_from: Math.max(0, Math.floor(Math.min(...chats.map((c) => c.from)))),
  });
}

const waitState = z.object({
  waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), wait_id: z.string(), family: z.string(), kind: z.string(),
  seq: num, thread_started_at: num, initiator: z.string(), entry_point: z.string(), owner_team: z.string(), start_wamid: z.string(),
  started_at: num, last_inbound_at: num, responded_at: nullableNum, response_wamid: z.string(), responder: z.string(), agent: z.string(),
  team: z.string(), response_template: z.coerce.boolean(), content_hash: z.string(), version: z.string(),
});

export type StoredWaitState = z.infer<typeof waitState>;

const WAIT_STATE_COLUMNS = `waba_id, phone_number_id, wa_id, wait_id, family, kind, seq, toUnixTimestamp64Milli(thread_started_at) AS thread_started_at,
       initiator, entry_point, owner_team, start_wamid, toUnixTimestamp64Milli(started_at) AS started_at,
       toUnixTimestamp64Milli(last_inbound_at) AS last_inbound_at, toUnixTimestamp64Milli(responded_at) AS responded_at,
       response_wamid, responder, agent, team, response_template, toString(content_hash) AS content_hash, toString(version) AS version`;

// Every version of a wait has the same chat, so filtering on the chat before FINAL merges is exact.
const storedWaitStatesQuery = defineQuery({
  name: 'sla.stored_wait_states',
  connection: 'jobs',
  sql: `
SELECT ${WAIT_STATE_COLUMNS}
FROM {{db}}.${WAITS_TABLE} FINAL
PREWHERE (waba_id, phone_number_id, wa_id) IN ${CHATS}
SETTINGS do_not_merge_across_partitions_select_final = 1`,
  params: z.object({ chats: z.array(z.instanceof(TupleParam)) }),
  row: waitState,
});

/** The live stored waits of the chats, with what it takes to carry an open one on. */
export async function storedWaitStates(wh: Parameters<typeof storedWaitStatesQuery>[0], chats: readonly ChatId[]): Promise<StoredWaitState[]> {
  if (chats.length === 0) return [];
  return storedWaitStatesQuery(wh, { chats: chats.map((c) => new TupleParam([c.waba_id, c.phone_number_id, c.wa_id])) });
}

/**
 * The live stored waits of each chat that started at or after its `from`. `started_at` is in the
 * sort key and never changes for a wait, so the bound applies before FINAL merges, and the engine
 * reads only the chat's recent granules (and partitions from `min_from` on).
 */
const storedWaitsFromQuery = defineQuery({
  name: 'sla.stored_waits_from',
  connection: 'jobs',
  sql: `
SELECT ${WAIT_STATE_COLUMNS}
FROM {{db}}.${WAITS_TABLE} FINAL
PREWHERE (waba_id, phone_number_id, wa_id) IN ${CHATS}
  AND started_at >= fromUnixTimestamp64Milli({min_from:Int64}, 'UTC')
  AND started_at >= fromUnixTimestamp64Milli(
    transform(cityHash64(waba_id, phone_number_id, wa_id), arrayMap(c -> cityHash64(c.1, c.2, c.3), ${CHATS}), {froms:Array(Int64)}, toInt64(0)), 'UTC')
SETTINGS do_not_merge_across_partitions_select_final = 1`,
  params: z.object({ chats: z.array(z.instanceof(TupleParam)), froms: z.array(z.number().int()), min_from: z.number().int() }),
  row: waitState,
});

export async function storedWaitsFrom(wh: Parameters<typeof storedWaitsFromQuery>[0], chats: readonly ChatFrom[]): Promise<StoredWaitState[]> {
  if (chats.length === 0) return [];
  return storedWaitsFromQuery(wh, {
    chats: chats.map((c) => new TupleParam([c.waba_id, c.phone_number_id, c.wa_id])),
    froms: chats.map((c) => Math.max(0, Math.floor(c.from))),
    min_from: Math.max(0, Math.floor(Math.min(...chats.map((c) => c.from)))),
  });
}
