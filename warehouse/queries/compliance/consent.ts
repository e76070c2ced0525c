import { z } from 'zod';
import { defineInsert, defineQuery } from '../../query.ts';
import { CONSENT_EVENTS as CONSENT_LEDGER, type ConsentEventRow } from '../../schema/compliance.ts';
import { labelParams, labelSetRows } from '../labels/intervals.ts';
import { labelSetAt } from '../labels/spans.ts';

export type { ConsentEventRow };

/** The ledger is append-only: corrections are new events. */
export const appendConsentEvents = defineInsert({ name: 'compliance.append_consent_event', table: CONSENT_LEDGER.name, row: CONSENT_LEDGER.row });

/**
 * Where the stream finds the keyword messages: the copies migration 0609 keeps (`consent_signals_v1`:
 * messages whose whole text is a default keyword), or every message (keywords beyond the defaults).
 */
export type KeywordSource = 'copies' | 'messages';

/**
 * The message texts migration 0609 copies (trimmed, lower case): the defaults of
 * `privacy.consent.opt_out_keywords` and `opt_in_keywords`.
 */
export const COPIED_KEYWORDS = [
  'stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'opt out', 'optout', 'parar', 'sair', 'cancelar',
  'descadastrar', 'desinscrever', 'baja', 'dar de baja', 'alto', 'detener', 'cancelar suscripcion',
  'cancelar suscripción', 'abmelden', 'stopp', 'abbestellen', 'arret', 'arrêt', 'desabonner', 'désabonner',
  'annulla', 'disiscrivi', 'रुकें', 'बंद करें',
  'start', 'unstop', 'subscribe', 'voltar', 'assinar', 'alta', 'anmelden',
] as const;

const KEYWORD_MESSAGES = {
  copies: `
  SELECT wamid, subject, if(has({out_words:Array(String)}, keyword), 'opt_out', 'opt_in'), 'all', 'keyword', ts, wamid
  FROM {{db}}.consent_signals_v1 FINAL
  WHERE kind = 'keyword' AND (has({out_words:Array(String)}, keyword) OR has({in_words:Array(String)}, keyword))`,
  messages: `
  SELECT wamid, if(wa_id != '', wa_id, from_user_id),
         if(has({out_words:Array(String)}, lowerUTF8(trimBoth(if(text_body != '', text_body, button_text)))), 'opt_out', 'opt_in'),
         'all', 'keyword', ts, wamid
  FROM {{db}}.messages_v1
  PREWHERE has({out_words:Array(String)}, lowerUTF8(trimBoth(if(text_body != '', text_body, button_text))))
     OR has({in_words:Array(String)}, lowerUTF8(trimBoth(if(text_body != '', text_body, button_text))))
  -- One row per message without FINAL (which merges the whole table to find a few keywords): the
  -- copies of a message are re-deliveries of the same body, and retention and erasure change every
  -- copy, so any copy is the message.
  LIMIT 1 BY wamid`,
} as const;

/**
 * Every consent signal as one stream: the ledger (opt-ins and opt-outs from the business's own
 * systems), opt-out and opt-in keywords sent as the whole text of a customer message (trimmed,
 * case-insensitive), `user_preferences` stop/resume webhooks, and sends Meta refused with error
 * 131050 (the user stopped marketing messages; copied as stored by migration 0609, a few rows
 * instead of a merge of every status). Parameters: out_words, in_words (lower case).
 */
const consentStream = (keywords: KeywordSource) => `
  SELECT consent_event_id AS event_id, wa_id AS subject, action, scope_category AS scope, source_channel AS source,
         effective_at AS ts, proof_ref
  FROM {{db}}.consent_events_v1
  UNION ALL${KEYWORD_MESSAGES[keywords]}
  UNION ALL
  SELECT concat(body_sha256, ':', toString(ts)), if(wa_id != '', wa_id, user_id),
         multiIf(value = 'stop', 'opt_out', value = 'resume', 'resume', 'other'),
         'marketing', 'user_preferences', ts, body_sha256
  FROM {{db}}.user_preferences_v1 FINAL
  WHERE value IN ('stop', 'resume')
  UNION ALL
  SELECT wamid, subject, 'opt_out', 'marketing', 'meta_error_131050', ts, wamid
  FROM {{db}}.consent_signals_v1 FINAL
  WHERE kind = 'meta_error_131050'`;

