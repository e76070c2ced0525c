import { z } from 'zod';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { has } from '../sla/reports.ts';

/**
 * Every unanswered wait of some families, for the alert rules of one evaluation together: one read
 * of `sla_waits_v1` for the union of their scopes, each rule then keeping its own rows in memory.
 * The columns a rule and its message need, no more (the live lists' clock-dependent columns are
 * computed by the rules from `now`). An empty filter list means every value. A wait's month (its
 * partition) never changes, so a caller may read again only the months whose parts changed.
 */

const ms = (col: string) => `toUnixTimestamp64Milli(${col}) AS ${col}`;

export const openWaits = defineQuery({
  name: 'alerts.open_waits',
  sql: `SELECT wait_id, family, waba_id, phone_number_id, wa_id, owner_team, team, kind, ${ms('started_at')}, ${ms('due_at')}, ${ms('window_expires_at')},
  _partition_id AS partition
FROM {{db}}.sla_waits_v1 FINAL
WHERE (empty({partitions:Array(String)}) OR has({partitions:Array(String)}, _partition_id))
  AND has({families:Array(String)}, family) AND responded_at IS NULL AND ${inScope()}
  AND ${has('waba_ids', 'waba_id')} AND ${has('phone_number_ids', 'phone_number_id')} AND ${has('teams', 'owner_team')}
ORDER BY started_at, wait_id LIMIT {row_limit:UInt64}`,
  params: scopeParams.extend({
    families: z.array(z.string()), waba_ids: z.array(z.string()), phone_number_ids: z.array(z.string()), teams: z.array(z.string()), row_limit: z.number().int(),
    /** Only these partitions (months of `started_at`); empty: every one. */
    partitions: z.array(z.string()).default([]),
  }),
  row: z.object({
    wait_id: z.string(), family: z.string(), waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string(), owner_team: z.string(), team: z.string(), kind: z.string(),
    started_at: z.coerce.number(), due_at: z.coerce.number().nullable(), window_expires_at: z.coerce.number(), partition: z.string(),
  }),
  format: 'compact',
  // A wait's month never changes, so FINAL may merge partition by partition.
  settings: { do_not_merge_across_partitions_select_final: 1 },
});

export type OpenWait = Awaited<ReturnType<typeof openWaits>>[number];
