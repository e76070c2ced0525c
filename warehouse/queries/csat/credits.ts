import { TupleParam } from '@clickhouse/client';
import { z } from 'zod';
import { WAITS_FINAL_SETTINGS } from '../../schema/sla.ts';
import type { Warehouse } from '../../client.ts';
import { defineCommand, defineQuery } from '../../query.ts';
import type { ChatId } from '../sla/events.ts';

/**
 * The CSAT credits (migration 0611): each survey with who it is credited to and its answer, written
 * for the chats a selection names and read by the CSAT report (ratings.ts).
 *
 * A survey is an outbound message whose callback tag carries `cs=<survey>` (`v1;src=a;cs=post_chat`),
 * sent when its first `sent` status says (csat_surveys_v1). A rating is the customer's quick-reply
 * answer to it (button payload or interactive reply id `1`…`5`, or `csat:4`), matched by the reply's
 * context; when a customer answers twice the last answer counts. A comment is a text reply to the
 * survey (its text stays in messages_v1, personal content; only counted here).
 *
 * Credit: a survey belongs to the agent and team who answered the chat's last human-answered wait
 * before the survey was sent (the human who answered, not the chat's owner). A human reply without
 * an `ag=` tag is credited to `(untagged)`; a survey after no human reply to `(no human reply)`.
 */

export const CREDITS_TABLE = 'csat_credits_v1';

/** The chats to write: every one, those listed, or those with message, status or echo rows loaded in (`since`, `until`] (epoch ms). */
export type CreditSelection = { all: true } | { chats: ChatId[] } | { loadedSince: number; loadedUntil: number };

const LOADED = (col: string) => `${col} > fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND ${col} <= fromUnixTimestamp64Milli({until:Int64}, 'UTC')`;

/** A chat is (WABA, phone number, customer): the customer's wa_id, or user id where Meta gives no number. */
const LOADED_CHATS = `
  SELECT waba_id, phone_number_id, if(wa_id != '', wa_id, from_user_id) FROM {{db}}.messages_v1 WHERE ${LOADED('loaded_at')}
  UNION ALL
  SELECT waba_id, phone_number_id, if(recipient_id != '', recipient_id, recipient_user_id) FROM {{db}}.statuses_v1 WHERE ${LOADED('loaded_at')}
  UNION ALL
  SELECT waba_id, phone_number_id, to_wa_id FROM {{db}}.message_echoes_v1 WHERE ${LOADED('loaded_at')}`;

type Kind = 'all' | 'chats' | 'loaded';

/**
 * The selection on a table whose chat is (waba_id, phone_number_id, `customer`). A list also names
 * its customers alone (`ids`), which the customer column's index or sort key finds.
 */
function filter(kind: Kind, customer = 'wa_id'): string {
  const cols = `waba_id, phone_number_id, ${customer}`;
  if (kind === 'all') return '1';
  if (kind === 'loaded') return `(${cols}) IN (${LOADED_CHATS})`;
  return `${customer} IN {ids:Array(String)} AND (${cols}) IN {chats:Array(Tuple(String, String, String))}`;
}

const SCORE = `toUInt8OrZero(extract(if(type = 'button', button_payload, interactive_id), '^(?:csat[:=])?([1-5])$'))`;