const words = z.array(z.string().transform((w) => w.trim().toLowerCase()));
const streamParams = z.object({ out_words: words, in_words: words, from: z.string(), to: z.string() });

/** Which of the stream's sources a read takes its keyword messages from. */
export interface StreamShape {
  keywords: KeywordSource;
}

export const consentEvents = defineQuery({
  name: 'compliance.consent_events',
  sql: ({ keywords }: StreamShape) => `SELECT event_id, subject, action, scope, source, toUnixTimestamp64Milli(ts) AS ts_ms, proof_ref
        FROM (${consentStream(keywords)})
        WHERE subject != '' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
        ORDER BY subject, ts, event_id`,
  params: streamParams,
  row: z.object({
    event_id: z.string(),
    subject: z.string(),
    action: z.string(),
    scope: z.string(),
    source: z.string(),
    ts_ms: z.coerce.number(),
    proof_ref: z.string(),
  }).transform(({ ts_ms, ...r }) => ({ ...r, ts: ts_ms })),
});

/**
 * The same stream counted per UTC day and action: what the privacy dashboard draws, counted in the
 * engine instead of moving every event out of it (0.8–0.9 s → 0.55–0.6 s at 10 M events).
 */
export const consentEventsPerDay = defineQuery({
  name: 'compliance.consent_events_per_day',
  sql: ({ keywords }: StreamShape) => `SELECT toString(toDate(ts, 'UTC')) AS day, action, count() AS n
        FROM (${consentStream(keywords)})
        WHERE subject != '' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
        GROUP BY day, action
        ORDER BY day, action`,
  params: streamParams,
  row: z.object({ day: z.string(), action: z.string(), n: z.coerce.number() }),
});

/** A judged send's violation, '' for none. */
const VIOLATION = `multiIf(last_opt_out_at IS NOT NULL
                         AND last_opt_out_at > greatest(ifNull(last_opt_in_at, toDateTime64(0, 3, 'UTC')), ifNull(last_resume_at, toDateTime64(0, 3, 'UTC'))),
                       'AFTER_OPT_OUT',
                       last_opt_in_at IS NULL, 'NO_OPT_IN', '')`;

const judgedParams = streamParams.extend({ categories: z.array(z.string()), tag_re: z.string() });

/**
 * The statuses migration 0608 copies into `marketing_statuses_v1` as they are stored: those with one
 * of these categories or this tag. A judgement whose categories are among these and whose tag is this
 * one finds every status that can make a message a marketing send there.
 */
export const FLAGGED = { categories: ['marketing', 'marketing_lite'], tag: 'src=c' } as const;

/** Where a judgement finds its sends: every status, or the flagged copies (see `FLAGGED`). */
export type SendSource = 'statuses' | 'flagged';

/**
 * Marketing sends judged against the consent state at their time (see `marketingViolations`).
 * From the flagged copies the sends are the same in message, recipient, send time and category
 * (at 10 M events: all 375,835 of a month); a later `read` or `failed` status carrying neither the
 * category nor the tag is not among them, so the delivery status is read from every status.
 */
