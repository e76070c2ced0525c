import { z } from 'zod';
import { defineQuery } from '../../query.ts';

/**
 * Template sends and what followed them, as cells the report sums: one row per (WABA, local send
 * day, template, language, campaign, attribution, category, charge day, market, billable) with
 * counts. Statuses are read without FINAL: every per-wamid aggregate here ("any row has…", min,
 * argMin) gives the same answer whether Meta's duplicate deliveries are merged yet or not.
 *
 * - The template comes from the sender's tag (`v1;…;tp=<name>;tl=<language>;cp=<campaign>`), else
 *   the imported send log, else the message is an untagged template send when Meta priced it in a
 *   template category; a message with neither is not a template send and is left out.
 * - A send is `replied` when a customer message quotes it (not a button click), or the customer's
 *   next message (not a STOP) comes within `reply_window_s` of its delivery, before any later
 *   template send.
 * - `clicked`: a quick-reply button (or interactive reply) quoting it.
 * - `opted_out`: a `user_preferences` stop or a STOP keyword within `optout_window_s` after it,
 *   before any later template send to the same customer (a send is counted once, however many follow).
 * - Charged and its market and category come from the billing facts (docs/BILLING.md, the charge rule).
 *   Facts name a message by its keyed substitute, which SQL cannot compute: the cells here hold the
 *   funnel only; `chargeCandidates` lists the delivered priced sends, the caller keys them and reads
 *   their facts with `chargedFacts`, a page of keys at a time.
 */

const num = z.coerce.number();