// Both joins on a 64-bit hash of their keys (one number, not three strings: the credit join
// 0.9 → 0.45 s at 10 M events). The ids carried beside it are compared, so a collision never credits
// another customer's agent.
function creditsSql(kind: Kind): string {
  const chat = (customer?: string) => filter(kind, customer);
  const surveys = `
SELECT wamid AS survey_wamid, waba_id, phone_number_id, any(wa_id) AS wa_id, min(ts) AS sent_at, any(survey) AS survey
-- The filter inside: outside it, wa_id is the aggregate.
FROM (SELECT * FROM {{db}}.csat_surveys_v1 WHERE ${chat()})
GROUP BY wamid, waba_id, phone_number_id`;
  const answers = `
SELECT cityHash64(context_id) AS survey_key, any(context_id) AS survey_wamid,
  argMaxIf(${SCORE}, ts, ${SCORE} > 0) AS score,
  uniqExactIf(wamid, type = 'text') AS comments
-- Without FINAL: Meta's re-deliveries of a reply carry its wamid, and the latest score and the
-- distinct comments are the same before and after they are merged.
-- The chats' customers' replies (by number, or by user id where Meta gives none: two branches, so
-- each finds its rows by its own column) to any of the chats' surveys, by a hash of the id; the join decides.
FROM (
  SELECT context_id, ts, type, button_payload, interactive_id, wamid FROM {{db}}.messages_v1
  WHERE wa_id != '' AND ${chat()}
  UNION ALL
  SELECT context_id, ts, type, button_payload, interactive_id, wamid FROM {{db}}.messages_v1
  WHERE wa_id = '' AND ${chat('from_user_id')}
)
WHERE cityHash64(context_id) IN (SELECT cityHash64(wamid) FROM {{db}}.csat_surveys_v1 WHERE ${chat()})
  AND type IN ('button', 'interactive', 'text')
GROUP BY survey_key`;
  return `
INSERT INTO {{db}}.${CREDITS_TABLE} (waba_id, phone_number_id, survey_wamid, wa_id, sent_at, survey, agent, team, score, comments, computed_at)
SELECT waba_id, phone_number_id, survey_wamid, wa_id, sent_at, survey, agent, team, score, comments, now64(3, 'UTC') FROM (
SELECT s.waba_id AS waba_id, s.phone_number_id AS phone_number_id, s.survey_wamid AS survey_wamid, s.wa_id AS wa_id, s.sent_at AS sent_at,
  s.survey AS survey, w.wa_id = '' OR w.wa_id != s.wa_id AS no_human,
  if(no_human, '(no human reply)', if(w.agent = '', '(untagged)', w.agent)) AS agent,
  if(no_human, '(no human reply)', if(w.team = '', '(untagged)', w.team)) AS team,
  if(a.survey_wamid = s.survey_wamid, a.score, 0) AS score, if(a.survey_wamid = s.survey_wamid, a.comments, 0) AS comments
FROM (SELECT *, cityHash64(waba_id, phone_number_id, wa_id) AS chat_key FROM (${surveys})) AS s
ASOF LEFT JOIN (
  SELECT cityHash64(waba_id, phone_number_id, wa_id) AS chat_key, wa_id, assumeNotNull(responded_at) AS answered_at, agent, team
  FROM {{db}}.sla_waits_v1 FINAL WHERE family = 'human' AND responded_at IS NOT NULL AND ${chat()}
) AS w ON s.chat_key = w.chat_key AND s.sent_at >= w.answered_at
LEFT JOIN (${answers}) AS a ON a.survey_key = cityHash64(s.survey_wamid))`;
}

const SQL: Record<Kind, string> = { all: creditsSql('all'), chats: creditsSql('chats'), loaded: creditsSql('loaded') };

const writeCredits = defineCommand({
  name: 'csat.write_credits',
  sql: (kind: Kind) => SQL[kind],
  params: z.union([
    z.object({}).strict(),
    z.object({ chats: z.array(z.instanceof(TupleParam)), ids: z.array(z.string()) }),
    z.object({ since: z.number().int(), until: z.number().int() }),
  ]),
  connection: 'jobs',
  settings: WAITS_FINAL_SETTINGS,
});

const listParams = (chats: readonly ChatId[]) => ({
  chats: chats.map((c) => new TupleParam([c.waba_id, c.phone_number_id, c.wa_id])),
  ids: [...new Set(chats.map((c) => c.wa_id))],
});

const surveyedQuery = defineQuery({
  name: 'csat.surveyed_chats',
  sql: `SELECT DISTINCT waba_id, phone_number_id, wa_id FROM {{db}}.csat_surveys_v1 WHERE ${filter('chats')}`,
  params: z.object({ chats: z.array(z.instanceof(TupleParam)), ids: z.array(z.string()) }),
  row: z.object({ waba_id: z.string(), phone_number_id: z.string(), wa_id: z.string() }),
  connection: 'jobs',
});

/** Those of the chats that were ever sent a survey: only theirs have credits to write. */
export async function surveyedChats(wh: Warehouse, chats: readonly ChatId[]): Promise<ChatId[]> {
  return chats.length === 0 ? [] : surveyedQuery(wh, listParams(chats));
}

/** Writes the credits of the selected chats' surveys, as the stored surveys, waits and replies are now. */
export async function writeSurveyCredits(wh: Warehouse, sel: CreditSelection): Promise<void> {
  if ('all' in sel) return writeCredits(wh, {}, 'all');
  if ('chats' in sel) {
    if (sel.chats.length === 0) return;
    return writeCredits(wh, listParams(sel.chats), 'chats');
  }
  return writeCredits(wh, { since: sel.loadedSince, until: sel.loadedUntil }, 'loaded');
}
