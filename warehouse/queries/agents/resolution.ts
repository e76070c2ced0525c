import { z } from 'zod';
import { WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { labelledRows, labelParams } from '../labels/intervals.ts';

/**
 * Resolution and idle close, per thread of the stored waits (one family). A thread's last activity
 * is its latest customer message or answer; once it has been silent for `idle_ms` it is closed:
 * resolved when its last wait was answered (resolution time = that answer − thread start), or
 * closed with the customer still waiting. Threads silent for less are still open. With asked labels,
 * only threads under them when they started.
 */

type Period = 'day' | 'week' | 'month' | 'none';

const threads = defineQuery({
  name: 'agents.resolution',
  sql: ({ period, labelled }: { period: Period; labelled: boolean }) => {
    const perThread = `
  SELECT waba_id, phone_number_id, wa_id, thread_started_at,
    -- In a tuple, so that an unanswered last wait gives NULL (argMax alone skips NULL answers).
    argMax(tuple(responded_at), started_at).1 AS last_answer,
    last_answer IS NOT NULL AS answered,
    max(greatest(last_inbound_at, coalesce(responded_at, last_inbound_at))) AS last_activity,
    toUnixTimestamp64Milli(last_activity) + {idle_ms:Int64} <= {now:Int64} AS closed,
    if(answered, dateDiff('millisecond', thread_started_at, assumeNotNull(last_answer)) / 1000, 0) AS resolution_seconds
  FROM {{db}}.sla_waits_v1 FINAL
  WHERE family = {family:String}
    AND thread_started_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND thread_started_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
    AND (empty({waba_ids:Array(String)}) OR has({waba_ids:Array(String)}, waba_id)) AND ${inScope()}
  GROUP BY waba_id, phone_number_id, wa_id, thread_started_at`;
    return `
SELECT ${{
    day: `toString(toDate(toTimeZone(thread_started_at, {tz:String})))`,
    week: `toString(toStartOfWeek(toTimeZone(thread_started_at, {tz:String}), 1))`,
    month: `toString(toStartOfMonth(toTimeZone(thread_started_at, {tz:String})))`,
    none: `''`,
  }[period]} AS period,
  count() AS threads,
  countIf(NOT closed) AS open_threads,
  countIf(closed AND answered) AS resolved,
  countIf(closed AND NOT answered) AS closed_waiting,
  quantilesExactIf(0.5, 0.9)(resolution_seconds, closed AND answered) AS q
FROM (${labelled ? labelledRows(perThread, 'thread_started_at', false) : perThread})
GROUP BY period
ORDER BY period`;
  },
  params: z.object({
    family: z.string(), from: z.number(), to: z.number(), tz: z.string(), now: z.number(), idle_ms: z.number().int(),
    waba_ids: z.array(z.string()),
    ...labelParams,
    ...scopeParams.shape,
  }),
  row: z.object({
    period: z.string(), threads: z.coerce.number(), open_threads: z.coerce.number(), resolved: z.coerce.number(),
    closed_waiting: z.coerce.number(), q: z.array(z.number()),
  }),
  format: 'compact',
  settings: WAITS_FINAL_SETTINGS,
});

export type ResolutionRow = Awaited<ReturnType<typeof threads>>[number];

export function resolutionRows(wh: Warehouse, f: Parameters<typeof threads>[1], period: Period): Promise<ResolutionRow[]> {
  return threads(wh, f, { period, labelled: (f.labels?.length ?? 0) > 0 });
}
