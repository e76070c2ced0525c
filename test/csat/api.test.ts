import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPLAY, envelope, messagesValue } from '../fixtures/meta.ts';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { customerMessage, messageStatus } from '../sla/bodies.ts';

// CSAT end to end through signed webhooks, worked out by hand (Wednesday 6 March 2024, UTC).
// Surveys are tagged cs=post_chat; a survey is credited to whoever answered the chat's last
// human-answered wait before it was sent.
//
// C1 (vip since 08:00)  09:00 → 09:05 ana/care.  Survey SV1 09:30; answers 2 (09:31) then 5 (09:40),
//                       and a comment (09:41).                          → ana, care, score 5 (the last), 1 comment
// C2                    10:00 → 10:02 human without ag= (tm=care).  SV2 10:30; interactive csat:3.
//                                                                      → (untagged), care, score 3
// C3                    11:00 → 11:01 bot only.  SV3 11:10, never answered. → (no human reply), no score
// C4                    12:00 → 12:03 ana/care.  SV4 12:30; answers 4 at 12:31; bo answers a later
//                       message at 13:05 (after the survey: no credit).  → ana, care, score 4

const C1 = '5511900000201';
const C2 = '5511900000202';
const C3 = '5511900000203';
const C4 = '5511900000204';
const at = (hm: string) => `2024-03-06T${hm}:00Z`;
const SURVEY = 'v1;src=a;cs=post_chat';
const ctxOf = (id: string) => ({ context: { from: DISPLAY, id } });
const button = (payload: string, survey: string) => ({ button: { payload, text: `nota ${payload}` }, ...ctxOf(survey) });

const ctx = useTestService();

async function csat(query: string): Promise<Array<Record<string, unknown>>> {
  const r = await http(`${ctx.svc.url()}/api/reports/csat?from=2024-03-06&to=2024-03-06&period=none&format=json${query}`, { headers: authHeader('manager') });
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { rows: Array<Record<string, unknown>> }).rows;
}

beforeAll(async () => {
  await truncateAll(ctx.wh);
  const label = await http(`${ctx.svc.url()}/api/labels`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader('manager') },
    body: JSON.stringify({ wa_id: C1, label: 'vip', action: 'add', at: at('08:00') }),
  });
  expect(label.status).toBe(201);
  const bodies = [
    customerMessage(C1, 'wamid.C1a', at('09:00')),
    messageStatus(C1, 'wamid.R1', 'sent', at('09:05'), { tag: 'v1;src=h;ag=ana;tm=care' }),
    messageStatus(C1, 'wamid.SV1', 'sent', at('09:30'), { tag: SURVEY, category: 'utility' }),
    messageStatus(C1, 'wamid.SV1', 'delivered', at('09:30'), { tag: SURVEY, category: 'utility' }),
    customerMessage(C1, 'wamid.C1b', at('09:31'), 'button', button('2', 'wamid.SV1')),
    customerMessage(C1, 'wamid.C1c', at('09:40'), 'button', button('5', 'wamid.SV1')),
    customerMessage(C1, 'wamid.C1d', at('09:41'), 'text', { text: { body: 'Muito bom o atendimento' }, ...ctxOf('wamid.SV1') }),
    customerMessage(C2, 'wamid.C2a', at('10:00')),
    messageStatus(C2, 'wamid.R2', 'sent', at('10:02'), { tag: 'v1;src=h;tm=care' }),
    messageStatus(C2, 'wamid.SV2', 'sent', at('10:30'), { tag: SURVEY }),
    customerMessage(C2, 'wamid.C2b', at('10:35'), 'interactive', { interactive: { type: 'button_reply', button_reply: { id: 'csat:3', title: 'Ok' } }, ...ctxOf('wamid.SV2') }),
    customerMessage(C3, 'wamid.C3a', at('11:00')),
    messageStatus(C3, 'wamid.R3', 'sent', at('11:01'), { tag: 'v1;src=b;ag=bot1;tm=care' }),
    messageStatus(C3, 'wamid.SV3', 'sent', at('11:10'), { tag: SURVEY }),
    customerMessage(C4, 'wamid.C4a', at('12:00')),
    messageStatus(C4, 'wamid.R4', 'sent', at('12:03'), { tag: 'v1;src=h;ag=ana;tm=care' }),
    messageStatus(C4, 'wamid.SV4', 'sent', at('12:30'), { tag: SURVEY }),
    customerMessage(C4, 'wamid.C4b', at('12:31'), 'button', button('4', 'wamid.SV4')),
    customerMessage(C4, 'wamid.C4c', at('13:00')),
    messageStatus(C4, 'wamid.R5', 'sent', at('13:05'), { tag: 'v1;src=h;ag=bo;tm=care' }),
  ];
  // Meta delivers a webhook again at times: the comment and an answer arrive twice, and stay unmerged
  // (the report must not count a comment twice whether or not the engine has merged the copies yet).
  await ctx.wh.writer.command({ query: `SYSTEM STOP MERGES ${ctx.wh.database}.messages_v1` });
  bodies.push(bodies[6]!, bodies[4]!);
  for (const b of bodies) expect((await postSigned(ctx.svc, b)).status).toBe(200);
  await ctx.svc.settle();
  const copies = await rows<{ n: string }>(ctx.wh, `SELECT count() AS n FROM {{db}}.messages_v1 WHERE wamid = 'wamid.C1d'`);
  expect(Number(copies[0]!.n)).toBe(2);
});
afterAll(async () => {
  await ctx.wh.writer.command({ query: `SYSTEM START MERGES ${ctx.wh.database}.messages_v1` });
});

