import { z } from 'zod';
import { WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { labelCondition, labelGroups, labelParams } from '../labels/intervals.ts';

/**
 * CSAT, read from the stored events. A survey is an outbound message whose callback tag carries
 * `cs=<survey>` (`v1;src=a;cs=post_chat`), sent when its `sent` status says. A rating is the
 * customer's quick-reply answer to it (button payload or interactive reply id `1`…`5`, or
 * `csat:4`), matched by the reply's context; when a customer answers twice the last answer counts.
 * A comment is a text reply to the survey (its text stays in messages_v1, personal content; only
 * counted here).
 *
 * Credit: a survey belongs to the agent and team who answered the chat's last human-answered wait
 * before the survey was sent (the human who answered, not the chat's owner). A human reply without
 * an `ag=` tag is credited to `(untagged)`; a survey after no human reply to `(no human reply)`.
 */

/** Survey `sent` statuses, kept as they are stored (migration 0605: the tag pattern is applied there). */
const SURVEYS = `
SELECT wamid AS survey_wamid, waba_id, phone_number_id, any(wa_id) AS wa_id, min(ts) AS sent_at, any(survey) AS survey
FROM {{db}}.csat_surveys_v1
-- A survey sent before \`to\` has a sent status before it; later ones do not change its first.
WHERE ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  AND (empty({waba_ids:Array(String)}) OR has({waba_ids:Array(String)}, waba_id)) AND ${inScope()}
GROUP BY wamid, waba_id, phone_number_id
HAVING sent_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND sent_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

const SCORE = `toUInt8OrZero(extract(if(type = 'button', button_payload, interactive_id), '^(?:csat[:=])?([1-5])$'))`;

const ANSWERS = `
SELECT cityHash64(context_id) AS survey_key, any(context_id) AS survey_wamid,
  argMaxIf(${SCORE}, ts, ${SCORE} > 0) AS score,
  uniqExactIf(wamid, type = 'text') AS comments
-- Without FINAL: Meta's re-deliveries of a reply carry its wamid, and the latest score and the
-- distinct comments are the same before and after they are merged (FINAL cost 0.2 s at 10 M events).
FROM {{db}}.messages_v1
-- Replies to any survey message (a superset of the range's surveys, not grouped), by a hash of the
-- id (a set of numbers, not of long strings); the join below on the id decides.
WHERE cityHash64(context_id) IN (SELECT cityHash64(wamid) FROM {{db}}.csat_surveys_v1)
  AND type IN ('button', 'interactive', 'text')
GROUP BY survey_key`;

// Both joins on a 64-bit hash of their keys (one number, not three strings: the credit join
// 0.9 → 0.45 s at 10 M events). The ids carried beside it are compared, so a collision never credits
// another customer's agent; two of a month's 332 k surveys or 60 k chats sharing a hash is about a
// one-in-10^8 event.
const CREDITED = `
SELECT s.survey_wamid AS survey_wamid, s.waba_id AS waba_id, s.wa_id AS wa_id, s.sent_at AS sent_at, s.survey AS survey,
  w.wa_id = '' OR w.wa_id != s.wa_id AS no_human,
  if(no_human, '(no human reply)', if(w.agent = '', '(untagged)', w.agent)) AS agent,
  if(no_human, '(no human reply)', if(w.team = '', '(untagged)', w.team)) AS team,
  if(a.survey_wamid = s.survey_wamid, a.score, 0) AS score, if(a.survey_wamid = s.survey_wamid, a.comments, 0) AS comments
FROM (SELECT *, cityHash64(waba_id, phone_number_id, wa_id) AS chat_key FROM (${SURVEYS})) AS s
ASOF LEFT JOIN (
  SELECT cityHash64(waba_id, phone_number_id, wa_id) AS chat_key, wa_id, assumeNotNull(responded_at) AS answered_at, agent, team
  FROM {{db}}.sla_waits_v1 FINAL WHERE family = 'human' AND responded_at IS NOT NULL AND ${inScope()}
) AS w ON s.chat_key = w.chat_key AND s.sent_at >= w.answered_at
LEFT JOIN (${ANSWERS}) AS a ON a.survey_key = cityHash64(s.survey_wamid)`;

const LABEL_ITEMS = `SELECT survey_wamid AS item_id, waba_id, wa_id, sent_at AS at FROM (${SURVEYS})`;

export const CSAT_PERIODS = {
  day: `toString(toDate(toTimeZone(sent_at, {tz:String})))`,
  week: `toString(toStartOfWeek(toTimeZone(sent_at, {tz:String}), 1))`,
  month: `toString(toStartOfMonth(toTimeZone(sent_at, {tz:String})))`,
  none: `''`,
} as const;
export type CsatPeriod = keyof typeof CSAT_PERIODS;

export const CSAT_DIMENSIONS = ['agent', 'team', 'label', 'survey', 'waba_id'] as const;
export type CsatDimension = (typeof CSAT_DIMENSIONS)[number];

const params = z.object({
  from: z.number(),
  to: z.number(),
  tz: z.string(),
  waba_ids: z.array(z.string()),
  ...labelParams,
  ...scopeParams.shape,
});
export type CsatFilter = z.input<typeof params>;

const cells = defineQuery({
  name: 'csat.cells',
  sql: (shape: { period: CsatPeriod; dims: readonly CsatDimension[]; labelled: boolean }) => {
    const keys = ['period', ...shape.dims];
    return `
SELECT ${[`${CSAT_PERIODS[shape.period]} AS period`, ...shape.dims].join(', ')},
  count() AS surveys_sent,
  countIf(score > 0) AS responses,
  [countIf(score = 1), countIf(score = 2), countIf(score = 3), countIf(score = 4), countIf(score = 5)] AS distribution,
  countIf(score >= 4) AS satisfied,
  avgIf(score, score > 0) AS mean_score,
  sum(comments) AS comments
FROM (${CREDITED}) ${shape.dims.includes('label') ? labelGroups('c', 'survey_wamid', LABEL_ITEMS) : ''}
${shape.labelled ? `WHERE ${labelCondition('survey_wamid', LABEL_ITEMS)}` : ''}
GROUP BY ${keys.join(', ')}
ORDER BY ${keys.join(', ')}`;
  },
  params,
  row: z.looseObject({
    period: z.string(),
    surveys_sent: z.coerce.number(),
    responses: z.coerce.number(),
    distribution: z.array(z.coerce.number()),
    satisfied: z.coerce.number(),
    mean_score: z.number().nullable(),
    comments: z.coerce.number(),
  }),
  format: 'compact',
  settings: WAITS_FINAL_SETTINGS,
});

export type CsatCell = Awaited<ReturnType<typeof cells>>[number];

/** Surveys sent in the range, answers and scores per cell (period × the chosen dimensions). */
export function csatCells(wh: Warehouse, f: CsatFilter, period: CsatPeriod, dims: readonly CsatDimension[]): Promise<CsatCell[]> {
  // Without asked labels no label ranges are read (an IN subquery runs even when a condition makes it moot).
  return cells(wh, f, { period, dims, labelled: (f.labels ?? []).length > 0 });
}
