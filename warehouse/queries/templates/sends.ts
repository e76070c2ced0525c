import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { TEMPLATE_SENDS, TEMPLATE_SENDS_STATE } from '../../schema/templates.ts';
import { labelParams, labelRows } from '../labels/intervals.ts';
import { templateCellSchema } from './report.ts';

/**
 * The derived template sends (migration 0410): one row per template send with what followed it,
 * rebuilt per customer from every stored row of that customer (no time bounds, so a reply or an
 * opt-out arriving long after a send updates it), and the report's reads of them. Statuses are read
 * without FINAL: every per-wamid aggregate here ("any row has…", min, argMin) gives the same answer
 * whether Meta's duplicate deliveries are merged yet or not.
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
 * - Charged and its market and category come from the billing facts (docs/BILLING.md, the charge
 *   rule), which name a message by its keyed substitute: SQL cannot compute it, so the rebuild's
 *   caller stores it beside the send (`message_key`) with the fact's charge (charges.ts).
 *
 * Customers are given explicitly (`customers`, the follower) or, when that list is empty, as one
 * part of a hash split of all customers (`parts`, `part`: the full pass, a part at a time).
 */

const num = z.coerce.number();
const CUSTOMERS = '{customers:Array(Tuple(String, String))}';
const inPart = (waba: string, waId: string) =>
  `if(notEmpty(${CUSTOMERS}), (${waba}, ${waId}) IN ${CUSTOMERS}, cityHash64(${waba}, ${waId}) % {parts:UInt32} = {part:UInt32})`;

