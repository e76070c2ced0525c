import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';

/**
 * Click-to-WhatsApp ads: customer messages carrying a `referral` (an ad's `source_id`, `source_type`,
 * `ctwa_clid`), per ad. A referral is answered by the business's first message to that customer (its
 * earliest status) after it, within `answer_window_s`; first response time = that gap. Free-entry-
 * point messages are those Meta priced `free_entry_point` (or CBP `referral_conversion`) to a
 * customer within 72 h after the ad's referral (the latest referral before each message).
 * Conversions: the outcomes the business reported for the referrals' click ids.
 */

const num = z.coerce.number();
const IN_WABAS = `(length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})`;
const FROM = `fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')`;
const TO = `fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;

const REFERRALS = `
  SELECT waba_id, phone_number_id, wa_id, wamid, ts, referral_source_id AS source_id, toString(referral_source_type) AS source_type,
         referral_headline AS headline, referral_ctwa_clid AS ctwa_clid
  FROM {{db}}.messages_v1
  WHERE ${IN_WABAS} AND ts >= ${FROM} AND ts < ${TO} AND (referral_source_id != '' OR referral_ctwa_clid != '')
  LIMIT 1 BY waba_id, wamid`;

// Outbound messages by their first status (statuses without FINAL: min and any are duplicate-safe),
// only to customers who came from an ad (every status of such a message is kept, so the same answer).
const REFERRED = `(SELECT DISTINCT waba_id, wa_id FROM referrals)`;
const OUTBOUND = `
  SELECT waba_id, phone_number_id, argMinIf(recipient_id, ts, recipient_id != '') AS wa_id, wamid, min(ts) AS first_ts,
         countIf(pricing_type = 'free_entry_point' OR (pricing_model = 'CBP' AND pricing_category = 'referral_conversion')) > 0 AS fep
  FROM {{db}}.statuses_v1
  -- One column's set first (×1.8 faster than the pair's over every status of the range), the pair after.
  PREWHERE recipient_id = '' OR recipient_id IN (SELECT wa_id FROM referrals)
  WHERE ${IN_WABAS} AND ts >= ${FROM} AND ts < ${TO} + INTERVAL 4 DAY AND wamid != ''
    AND (recipient_id = '' OR (waba_id, recipient_id) IN ${REFERRED})
  GROUP BY waba_id, phone_number_id, wamid
  HAVING (waba_id, wa_id) IN ${REFERRED}`;

export const adRowSchema = z.object({
  waba_id: z.string(),
  source_id: z.string(),
  source_type: z.string(),
  headline: z.string(),
  referrals: num,
  customers: num,
  answered: num,
  answer_rate: num,
  frt_p50_s: num.nullable(),
  frt_p90_s: num.nullable(),
  free_entry_point_messages: num,
  conversions: num,
});
export type AdRow = z.infer<typeof adRowSchema>;

/** How a CTE read several times is declared, and the setting that makes the keyword count (embedded engine only). */
const ctes = (wh: Pick<Warehouse, 'mode'>) => (wh.mode === 'embedded' ? { as: 'AS MATERIALIZED', settings: ', enable_materialized_cte = 1' } : { as: 'AS', settings: '' });

export const adRows = defineQuery({
  name: 'templates.ads.rows',
  // Each of the two is read several times below. Materialized, it is computed once (2.3 → 0.85 s at
  // 10 M events); MATERIALIZED needs ClickHouse 26.3 or newer, which the embedded engine is: a
  // server of unknown version inlines them.
  sql: (_: undefined, wh) => `WITH referrals ${ctes(wh).as} (${REFERRALS}), outbound ${ctes(wh).as} (${OUTBOUND})
        SELECT r.waba_id AS waba_id, r.source_id AS source_id, any(r.source_type) AS source_type, any(r.headline) AS headline,
               count() AS referrals, uniqExact(r.wa_id) AS customers,
               countIf(a.ok = 1) AS answered, round(answered / referrals, 6) AS answer_rate,
               if(answered > 0, quantileExactIf(0.5)(a.gap_ms / 1000, a.ok = 1), NULL) AS frt_p50_s,
               if(answered > 0, quantileExactIf(0.9)(a.gap_ms / 1000, a.ok = 1), NULL) AS frt_p90_s,
               sum(f.n) AS free_entry_point_messages, sum(c.n) AS conversions
        FROM referrals AS r
        LEFT JOIN (
          SELECT x.waba_id AS waba_id, x.wamid AS wamid, toUInt8(1) AS ok,
                 toInt64(toUnixTimestamp64Milli(o.first_ts) - toUnixTimestamp64Milli(x.ts)) AS gap_ms
          FROM referrals AS x
          ASOF JOIN outbound AS o ON x.waba_id = o.waba_id AND x.phone_number_id = o.phone_number_id AND x.wa_id = o.wa_id AND x.ts <= o.first_ts
          WHERE o.first_ts <= x.ts + toIntervalSecond({answer_window_s:UInt32})
        ) AS a ON r.waba_id = a.waba_id AND r.wamid = a.wamid
        LEFT JOIN (
          SELECT x.waba_id AS waba_id, x.wamid AS wamid, count() AS n
          FROM (SELECT * FROM outbound WHERE fep) AS o
          ASOF JOIN referrals AS x ON o.waba_id = x.waba_id AND o.phone_number_id = x.phone_number_id AND o.wa_id = x.wa_id AND o.first_ts >= x.ts
          WHERE o.first_ts <= x.ts + INTERVAL 72 HOUR
          GROUP BY waba_id, wamid
        ) AS f ON r.waba_id = f.waba_id AND r.wamid = f.wamid
        LEFT JOIN (
          SELECT waba_id, ctwa_clid, count() AS n FROM {{db}}.ad_conversions_v1 FINAL
          WHERE ${IN_WABAS} AND ctwa_clid != '' GROUP BY waba_id, ctwa_clid
        ) AS c ON r.waba_id = c.waba_id AND r.ctwa_clid = c.ctwa_clid
        GROUP BY waba_id, source_id
        ORDER BY waba_id, source_id
        SETTINGS join_use_nulls = 0${ctes(wh).settings}`,
  params: z.object({ from_ms: z.number().int(), to_ms: z.number().int(), wabas: z.array(z.string()), answer_window_s: z.number().int().min(0) }),
  row: adRowSchema,
});