const figures = (r: Record<string, unknown>) => [
  r.surveys_sent, r.responses, r.response_rate_pct, [r.score_1, r.score_2, r.score_3, r.score_4, r.score_5], r.csat_pct, r.mean_score, r.comments,
];

describe('CSAT', () => {
  it('counts the last answer of each survey, with the response rate beside the score', async () => {
    const [all, ...more] = await csat('');
    expect(more).toEqual([]);
    expect(figures(all!)).toEqual([4, 3, 75, [0, 0, 1, 1, 1], (100 * 2) / 3, 4, 1]);
  });

  it('credits the agent and team who answered before the survey; untagged replies show as such', async () => {
    expect((await csat('&group_by=agent')).map((r) => [r.agent, ...figures(r)])).toEqual([
      ['(no human reply)', 1, 0, 0, [0, 0, 0, 0, 0], null, null, 0],
      ['(untagged)', 1, 1, 100, [0, 0, 1, 0, 0], 0, 3, 0],
      ['ana', 2, 2, 100, [0, 0, 0, 1, 1], 100, 4.5, 1],
    ]);
    expect((await csat('&group_by=team')).map((r) => [r.team, r.surveys_sent, r.responses, r.csat_pct])).toEqual([
      ['(no human reply)', 1, 0, null],
      ['care', 3, 3, (100 * 2) / 3],
    ]);
  });

  it('slices by the labels in force when the survey was sent, and by day', async () => {
    expect((await csat('&label=vip')).map(figures)).toEqual([[1, 1, 100, [0, 0, 0, 0, 1], 100, 5, 1]]);
    expect((await csat('&group_by=label')).map((r) => [r.label, r.surveys_sent, r.responses])).toEqual([['', 3, 2], ['vip', 1, 1]]);
    const bySurvey = await csat('&group_by=survey');
    expect(bySurvey.map((r) => [r.survey, r.surveys_sent])).toEqual([['post_chat', 4]]);
    const r = await http(`${ctx.svc.url()}/api/reports/csat?from=2024-03-06&to=2024-03-06&period=day&format=json`, { headers: authHeader('manager') });
    expect(JSON.parse(r.text).rows.map((x: Record<string, unknown>) => [x.period, x.surveys_sent])).toEqual([['2024-03-06', 4]]);
  });

  it('credits a survey again when a human answer sent before it arrives late, and counts an answer that comes later', async () => {
    const C5 = '5511900000205';
    const day = (hm: string) => `2024-03-07T${hm}:00Z`;
    const on7th = async () => {
      const r = await http(`${ctx.svc.url()}/api/reports/csat?from=2024-03-07&to=2024-03-07&period=none&group_by=agent,team&format=json`, { headers: authHeader('manager') });
      expect(r.status, r.text).toBe(200);
      return (JSON.parse(r.text) as { rows: Array<Record<string, unknown>> }).rows.map((x) => [x.agent, x.team, x.surveys_sent, x.responses, x.score_5]);
    };
    for (const b of [customerMessage(C5, 'wamid.C5a', day('09:00')), messageStatus(C5, 'wamid.SV5', 'sent', day('09:30'), { tag: SURVEY })]) {
      expect((await postSigned(ctx.svc, b)).status).toBe(200);
    }
    await ctx.svc.settle();
    expect(await on7th()).toEqual([['(no human reply)', '(no human reply)', 1, 0, 0]]);
    // carla's reply at 09:10 reaches us after the survey: the survey is hers now.
    expect((await postSigned(ctx.svc, messageStatus(C5, 'wamid.R6', 'sent', day('09:10'), { tag: 'v1;src=h;ag=carla;tm=sales' }))).status).toBe(200);
    await ctx.svc.settle();
    expect(await on7th()).toEqual([['carla', 'sales', 1, 0, 0]]);
    expect((await postSigned(ctx.svc, customerMessage(C5, 'wamid.C5b', day('10:00'), 'button', button('5', 'wamid.SV5')))).status).toBe(200);
    await ctx.svc.settle();
    expect(await on7th()).toEqual([['carla', 'sales', 1, 1, 1]]);
  });

  it('credits a survey to a customer Meta names by user id only, and counts the answer', async () => {
    const user = 'BR.csat0007';
    const unix = (iso: string) => String(Date.parse(iso) / 1000);
    const survey = { id: 'wamid.SV7', status: 'sent', timestamp: unix('2024-03-09T09:30:00Z'), recipient_user_id: user, biz_opaque_callback_data: SURVEY };
    const answer = { from_user_id: user, id: 'wamid.U7b', timestamp: unix('2024-03-09T09:40:00Z'), type: 'button', ...button('4', 'wamid.SV7') };
    for (const value of [messagesValue({ statuses: [survey] }), messagesValue({ contacts: [{ profile: { name: 'Cliente' }, user_id: user }], messages: [answer] })]) {
      expect((await postSigned(ctx.svc, JSON.stringify(envelope([{ field: 'messages', value }])))).status).toBe(200);
    }
    await ctx.svc.settle();
    const r = await http(`${ctx.svc.url()}/api/reports/csat?from=2024-03-09&to=2024-03-09&period=none&group_by=agent&format=json`, { headers: authHeader('manager') });
    expect(r.status, r.text).toBe(200);
    expect((JSON.parse(r.text) as { rows: Array<Record<string, unknown>> }).rows.map((x) => [x.agent, x.surveys_sent, x.responses, x.score_4])).toEqual([['(no human reply)', 1, 1, 1]]);
  });

  it('a store whose credits were never written whole (an upgrade) gets them all at the next load', async () => {
    const before = await csat('&group_by=agent');
    await ctx.wh.writer.command({ query: `TRUNCATE TABLE ${ctx.wh.database}.csat_credits_v1` });
    await ctx.wh.writer.command({ query: `ALTER TABLE ${ctx.wh.database}.sla_job_state_v1 DELETE WHERE job = 'csat.credits' SETTINGS mutations_sync = 2` });
    expect(await csat('&group_by=agent')).toEqual([]);
    // A load of another day's chat: its follower finds the table never filled and fills it.
    expect((await postSigned(ctx.svc, customerMessage('5511900000206', 'wamid.C6a', '2024-03-08T09:00:00Z'))).status).toBe(200);
    await ctx.svc.settle();
    expect(await csat('&group_by=agent')).toEqual(before);
    expect(before.map((r) => r.agent)).toEqual(['(no human reply)', '(untagged)', 'ana']);
  });

  it('refuses unknown dimensions and is for managers', async () => {
    const bad = await http(`${ctx.svc.url()}/api/reports/csat?group_by=mood`, { headers: authHeader('manager') });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).parameter).toBe('group_by');
    expect((await http(`${ctx.svc.url()}/api/reports/csat`, { headers: authHeader('finance') })).status).toBe(403);
  });
});