const FREE_FORM = `('', 'service', 'user_initiated', 'referral_conversion')`;
const HAS_PRICING = `(pricing_model != '' OR pricing_category != '' OR pricing_type != '' OR pricing_billable IS NOT NULL)`;
const IN_WABAS = `(length({wabas:Array(String)}) = 0 OR waba_id IN {wabas:Array(String)})`;
const ZERO_TS = `toDateTime64(0, 3, 'UTC')`;

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
    WHERE wamid != '' AND (recipient_id = '' OR ${inPart('waba_id', 'recipient_id')})
    GROUP BY waba_id, wamid
    HAVING ${inPart('waba_id', 'wa_id')}
  ) AS s
  LEFT JOIN (
    SELECT waba_id, wamid, argMax(template, imported_at) AS template, argMax(language, imported_at) AS language,
           argMax(campaign, imported_at) AS campaign
    FROM {{db}}.template_send_log_v1 GROUP BY waba_id, wamid
  ) AS l ON s.waba_id = l.waba_id AND s.wamid = l.wamid
  WHERE template != '' OR lower(s.priced_category) NOT IN ${FREE_FORM}`;

const INBOUND = `
  SELECT waba_id, phone_number_id, wa_id, wamid, ts, type, interactive_type, context_id, text_body
  FROM {{db}}.messages_v1
  WHERE wa_id != '' AND ${inPart('waba_id', 'wa_id')}
  LIMIT 1 BY waba_id, wamid`;
const CLICK = `(type = 'button' OR (type = 'interactive' AND interactive_type IN ('button_reply', 'list_reply')))`;
const STOP = `(type = 'text' AND upperUTF8(trim(BOTH ' .!' FROM text_body)) IN {stop_words:Array(String)})`;
const SKIP = `type IN ('reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit')`;

const FOLLOWED = `
  SELECT waba_id, context_id AS wamid, if(${CLICK}, 'click', 'reply') AS kind
  FROM inbound WHERE context_id != '' AND NOT ${SKIP}
  UNION ALL
  SELECT i.waba_id, d.wamid, 'reply'
  FROM (SELECT * FROM inbound WHERE context_id = '' AND NOT ${SKIP} AND NOT ${STOP}) AS i
  ASOF JOIN (SELECT waba_id, phone_number_id, wa_id, wamid, first_ts, delivered_ts FROM sends) AS d
    ON i.waba_id = d.waba_id AND i.phone_number_id = d.phone_number_id AND i.wa_id = d.wa_id AND i.ts >= d.first_ts
  WHERE d.delivered_ts > ${ZERO_TS} AND i.ts >= d.delivered_ts AND i.ts <= d.delivered_ts + toIntervalSecond({reply_window_s:UInt32})
  UNION ALL
  SELECT o.waba_id, d.wamid, 'optout'
  FROM (
    SELECT waba_id, wa_id, ts FROM inbound WHERE ${STOP}
    UNION ALL
    SELECT DISTINCT waba_id, wa_id, ts FROM {{db}}.user_preferences_v1 WHERE value = 'stop' AND ${inPart('waba_id', 'wa_id')}
  ) AS o
  ASOF JOIN (SELECT waba_id, wa_id, wamid, first_ts FROM sends) AS d
    ON o.waba_id = d.waba_id AND o.wa_id = d.wa_id AND o.ts >= d.first_ts
  WHERE o.ts <= d.first_ts + toIntervalSecond({optout_window_s:UInt32})`;

export const derivationParams = z.object({
  customers: z.array(z.instanceof(TupleParam)),
  parts: z.number().int().min(1),
  part: z.number().int().min(0),
  reply_window_s: z.number().int().min(0),
  optout_window_s: z.number().int().min(0),
  stop_words: z.array(z.string()),
});

/** The template sends of the given customers (or hash part), with what followed each; the caller keys and versions them. */
export const derivedSends = defineQuery({
  name: 'templates.sends.derive',
  connection: 'jobs',
  sql: `WITH sends AS (${SENDS}), inbound AS (${INBOUND}), followed AS (${FOLLOWED})
        SELECT s.waba_id AS waba_id, s.wamid AS wamid, s.phone_number_id AS phone_number_id, s.wa_id AS wa_id,
               toUnixTimestamp64Milli(s.first_ts) AS first_ts, toUnixTimestamp64Milli(s.delivered_ts) AS delivered_ts,
               toUInt8(s.accepted) AS accepted, toUInt8(s.is_read) AS is_read, toUInt8(s.is_failed) AS is_failed,
               toUInt32(greatest(s.fail_code, 0)) AS fail_code, toUInt8(s.priced) AS priced, s.priced_category AS priced_category,
               s.template AS template, s.language AS language, s.campaign AS campaign, s.attribution AS attribution,
               toUInt8(x.replies > 0) AS replied, toUInt8(x.clicks > 0) AS clicked, toUInt8(x.optouts > 0) AS opted_out
        FROM sends AS s
        LEFT JOIN (
          SELECT waba_id, wamid, countIf(kind = 'reply') AS replies, countIf(kind = 'click') AS clicks, countIf(kind = 'optout') AS optouts
          FROM followed GROUP BY waba_id, wamid
        ) AS x ON s.waba_id = x.waba_id AND s.wamid = x.wamid
        SETTINGS join_use_nulls = 0`,
  params: derivationParams,
  row: z.object({
    waba_id: z.string(), wamid: z.string(), phone_number_id: z.string(), wa_id: z.string(), first_ts: num, delivered_ts: num,
    accepted: num, is_read: num, is_failed: num, fail_code: num, priced: num, priced_category: z.string(),
    template: z.string(), language: z.string(), campaign: z.string(), attribution: z.string(), replied: num, clicked: num, opted_out: num,
  }),
  format: 'compact',
});
export type DerivedSend = Awaited<ReturnType<typeof derivedSends>>[number];

export const insertTemplateSends = defineInsert({ name: 'templates.sends.insert', table: TEMPLATE_SENDS.name, row: TEMPLATE_SENDS.row, connection: 'jobs' });

/** The customers (WABA, wa_id) of the given messages, for statuses that did not name their recipient and imported send logs. */
export const customersOfWamids = defineQuery({
  name: 'templates.sends.customers_of_wamids',
  connection: 'jobs',
  sql: `SELECT DISTINCT waba_id, recipient_id AS wa_id FROM {{db}}.statuses_v1
        WHERE (waba_id, wamid) IN {wamids:Array(Tuple(String, String))} AND recipient_id != ''`,
  params: z.object({ wamids: z.array(z.instanceof(TupleParam)) }),
  row: z.object({ waba_id: z.string(), wa_id: z.string() }),
});

/** Customers with rows stored since a time (the job's catch-up behind the follower). */
export const customersLoadedSince = defineQuery({
  name: 'templates.sends.customers_since',
  connection: 'jobs',
  sql: `SELECT DISTINCT waba_id, recipient_id AS wa_id FROM {{db}}.statuses_v1
          WHERE loaded_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND recipient_id != ''
        UNION DISTINCT
        SELECT DISTINCT waba_id, wa_id FROM {{db}}.messages_v1
          WHERE loaded_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND wa_id != ''
        UNION DISTINCT
        SELECT DISTINCT waba_id, wa_id FROM {{db}}.user_preferences_v1
          WHERE received_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND wa_id != ''
        UNION DISTINCT
        SELECT DISTINCT s.waba_id, s.recipient_id FROM {{db}}.statuses_v1 AS s
          WHERE s.recipient_id != '' AND (s.waba_id, s.wamid) IN (
            SELECT waba_id, wamid FROM {{db}}.template_send_log_v1 WHERE imported_at >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC'))`,
  params: z.object({ from_ms: z.number().int() }),
  row: z.object({ waba_id: z.string(), wa_id: z.string() }),
});

/** Statuses stored, to size the full pass's parts. */
export const statusCount = defineQuery({
  name: 'templates.sends.status_count',
  connection: 'jobs',
  sql: `SELECT count() AS n FROM {{db}}.statuses_v1`,
  params: z.object({}),
  row: z.object({ n: num }),
});