const judged = (source: SendSource, keywords: KeywordSource) => `WITH
          events AS (SELECT subject, action, ts, source FROM (${consentStream(keywords)}) WHERE subject != '' AND scope IN ('marketing', 'all')),
          sends AS (SELECT * FROM (
            SELECT wamid,
                   argMinIf(if(recipient_id != '', recipient_id, recipient_user_id), ts, status IN ('sent', 'delivered', 'read')) AS subject,
                   -- Its sent time; when Meta never sent that status, the earliest delivered or read.
                   if(countIf(status = 'sent') > 0, minIf(ts, status = 'sent'), minIf(ts, status IN ('delivered', 'read'))) AS sent_at,
                   any(waba_id) AS waba_id, any(phone_number_id) AS phone_number_id,
                   maxIf(st.pricing_category, st.pricing_category != '') AS category,
                   maxIf(st.conversation_origin_type, st.conversation_origin_type != '') AS origin_type,
                   maxIf(st.biz_opaque_callback_data, st.biz_opaque_callback_data != '') AS callback_data,
                   argMax(st.status, st.ts) AS delivery_status
            -- Without FINAL: every per-message aggregate here (min, argMin, argMax by time, "any row
            -- has") is the same whether Meta's duplicate deliveries are merged yet or not.
            FROM {{db}}.${source === 'flagged' ? 'marketing_statuses_v1' : 'statuses_v1'} AS st
            WHERE st.ts >= {from:DateTime64(3)} AND st.ts < {to:DateTime64(3)}${source === 'flagged' ? '' : `
              -- Only messages with a status that could make them marketing (a superset of the filter
              -- below): the month's other statuses are never grouped. By a hash of the wamid (a set of
              -- numbers, not of long strings: ×3–4 at 10 M events); a colliding message is grouped and
              -- then dropped by that filter.
              AND cityHash64(st.wamid) IN (SELECT cityHash64(wamid) FROM {{db}}.statuses_v1
                               WHERE ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}
                                 -- IN, not has(): tested once per value of the LowCardinality column's
                                 -- dictionary (180 → 80 ms over a month's 8.7 M statuses).
                                 AND (pricing_category IN {categories:Array(String)} OR match(biz_opaque_callback_data, {tag_re:String})))`}
            GROUP BY wamid
            HAVING countIf(st.status IN ('sent', 'delivered', 'read')) > 0 AND subject != ''
          ) WHERE has({categories:Array(String)}, category) OR match(callback_data, {tag_re:String})),
          -- The consent state after each event (peers at the same instant share it), so one ASOF join
          -- finds the state at each send: the event stream is read once, not once per action.
          states AS (
            SELECT subject, ts,
                   max(if(action = 'opt_in', ts, NULL)) OVER w AS last_opt_in_at,
                   max(if(action = 'opt_out', ts, NULL)) OVER w AS last_opt_out_at,
                   argMaxIf(source, ts, action = 'opt_out') OVER w AS opt_out_source,
                   max(if(action = 'resume', ts, NULL)) OVER w AS last_resume_at
            FROM events
            WINDOW w AS (PARTITION BY subject ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
          ),
          judged AS (
            SELECT s.wamid AS wamid, s.subject AS subject, s.sent_at AS sent_at, s.waba_id AS waba_id, s.phone_number_id AS phone_number_id,
                   s.category AS category, s.origin_type AS origin_type, s.callback_data AS callback_data, s.delivery_status AS delivery_status,
                   -- An ASOF LEFT JOIN without a match gives default values: NULL times, an empty source.
                   c.last_opt_in_at AS last_opt_in_at, c.last_opt_out_at AS last_opt_out_at,
                   c.opt_out_source AS opt_out_source, c.last_resume_at AS last_resume_at
            FROM sends AS s
            ASOF LEFT JOIN states AS c ON s.subject = c.subject AND s.sent_at >= c.ts
          )`;

/**
 * Marketing sends (pricing category marketing, or the campaign tag in biz_opaque_callback_data) at
 * the time of their `sent` status (else the earliest delivered/read; refused-only sends never went out), each with the latest opt-in, opt-out and resume before it
 * (an ASOF join over the consent stream's running state, marketing or all scopes), classified:
 * AFTER_OPT_OUT when the latest opt-out is newer than any opt-in or resume, NO_OPT_IN when there
 * was never an opt-in. Only violations are returned.
 */
