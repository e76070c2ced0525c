import { z } from 'zod';
import { defineCommand, defineQuery } from '../../query.ts';

/**
 * The benchmark's yardstick: response times computed straight from the event tables with window
 * functions on every request (what the SLA reports avoid by reading the waits the job keeps). A
 * wait here is a customer message that follows a business message or opens the chat, answered by
 * the next sent business message; close to, not the same as, the definitions of the real job.
 */
export const responseTimesFromEvents = defineQuery({
  name: 'sla.reference_from_events',
  sql: `
WITH events AS (
  SELECT waba_id, phone_number_id, wa_id, ts, 1 AS inbound FROM {{db}}.messages_v1 FINAL
  WHERE type NOT IN ('reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit')
  UNION ALL
  SELECT waba_id, phone_number_id, recipient_id AS wa_id, minIf(ts, status = 'sent') AS ts, 0 AS inbound FROM {{db}}.statuses_v1
  GROUP BY waba_id, phone_number_id, recipient_id, wamid HAVING countIf(status = 'sent') > 0 AND countIf(status = 'failed') = 0
)
SELECT count() AS waits, quantilesExact(0.5, 0.9, 0.95, 0.99)(toUnixTimestamp(next_out) - toUnixTimestamp(ts)) AS q FROM (
  SELECT ts, inbound,
    lagInFrame(inbound, 1, 0) OVER (PARTITION BY waba_id, phone_number_id, wa_id ORDER BY ts, inbound DESC ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev_inbound,
    min(if(inbound = 0, ts, NULL)) OVER (PARTITION BY waba_id, phone_number_id, wa_id ORDER BY ts, inbound DESC ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS next_out
  FROM events
)
WHERE inbound = 1 AND prev_inbound = 0 AND next_out IS NOT NULL`,
  params: z.object({}),
  row: z.object({ waits: z.coerce.number(), q: z.array(z.coerce.number()) }),
});

/**
 * Benchmark only: fills `sla_waits_v1` with `rows` synthetic waits over March 2025 (half per family,
 * 90 % answered, 40 agents in 6 teams), the size a store of about three times as many events gives.
 */
export const fillSyntheticWaits = defineCommand({
  name: 'sla.bench_fill_waits',
  sql: `
INSERT INTO {{db}}.sla_waits_v1 (wait_id, waba_id, phone_number_id, wa_id, family, kind, seq, thread_started_at, started_at,
  last_inbound_at, window_expires_at, responded_at, response_seconds, business_response_seconds, responder, agent, team,
  replied_in_window, sla_policy, sla_target_seconds, sla_mode, due_at, sla_status, version, time_to_deliver_seconds, time_to_read_seconds)
SELECT hex(cityHash64(number)), if(number % 3 = 0, 'W2', 'W1'), toString(number % 5), toString(5511900000000 + intDiv(number, 12)),
  if(number % 2 = 0, 'human', 'any'), ['first', 'next', 'next', 'reply_to_business'][number % 4 + 1], 1,
  toDateTime64('2025-03-01', 3, 'UTC') + toIntervalSecond((number * 7919) % 2592000) AS s, s, s, s + toIntervalHour(24),
  if(number % 10 = 0, NULL, s + toIntervalSecond(cityHash64(number, 1) % 20000)) AS r,
  if(r IS NULL, NULL, toFloat64(cityHash64(number, 1) % 20000)), if(r IS NULL, NULL, toFloat64(cityHash64(number, 2) % 9000)),
  if(r IS NULL, '', ['human', 'bot', 'automation', 'unknown'][number % 4 + 1]), concat('agent', toString(number % 40)),
  concat('team', toString(number % 6)), if(r IS NULL, NULL, true), 'standard', 3600, 'calendar', s + toIntervalHour(1),
  if(r IS NULL, 'open', if(cityHash64(number, 3) % 3 = 0, 'breached', 'achieved')), 1, 2, if(number % 3 = 0, NULL, toFloat64(cityHash64(number, 4) % 600))
FROM numbers({first:UInt64}, {rows:UInt64})`,
  params: z.object({ first: z.number().int(), rows: z.number().int() }),
  connection: 'jobs',
});

/** Benchmark only: rewrites `rows` waits of the last days with a higher version, as incremental runs do. */
export const rewriteRecentWaits = defineCommand({
  name: 'sla.bench_rewrite_recent',
  sql: `
INSERT INTO {{db}}.sla_waits_v1 SELECT * REPLACE (version + 1 AS version) FROM {{db}}.sla_waits_v1 FINAL
WHERE started_at >= toDateTime64('2025-03-29', 3, 'UTC') AND cityHash64(wait_id) % 10 = {slice:UInt8} LIMIT {rows:UInt64}`,
  params: z.object({ slice: z.number().int(), rows: z.number().int() }),
  connection: 'jobs',
});