export const sendsState = defineQuery({
  name: 'templates.sends.state',
  sql: `SELECT job, fingerprint, backfilled, watermark_ms FROM {{db}}.template_sends_state_v1 FINAL WHERE job IN {jobs:Array(String)}`,
  params: z.object({ jobs: z.array(z.string()) }),
  row: z.object({ job: z.string(), fingerprint: z.string(), backfilled: num, watermark_ms: num }),
});

export const saveSendsState = defineInsert({ name: 'templates.sends.save_state', table: TEMPLATE_SENDS_STATE.name, row: TEMPLATE_SENDS_STATE.row, connection: 'jobs' });

const FROM = `fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC')`;
const TO = `fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;
const IN_RANGE = `${IN_WABAS} AND first_ts >= ${FROM} AND first_ts < ${TO}`;

const rangeParams = z.object({ from_ms: z.number().int(), to_ms: z.number().int(), tz: z.string(), wabas: z.array(z.string()), ...labelParams });

/** `grouped`: a send repeated under each of its customer's labels at send time (column `label`); `filtered`: only sends under the asked labels. */
export interface LabelShape {
  grouped: boolean;
  filtered: boolean;
}

/** The range's sends (alias `s`), joined to their customer's labels at send time when the shape asks for them. */
function rangeSends(shape: LabelShape, where: string): { from: string; label: string } {
  const sends = `(SELECT * FROM {{db}}.template_sends_v1 FINAL WHERE ${IN_RANGE}${where})`;
  if (!shape.grouped && !shape.filtered) return { from: `${sends} AS s`, label: `'' AS label` };
  const items = `SELECT wamid AS item_id, waba_id, wa_id, first_ts AS at FROM {{db}}.template_sends_v1 FINAL WHERE ${IN_RANGE}${where}`;
  const lr = labelRows('s', 'wamid', items, shape.grouped);
  return { from: `${sends} ${lr.join} WHERE ${lr.labelled}`, label: shape.grouped ? 'label' : `'' AS label` };
}

/** The report's funnel cells, from the derived sends (per label when asked). */
export const derivedCells = defineQuery({
  name: 'templates.sends.cells',
  sql: (shape: LabelShape) => {
    const r = rangeSends(shape, '');
    return `SELECT ${r.label}, s.waba_id AS waba_id, toString(toDate(s.first_ts, {tz:String})) AS day, s.template AS template, s.language AS language,
               s.campaign AS campaign, s.attribution AS attribution,
               replaceAll(lower(s.priced_category), '_international', '-international') AS category, '' AS charge_day, '' AS market, toUInt8(0) AS billable,
               countIf(s.accepted = 1) AS sent, countIf(s.delivered_ts > ${ZERO_TS}) AS delivered, countIf(s.is_read = 1) AS read,
               countIf(s.replied = 1) AS replied, countIf(s.clicked = 1) AS clicked,
               countIf(s.is_failed = 1) AS failed, countIf(s.is_failed = 1 AND s.fail_code = 131049) AS failed_131049,
               countIf(s.is_failed = 1 AND s.fail_code = 131050) AS failed_131050, countIf(s.opted_out = 1) AS opted_out,
               countIf(s.priced = 1 AND s.delivered_ts = ${ZERO_TS}) AS sent_not_delivered, toUInt64(0) AS charged
        FROM ${r.from}
        GROUP BY label, waba_id, day, template, language, campaign, attribution, category
        ORDER BY label, waba_id, day, template, language, campaign, category`;
  },
  params: rangeParams,
  row: templateCellSchema,
  format: 'compact',
});

/** What Meta charged for the range's sends, as cells with only `charged` counted: the charge each send stores from its fact (migration 0604). */
export const derivedChargeCells = defineQuery({
  name: 'templates.sends.charge_cells',
  sql: (shape: LabelShape) => {
    const r = rangeSends(shape, ` AND priced = 1 AND delivered_ts > ${ZERO_TS} AND charged = 1`);
    return `SELECT ${r.label}, s.waba_id AS waba_id, toString(toDate(s.first_ts, {tz:String})) AS day, s.template AS template, s.language AS language,
               s.campaign AS campaign, s.attribution AS attribution, s.charge_category AS category, toString(s.charge_day) AS charge_day,
               s.charge_market AS market, s.charge_billable AS billable, toUInt64(0) AS sent, toUInt64(0) AS delivered, toUInt64(0) AS read,
               toUInt64(0) AS replied, toUInt64(0) AS clicked, toUInt64(0) AS failed, toUInt64(0) AS failed_131049, toUInt64(0) AS failed_131050,
               toUInt64(0) AS opted_out, toUInt64(0) AS sent_not_delivered, count() AS charged
        FROM ${r.from}
        GROUP BY label, waba_id, day, template, language, campaign, attribution, category, charge_day, market, billable`;
  },
  params: rangeParams,
  row: templateCellSchema,
  format: 'compact',
});