export const marketingViolations = defineQuery({
  name: 'compliance.marketing_violations',
  // Every status: the list shows each send's latest delivery status.
  sql: ({ keywords }: StreamShape) => `${judged('statuses', keywords)}
        SELECT wamid, subject, toUnixTimestamp64Milli(sent_at) AS sent_at_ms, waba_id, phone_number_id, category AS pricing_category, origin_type,
               callback_data, delivery_status,
               toUnixTimestamp64Milli(last_opt_in_at) AS opt_in_ms, toUnixTimestamp64Milli(last_opt_out_at) AS opt_out_ms,
               opt_out_source AS opt_out_from, toUnixTimestamp64Milli(last_resume_at) AS resume_ms,
               ${VIOLATION} AS violation
        FROM judged
        WHERE violation != ''
        ORDER BY sent_at_ms, wamid
        LIMIT {limit:UInt32}`,
  params: judgedParams.extend({ limit: z.number().int().positive() }),
  row: z
    .object({
      wamid: z.string(),
      subject: z.string(),
      sent_at_ms: z.coerce.number(),
      waba_id: z.string(),
      phone_number_id: z.string(),
      pricing_category: z.string(),
      origin_type: z.string(),
      callback_data: z.string(),
      delivery_status: z.string(),
      opt_in_ms: z.coerce.number().nullable(),
      opt_out_ms: z.coerce.number().nullable(),
      opt_out_from: z.string(),
      resume_ms: z.coerce.number().nullable(),
      violation: z.enum(['AFTER_OPT_OUT', 'NO_OPT_IN']),
    })
    .transform((r) => ({
      wamid: r.wamid, subject: r.subject, sent_at: r.sent_at_ms, waba_id: r.waba_id, phone_number_id: r.phone_number_id,
      pricing_category: r.pricing_category, origin_type: r.origin_type, callback_data: r.callback_data, delivery_status: r.delivery_status,
      last_opt_in_at: r.opt_in_ms, last_opt_out_at: r.opt_out_ms, opt_out_source: r.opt_out_from, last_resume_at: r.resume_ms, violation: r.violation,
    })),
});

/**
 * The same violations counted per UTC day of the send, WABA, phone number and kind: what the privacy
 * dashboard draws, without moving every violation (tens of thousands of rows) out of the engine.
 */
export const marketingViolationsPerDay = defineQuery({
  name: 'compliance.marketing_violations_per_day',
  // With asked labels, only sends whose recipient had one of them (all: every one) at the send, in its WABA.
  // The counts need no delivery status: the flagged copies serve them when they hold every send.
  sql: ({ labelled, source, keywords }: { labelled: boolean; source: SendSource } & StreamShape) => {
    const sends = `SELECT sent_at, waba_id, phone_number_id, ${VIOLATION} AS violation${labelled ? `, ${labelSetAt('waba_id', 'subject', 'sent_at')} AS label_set` : ''} FROM judged`;
    return `${judged(source, keywords)}
        SELECT toString(toDate(sent_at, 'UTC')) AS day, waba_id, phone_number_id, violation, count() AS n
        FROM (${labelled ? labelSetRows(sends, false) : sends})
        WHERE violation != ''
        GROUP BY day, waba_id, phone_number_id, violation
        ORDER BY day, waba_id, phone_number_id, violation`;
  },
  params: judgedParams.extend(labelParams),
  row: z.object({
    day: z.string(),
    waba_id: z.string(),
    phone_number_id: z.string(),
    violation: z.enum(['AFTER_OPT_OUT', 'NO_OPT_IN']),
    n: z.coerce.number(),
  }),
});

export const meta131050Count = defineQuery({
  name: 'compliance.meta_131050',
  sql: `SELECT count() AS n FROM {{db}}.consent_signals_v1 FINAL WHERE kind = 'meta_error_131050' AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}`,
  params: z.object({ from: z.string(), to: z.string() }),
  row: z.object({ n: z.coerce.number() }),
});
