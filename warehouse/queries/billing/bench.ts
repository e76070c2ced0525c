import { z } from 'zod';
import { defineCommand, defineQuery } from '../../query.ts';

/**
 * SQL for `bench/billing.ts` only: synthetic status events written by ClickHouse itself (millions a
 * second, so a 10 M-event benchmark is practical), and the yardstick the rollup avoids — a month's
 * charged messages counted straight from the raw statuses.
 *
 * Each event number n belongs to message m = n / 3 (slot 0 sent, 1 delivered or failed, 2 read) and
 * conversation c = m / 2: WABA, time, recipient and CBP category follow c, PMP category and type m.
 * From 2025-07-01 messages are priced per message, before per conversation.
 */
export const writeBenchStatuses = defineCommand({
  name: 'billing.bench.write_statuses',
  sql: `INSERT INTO {{db}}.statuses_v1 (waba_id, phone_number_id, wamid, status, ts, recipient_id, conversation_id,
          conversation_origin_type, pricing_billable, pricing_model, pricing_category, pricing_type, error_code, received_at)
        SELECT waba_id, phone, wamid, status, ts, recipient,
               if(pmp OR slot = 2, '', concat('conv.', toString(c))), if(pmp OR slot = 2, '', cbp_category),
               if(slot = 2 OR failed, NULL, if(pmp, ptype = 'regular', cbp_billable)),
               if(slot = 2 OR failed, '', if(pmp, 'PMP', 'CBP')),
               if(slot = 2 OR failed, '', if(pmp, pcat, cbp_category)),
               if(slot = 2 OR failed OR NOT pmp, '', ptype),
               if(failed, 131026, NULL), fromUnixTimestamp64Milli({received_ms:Int64}, 'UTC')
        FROM (
          SELECT number + {first:UInt64} AS n, intDiv(n, 3) AS m, n % 3 AS slot, intDiv(m, 2) AS c,
                 cityHash64(c, {seed:UInt64}) AS hc, cityHash64(m, {seed:UInt64}, 1) AS hm,
                 if(hc % 10 < 6, '900000000000001', '900000000000002') AS waba_id,
                 concat(if(hc % 10 < 6, '9100', '9200'), toString(1 + hm % 3)) AS phone,
                 concat('wamid.bench', toString(m)) AS wamid,
                 fromUnixTimestamp64Milli(toInt64({from_ms:Int64} + intDiv(hc, 7) % {span_ms:UInt64} + (m % 2) * 60000), 'UTC') AS base_ts,
                 toDayOfWeek(base_ts) AS dow,
                 base_ts >= toDateTime64('2025-07-01 03:00:00', 3, 'UTC') AS pmp,
                 ['55', '55', '55', '91', '91', '62', '52', '44', '49', '1415', '1809', '234'][1 + intDiv(hc, 11) % 12] AS cc,
                 concat(cc, leftPad(toString(intDiv(hc, 131) % 1000000000), 9, '0')) AS recipient,
                 multiIf(hc % 100 < 35, 'marketing', hc % 100 < 55, 'utility', hc % 100 < 65, 'authentication', hc % 100 < 97, 'service', 'referral_conversion') AS cbp_category,
                 multiIf(cbp_category = 'referral_conversion', false, cbp_category = 'service', intDiv(hc, 3) % 10 >= 3, true) AS cbp_billable,
                 multiIf(hm % 100 < 30, 'marketing', hm % 100 < 60, 'utility', hm % 100 < 70, 'authentication', hm % 100 < 95, 'service', 'referral_conversion') AS pcat,
                 multiIf(pcat = 'referral_conversion', 'free_entry_point', pcat = 'service', 'free_customer_service',
                         pcat = 'utility' AND intDiv(hm, 7) % 2 = 0, 'free_customer_service', 'regular') AS ptype,
                 intDiv(hm, 13) % 50 = 0 AS failed,
                 multiIf(slot = 0, 'sent', failed, 'failed', slot = 1, 'delivered', 'read') AS status,
                 base_ts + toIntervalSecond(multiIf(slot = 0, 0, slot = 1, 3, 120)) AS ts,
                 [30, 125, 115, 105, 100, 95, 45][dow % 7 + 1] AS weight
          FROM numbers({count:UInt64})
        )
        WHERE NOT (slot = 2 AND (failed OR intDiv(hm, 17) % 10 >= 6)) AND intDiv(hc, 19) % 125 < weight`,
  params: z.object({
    first: z.number().int().min(0),
    count: z.number().int().min(0),
    seed: z.number().int().min(0),
    from_ms: z.number().int(),
    span_ms: z.number().int().positive(),
    received_ms: z.number().int(),
  }),
});

export const countStatuses = defineQuery({
  name: 'billing.bench.count_statuses',
  sql: `SELECT count() AS n FROM {{db}}.statuses_v1`,
  params: z.object({}),
  row: z.object({ n: z.coerce.number() }),
});

/** A month's charged messages by WABA, category and type straight from the statuses (UTC month, no markets). */
export const monthFromStatuses = defineQuery({
  name: 'billing.bench.month_from_statuses',
  sql: `SELECT waba_id, pricing_category, pricing_type, uniqExact(wamid) AS n FROM {{db}}.statuses_v1 FINAL
        WHERE pricing_model = 'PMP' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
        GROUP BY waba_id, pricing_category, pricing_type`,
  params: z.object({ from: z.string(), to: z.string() }),
  row: z.object({ waba_id: z.string(), pricing_category: z.string(), pricing_type: z.string(), n: z.coerce.number() }),
});
