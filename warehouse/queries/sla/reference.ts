import { z } from 'zod';
import { defineQuery } from '../../query.ts';

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
