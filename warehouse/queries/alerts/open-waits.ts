import { z } from 'zod';
import { WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { has } from '../sla/reports.ts';

/**
 * Every unanswered wait of some families, for the alert rules of one evaluation together: one read
 * of `sla_waits_v1` for the union of their scopes, each rule then keeping its own rows in memory.
 * The columns a rule and its message need, no more (the live lists' clock-dependent columns are
 * computed by the rules from `now`). An empty filter list means every value. A wait's day (its
 * partition) never changes, so a caller may read again only the days whose parts changed.
 */

const ms = (col: string) => `toUnixTimestamp64Milli(${col}) AS ${col}`;
const columns = `wait_id, family, waba_id, phone_number_id, wa_id, owner_team, team, kind, ${ms('started_at')}, ${ms('due_at')}, ${ms('window_expires_at')},
  _partition_id AS partition, _part AS part`;
const filters = `has({families:Array(String)}, family) AND responded_at IS NULL AND ${inScope()}
  AND ${has('waba_ids', 'waba_id')} AND ${has('phone_number_ids', 'phone_number_id')} AND ${has('teams', 'owner_team')}`;
const filterParams = scopeParams.extend({
  families: z.array(z.string()), waba_ids: z.array(z.string()), phone_number_ids: z.array(z.string()), teams: z.array(z.string()),
});
const row = z.object({
  wait_id: z.string(), family: z.string(), waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), owner_team: z.string(), team: z.string(), kind: z.string(),
  started_at: z.coerce.number(), due_at: z.coerce.number().nullable(), window_expires_at: z.coerce.number(), partition: z.string(),
  /** The part holding the wait's row as read: a wait is read again once that part is gone. */
  part: z.string(),
});

export const openWaits = defineQuery({
  name: 'alerts.open_waits',
  sql: `SELECT ${columns}
FROM {{db}}.sla_waits_v1 FINAL
WHERE (empty({partitions:Array(String)}) OR has({partitions:Array(String)}, _partition_id)) AND ${filters}
ORDER BY started_at, wait_id LIMIT {row_limit:UInt64}`,
  params: filterParams.extend({
    row_limit: z.number().int(),
    /** Only these partitions (days of `started_at`); empty: every one. */
    partitions: z.array(z.string()).default([]),
  }),
  row,
  format: 'compact',
  settings: WAITS_FINAL_SETTINGS,
});

/**
 * The unanswered waits, as FINAL has them, among waits named by their sorting key: what changed in a
 * day since a read (the waits an insert touched, the waits held whose part is gone), without
 * reading the day again. The sorting key keeps a wait's versions together, so FINAL over the key
 * ranges found is FINAL for those waits. The key is named by its table: `started_at` alone is the
 * output's milliseconds.
 */
export const openWaitsAmong = defineQuery({
  name: 'alerts.open_waits_among',
  sql: `SELECT ${columns}
FROM {{db}}.sla_waits_v1 AS w FINAL
WHERE _partition_id = {partition:String}
  AND (w.waba_id, w.family, w.started_at, w.phone_number_id, w.wait_id) IN (
    SELECT k.1, k.2, fromUnixTimestamp64Milli(k.3, 'UTC'), k.4, k.5
    FROM (SELECT arrayJoin(arrayZip({key_wabas:Array(String)}, {key_families:Array(String)}, {key_starts:Array(Int64)}, {key_phones:Array(String)}, {key_ids:Array(String)})) AS k))
  AND ${filters}
ORDER BY started_at, wait_id`,
  params: filterParams.extend({
    partition: z.string(),
    /** The waits, by sorting key (start in epoch milliseconds), column by column. */
    key_wabas: z.array(z.string()), key_families: z.array(z.string()), key_starts: z.array(z.number().int()), key_phones: z.array(z.string()), key_ids: z.array(z.string()),
  }),
  row,
  format: 'compact',
  settings: WAITS_FINAL_SETTINGS,
});

/**
 * The waits of one day with a row in blocks inserted after `after_block` (whatever their state):
 * the waits an insert touched, by sorting key, up to `row_limit`. A part's name is
 * `<partition>_<min block>_<max block>_<level>[_<mutation>]`, and a merge keeps its parts' blocks, so
 * every part holding such a block is read, whatever merged it.
 */
export const waitsInsertedSince = defineQuery({
  name: 'alerts.waits_inserted_since',
  sql: `SELECT DISTINCT waba_id, family, ${ms('started_at')}, phone_number_id, wait_id FROM {{db}}.sla_waits_v1
WHERE _partition_id = {partition:String} AND toUInt64(splitByChar('_', substring(_part, length(_partition_id) + 2))[2]) > {after_block:UInt64}
  AND has({families:Array(String)}, family)
LIMIT {row_limit:UInt64}`,
  params: z.object({ partition: z.string(), after_block: z.number().int(), families: z.array(z.string()), row_limit: z.number().int() }),
  row: z.object({ waba_id: z.string(), family: z.string(), started_at: z.coerce.number(), phone_number_id: z.string(), wait_id: z.string() }),
  format: 'compact',
});

export type OpenWait = Awaited<ReturnType<typeof openWaits>>[number];