// A template category, as the pricing object names it; free-form messages carry the others.
const FREE_FORM = `('', 'service', 'user_initiated', 'referral_conversion')`;
const HAS_PRICING = `(pricing_model != '' OR pricing_category != '' OR pricing_type != '' OR pricing_billable IS NOT NULL)`;
const IN_WABAS = `(length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})`;
const FROM = `fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')`;
const TO = `fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;
// Statuses and replies of a send can come later than the range's end.
const LATER = `INTERVAL 30 DAY`;

// The priced category as the billing facts spell it (docs/BILLING.md, "Categories").
const CATEGORY = `replaceAll(lower(s.priced_category), '_international', '-international')`;

/** One row per template send (wamid) first seen in the range. */
const SENDS = `
  SELECT s.waba_id AS waba_id, s.wamid AS wamid, s.phone_number_id AS phone_number_id, s.wa_id AS wa_id,
         s.first_ts AS first_ts, s.delivered_ts AS delivered_ts, s.accepted AS accepted, s.is_read AS is_read,
         s.is_failed AS is_failed, s.fail_code AS fail_code, s.priced AS priced, s.priced_category AS priced_category,
         multiIf(s.kv['tp'] != '', s.kv['tp'], l.template) AS template,
         multiIf(s.kv['tp'] != '', s.kv['tl'], l.template != '', l.language, '') AS language,
         multiIf(s.kv['tp'] != '', s.kv['cp'], l.template != '', l.campaign, '') AS campaign,
         multiIf(s.kv['tp'] != '', 'tag', l.template != '', 'send_log', 'untagged') AS attribution
  FROM (
    SELECT waba_id, wamid,
      any(phone_number_id) AS phone_number_id,
      argMinIf(recipient_id, ts, recipient_id != '') AS wa_id,
      argMinIf(biz_opaque_callback_data, ts, biz_opaque_callback_data != '') AS tag,
      if(splitByChar(';', tag)[1] = 'v1', extractKeyValuePairs(tag, '=', ';'), map()) AS kv,
      min(ts) AS first_ts,
      countIf(status IN ('sent', 'delivered', 'read')) > 0 AS accepted,
      minIf(ts, status IN ('delivered', 'read')) AS delivered_ts,
      countIf(status = 'read') > 0 AS is_read,
      countIf(status = 'failed') > 0 AS is_failed,
      argMinIf(assumeNotNull(error_code), ts, status = 'failed' AND error_code IS NOT NULL) AS fail_code,
      countIf(${HAS_PRICING}) > 0 AS priced,
      argMinIf(pricing_category, (status = 'sent', ts), pricing_category != '') AS priced_category
    FROM {{db}}.statuses_v1
    -- From a little before the range, so a send whose first status is before it is not taken for one in it.
    WHERE ${IN_WABAS} AND wamid != '' AND ts >= ${FROM} - INTERVAL 3 DAY AND ts < ${TO} + ${LATER}
    GROUP BY waba_id, wamid
    HAVING first_ts >= ${FROM} AND first_ts < ${TO}
  ) AS s
  LEFT JOIN (
    SELECT waba_id, wamid, argMax(template, imported_at) AS template, argMax(language, imported_at) AS language,
           argMax(campaign, imported_at) AS campaign
    FROM {{db}}.template_send_log_v1 WHERE ${IN_WABAS} GROUP BY waba_id, wamid
  ) AS l ON s.waba_id = l.waba_id AND s.wamid = l.wamid
  WHERE template != '' OR lower(s.priced_category) NOT IN ${FREE_FORM}`;

/** Customer messages that may answer a send (one row per wamid; duplicates merged by LIMIT BY). */
const INBOUND = `
  SELECT waba_id, phone_number_id, wa_id, wamid, ts, type, interactive_type, context_id, text_body
  FROM {{db}}.messages_v1
  WHERE ${IN_WABAS} AND ts >= ${FROM} AND ts < ${TO} + ${LATER} AND wa_id != ''
  LIMIT 1 BY waba_id, wamid`;
const CLICK = `(type = 'button' OR (type = 'interactive' AND interactive_type IN ('button_reply', 'list_reply')))`;
const STOP = `(type = 'text' AND upperUTF8(trim(BOTH ' .!' FROM text_body)) IN {stop_words:Array(String)})`;
const SKIP = `type IN ('reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit')`;

/** Sends credited with something that followed them: per kind, the wamids. */
const FOLLOWED = `
  SELECT waba_id, context_id AS wamid, if(${CLICK}, 'click', 'reply') AS kind, toUInt64(1) AS n
  FROM inbound WHERE context_id != '' AND NOT ${SKIP}
  UNION ALL
  SELECT i.waba_id, d.wamid, 'reply', toUInt64(1)
  FROM (SELECT * FROM inbound WHERE context_id = '' AND NOT ${SKIP} AND NOT ${STOP}) AS i
  ASOF JOIN (SELECT waba_id, phone_number_id, wa_id, wamid, first_ts, delivered_ts FROM sends) AS d
    ON i.waba_id = d.waba_id AND i.phone_number_id = d.phone_number_id AND i.wa_id = d.wa_id AND i.ts >= d.first_ts
  WHERE d.delivered_ts > toDateTime64(0, 3, 'UTC') AND i.ts >= d.delivered_ts AND i.ts <= d.delivered_ts + toIntervalSecond({reply_window_s:UInt32})
  UNION ALL
  SELECT o.waba_id, d.wamid, 'optout', toUInt64(1)
  FROM (
    SELECT waba_id, wa_id, ts FROM inbound WHERE ${STOP}
    UNION ALL
    SELECT DISTINCT waba_id, wa_id, ts FROM {{db}}.user_preferences_v1
    WHERE ${IN_WABAS} AND value = 'stop' AND ts >= ${FROM} AND ts < ${TO} + ${LATER}
  ) AS o
  ASOF JOIN (SELECT waba_id, wa_id, wamid, first_ts FROM sends) AS d
    ON o.waba_id = d.waba_id AND o.wa_id = d.wa_id AND o.ts >= d.first_ts
  WHERE o.ts <= d.first_ts + toIntervalSecond({optout_window_s:UInt32})`;

export const templateCellSchema = z.object({
  waba_id: z.string(),
  day: z.string(),
  template: z.string(),
  language: z.string(),
  campaign: z.string(),
  attribution: z.string(),
  category: z.string(),
  charge_day: z.string(),
  market: z.string(),
  billable: num,
  sent: num,
  delivered: num,
  read: num,
  replied: num,
  clicked: num,
  failed: num,
  failed_131049: num,
  failed_131050: num,
  opted_out: num,
  sent_not_delivered: num,
  charged: num,
});
export type TemplateCell = z.infer<typeof templateCellSchema>;

export const templateCells = defineQuery({
  name: 'templates.report.cells',
  sql: `WITH sends AS (${SENDS}), inbound AS (${INBOUND}), followed AS (${FOLLOWED})
        SELECT s.waba_id AS waba_id, toString(toDate(s.first_ts, {tz:String})) AS day, s.template AS template, s.language AS language,
               s.campaign AS campaign, s.attribution AS attribution,
               ${CATEGORY} AS category, '' AS charge_day, '' AS market, toUInt8(0) AS billable,
               countIf(s.accepted) AS sent, countIf(s.delivered_ts > toDateTime64(0, 3, 'UTC')) AS delivered, countIf(s.is_read) AS read,
               countIf(x.replies > 0) AS replied, countIf(x.clicks > 0) AS clicked,
               countIf(s.is_failed) AS failed, countIf(s.is_failed AND s.fail_code = 131049) AS failed_131049,
               countIf(s.is_failed AND s.fail_code = 131050) AS failed_131050,
               countIf(x.optouts > 0) AS opted_out,
               countIf(s.priced AND s.delivered_ts = toDateTime64(0, 3, 'UTC')) AS sent_not_delivered,
               toUInt64(0) AS charged
        FROM sends AS s
        LEFT JOIN (
          SELECT waba_id, wamid, countIf(kind = 'reply') AS replies, countIf(kind = 'click') AS clicks, countIf(kind = 'optout') AS optouts
          FROM followed GROUP BY waba_id, wamid
        ) AS x ON s.waba_id = x.waba_id AND s.wamid = x.wamid
        GROUP BY waba_id, day, template, language, campaign, attribution, category, charge_day, market, billable
        ORDER BY waba_id, day, template, language, campaign, category, charge_day, market, billable
        SETTINGS join_use_nulls = 0`,
  params: z.object({
    from_ms: z.number().int(),
    to_ms: z.number().int(),
    tz: z.string(),
    /** Empty: every WABA. */
    wabas: z.array(z.string()),
    reply_window_s: z.number().int().min(0),
    optout_window_s: z.number().int().min(0),
    stop_words: z.array(z.string()),
  }),
  row: templateCellSchema,
  format: 'compact',
});

const rangeParams = z.object({ from_ms: z.number().int(), to_ms: z.number().int(), tz: z.string(), wabas: z.array(z.string()) });

/** Template sends in the range that may have been charged (priced and delivered), with their cell's send dimensions. */
export const chargeCandidates = defineQuery({
  name: 'templates.report.charge_candidates',
  sql: `WITH sends AS (${SENDS})
        SELECT s.waba_id AS waba_id, s.wamid AS wamid, toString(toDate(s.first_ts, {tz:String})) AS day, s.template AS template,
               s.language AS language, s.campaign AS campaign, s.attribution AS attribution, ${CATEGORY} AS category
        FROM sends AS s
        WHERE s.priced AND s.delivered_ts > toDateTime64(0, 3, 'UTC')
        SETTINGS join_use_nulls = 0`,
  params: rangeParams,
  row: z.object({
    waba_id: z.string(), wamid: z.string(), day: z.string(), template: z.string(), language: z.string(), campaign: z.string(),
    attribution: z.string(), category: z.string(),
  }),
  format: 'compact',
});

/** The charged message facts of the given keyed substitutes (billing_messages_v1.wamid). */
export const chargedFacts = defineQuery({
  name: 'templates.report.charged_facts',
  sql: `SELECT waba_id, wamid AS message_key, category, toString(day) AS day, market, billable
        FROM {{db}}.billing_messages_v1 FINAL
        WHERE ${IN_WABAS} AND counted = 1 AND wamid IN {keys:Array(String)}`,
  params: z.object({ wabas: z.array(z.string()), keys: z.array(z.string()) }),
  row: z.object({ waba_id: z.string(), message_key: z.string(), category: z.string(), day: z.string(), market: z.string(), billable: num }),
  format: 'compact',
});
