import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { customerMessage, messageStatus } from '../sla/bodies.ts';

// Agent and team performance through signed webhooks, worked out by hand (Thursday 7 March 2024,
// UTC; now = 8 March 00:00Z; policy: every kind due 10 minutes after it starts; family human).
//
// K1  09:00 → 09:05 ana/care (first, 300 s, achieved); 10:00 → 10:20 ana/care (next, 1200 s, breached)
// K2  09:00 → 09:02 human with tm=care but no ag= (first, 120 s, achieved)          → agent (untagged)
// K3  08:00 automation tagged tm=sales opens a business thread; 09:30 → 09:35 bo/care
//     (reply_to_business, 300 s, achieved); the chat's owner when the wait started: sales
// K4  11:00, never answered: open past its due time → breached; no owner
//
// Owners (team of the latest tagged business message before the wait): K1's first wait none, its
// next wait care (ana's 09:05 reply), K2 none, K3 sales, K4 none.

const K1 = '5511900000301';
const K2 = '5511900000302';
const K3 = '5511900000303';
const K4 = '5511900000304';
const at = (hm: string) => `2024-03-07T${hm}:00Z`;

const dir = mkdtempSync(join(tmpdir(), 'agents-api-'));
writeFileSync(join(dir, 'config.json'), JSON.stringify({
  sla: { job: { settle_seconds: 0 }, policies: [{ effective_from: '2024-01-01', rules: [{ name: 'ten', frt: { minutes: 10 }, nrt: { minutes: 10 }, reply_to_business: { minutes: 10 } }] }] },
}));
const ctx = useTestService({ CONFIG_FILE: join(dir, 'config.json') }, { now: () => new Date('2024-03-08T00:00:00Z') });

async function report(query: string, path = '/api/reports/agents'): Promise<Array<Record<string, unknown>>> {
  const r = await http(`${ctx.svc.url()}${path}${path.includes('?') ? '&' : '?'}format=json&${query}`, { headers: authHeader('manager') });
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { rows: Array<Record<string, unknown>> }).rows;
}

const RANGE = 'from=2024-03-07&to=2024-03-07';

// Bot→human handoffs (Wednesday 6 March 2024): H1 writes 14:00:00, the bot answers 14:00:03, H1
// picks "agent" 14:01:00, the bot hands off 14:01:02, ana answers 14:06:00: a handoff, 298 s after
// it (the human wait: 360 s). H2 writes 15:00:00 and bo answers 15:04:00 with no bot: no handoff.
// H3: the bot answers 16:00:02 a message of 16:00:00; H3 writes again 17:00:00 and ana answers
// 17:02:00: the bot answered before this wait started, so no handoff (and the 16:00 human wait is
// the one ana's 17:02 answer ends: a handoff of 17:02 − 16:00:02 = 3718 s).
const H1 = '5511900000305';
const H2 = '5511900000306';
const H3 = '5511900000307';
const t6 = (hms: string) => `2024-03-06T${hms}Z`;
const BOT = 'v1;src=b;ag=bot1;tm=care';

beforeAll(async () => {
  await truncateAll(ctx.wh);
  const bodies = [
    customerMessage(K1, 'wamid.K1a', at('09:00')),
    messageStatus(K1, 'wamid.Q1', 'sent', at('09:05'), { tag: 'v1;src=h;ag=ana;tm=care' }),
    customerMessage(K1, 'wamid.K1b', at('10:00')),
    messageStatus(K1, 'wamid.Q2', 'sent', at('10:20'), { tag: 'v1;src=h;ag=ana;tm=care' }),
    customerMessage(K2, 'wamid.K2a', at('09:00')),
    messageStatus(K2, 'wamid.Q3', 'sent', at('09:02'), { tag: 'v1;src=h;tm=care' }),
    messageStatus(K3, 'wamid.Q4', 'sent', at('08:00'), { tag: 'v1;src=a;tm=sales', category: 'utility' }),
    customerMessage(K3, 'wamid.K3a', at('09:30')),
    messageStatus(K3, 'wamid.Q5', 'sent', at('09:35'), { tag: 'v1;src=h;ag=bo;tm=care' }),
    customerMessage(K4, 'wamid.K4a', at('11:00')),
    customerMessage(H1, 'wamid.H1a', t6('14:00:00')),
    messageStatus(H1, 'wamid.HB1', 'sent', t6('14:00:03'), { tag: BOT }),
    customerMessage(H1, 'wamid.H1b', t6('14:01:00')),
    messageStatus(H1, 'wamid.HB2', 'sent', t6('14:01:02'), { tag: BOT }),
    messageStatus(H1, 'wamid.HA1', 'sent', t6('14:06:00'), { tag: 'v1;src=h;ag=ana;tm=care' }),
    customerMessage(H2, 'wamid.H2a', t6('15:00:00')),
    messageStatus(H2, 'wamid.HA2', 'sent', t6('15:04:00'), { tag: 'v1;src=h;ag=bo;tm=care' }),
    customerMessage(H3, 'wamid.H3a', t6('16:00:00')),
    messageStatus(H3, 'wamid.HB3', 'sent', t6('16:00:02'), { tag: BOT }),
    customerMessage(H3, 'wamid.H3b', t6('17:00:00')),
    messageStatus(H3, 'wamid.HA3', 'sent', t6('17:02:00'), { tag: 'v1;src=h;ag=ana;tm=care' }),
  ];
  for (const b of bodies) expect((await postSigned(ctx.svc, b)).status).toBe(200);
});

const cells = (rows: Array<Record<string, unknown>>, key: string) =>
  rows.map((r) => [r[key], r.waits, r.answered, r.first_waits, r.next_waits, r.reply_waits, r.share_of_answered_pct, r.p50_seconds, r.p90_seconds, r.achieved, r.breached, r.attainment_pct, r.chats]);

describe('agent and team performance', () => {
  it('credits each answered wait to the agent who answered; untagged replies are a row with their share', async () => {
    expect(cells(await report(RANGE), 'agent')).toEqual([
      ['(untagged)', 1, 1, 1, 0, 0, 25, 120, 120, 1, 0, 100, 1],
      ['ana', 2, 2, 1, 1, 0, 50, 1200, 1200, 1, 1, 50, 1],
      ['bo', 1, 1, 0, 0, 1, 25, 300, 300, 1, 0, 100, 1],
    ]);
  });

  it('credits teams by who answered, or by who owned the chat when the wait started', async () => {
    expect(cells(await report(`${RANGE}&group_by=team`), 'team')).toEqual([['care', 4, 4, 2, 1, 1, 100, 300, 1200, 3, 1, 75, 3]]);
    expect(cells(await report(`${RANGE}&group_by=team&credit=owner`), 'team')).toEqual([
      ['(no owner)', 3, 2, 2, 0, 0, 50, 300, 300, 2, 1, (100 * 2) / 3, 3],
      ['care', 1, 1, 0, 1, 0, 25, 1200, 1200, 0, 1, 0, 1],
      ['sales', 1, 1, 0, 0, 1, 25, 300, 300, 1, 0, 100, 1],
    ]);
  });

  it('drills down from a row to the waits behind it', async () => {
    const rows = await report(RANGE);
    const untagged = rows.find((r) => r.agent === '(untagged)')!;
    const waits = await report('', String(untagged.drill_down));
    expect(waits.map((w) => [w.contact, w.kind, w.started_at, w.response_seconds, w.agent, w.team])).toEqual([
      [ctx.svc.deps.pseudonyms.contact(K2), 'first', '2024-03-07T09:00:00.000Z', 120, '', 'care'],
    ]);
    const ana = await report('', String(rows.find((r) => r.agent === 'ana')!.drill_down));
    expect(ana.map((w) => [w.kind, w.response_seconds, w.sla_status])).toEqual([['first', 300, 'achieved'], ['next', 1200, 'breached']]);
  });

  it('counts bot→human handoffs and the time the customer waited after them', async () => {
    const handoffs = (rows: Array<Record<string, unknown>>, key: string) =>
      rows.map((r) => [r[key], r.answered, r.handoffs, r.p50_after_handoff_seconds, r.p90_after_handoff_seconds]);
    const DAY6 = 'from=2024-03-06&to=2024-03-06';
    // ana: H1 (298 s after the handoff) and H3 (one human wait from 16:00 to 17:02, the bot's 16:00:02 answer inside it).
    expect(handoffs(await report(DAY6), 'agent')).toEqual([['ana', 2, 2, 3718, 3718], ['bo', 1, 0, null, null]]);
    expect(handoffs(await report(`${DAY6}&group_by=team`), 'team')).toEqual([['care', 3, 2, 3718, 3718]]);
    // The bot's answer ends the wait in the `any` family (H1 twice, H3 once): no handoff there.
    expect(handoffs(await report(`${DAY6}&family=any`), 'agent')).toEqual([['ana', 1, 0, null, null], ['bo', 1, 0, null, null], ['bot1', 3, 0, null, null]]);
    // The 7 March chats had no bot.
    expect((await report(RANGE)).map((r) => r.handoffs)).toEqual([0, 0, 0]);
  });

  it('refuses owner credit by agent, and a drill-down without a name', async () => {
    const r = await http(`${ctx.svc.url()}/api/reports/agents?credit=owner`, { headers: authHeader('manager') });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).parameter).toBe('credit');
    expect((await http(`${ctx.svc.url()}/api/reports/agents/waits`, { headers: authHeader('manager') })).status).toBe(400);
  });
});

describe('resolution and idle close', () => {
  // Threads: K1 from 09:00, last activity 10:20 (answered); K2 09:00, 09:02 (answered); K3 from the
  // 08:00 automation, 09:35 (answered); K4 11:00, unanswered. Now is 8 March 00:00Z.
  const figures = (r: Record<string, unknown>) => [r.threads, r.open_threads, r.resolved, r.closed_waiting, r.closed_waiting_pct, r.p50_resolution_seconds, r.p90_resolution_seconds];

  it('closes threads silent for the configured time: resolved, or with the customer still waiting', async () => {
    // 6 h: all four closed; resolution K2 120 s, K1 4800 s, K3 5700 s.
    expect((await report(`${RANGE}&period=none&idle_hours=6`, '/api/reports/agents/resolution')).map(figures)).toEqual([[4, 0, 3, 1, 25, 4800, 5700]]);
    // 14 h: K1 (13 h 40 min silent) and K4 (13 h) still open; K2 and K3 resolved (exact quantiles
    // take rank ⌊p·n⌋: of [120, 5700] p50 is 5700).
    expect((await report(`${RANGE}&period=none&idle_hours=14`, '/api/reports/agents/resolution')).map(figures)).toEqual([[4, 2, 2, 0, 0, 5700, 5700]]);
    // The default is the SLA's thread idle time (24 h): nothing has been silent that long.
    const [byDay] = await report(RANGE, '/api/reports/agents/resolution');
    expect([byDay!.period, ...figures(byDay!), byDay!.idle_hours]).toEqual(['2024-03-07', 4, 4, 0, 0, null, null, null, 24]);
  });

  it('refuses a silence that is not a positive number of hours', async () => {
    for (const bad of ['0', '-1', 'soon', '1000']) {
      const r = await http(`${ctx.svc.url()}/api/reports/agents/resolution?idle_hours=${bad}`, { headers: authHeader('manager') });
      expect(r.status, bad).toBe(400);
    }
  });
});

describe('agents and resolution by label', () => {
  // vip: K1 from 08:00 (before its waits), K4 from 10:00 (before its 11:00 wait), K3 from 09:40
  // (after its thread and its wait started: not under it). order/paid: K2 08:00–08:30, removed
  // before its wait. So label=vip keeps K1's two waits (ana) and K4's unanswered one.
  beforeAll(async () => {
    const r = await http(`${ctx.svc.url()}/api/labels`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader('manager') },
      body: JSON.stringify([
        { wa_id: K1, label: 'vip', action: 'add', at: at('08:00') },
        { wa_id: K4, label: 'vip', action: 'add', at: at('10:00') },
        { wa_id: K3, label: 'vip', action: 'add', at: at('09:40') },
        { wa_id: K2, label: 'order/paid', action: 'add', at: at('08:00') },
        { wa_id: K2, label: 'order/paid', action: 'remove', at: at('08:30') },
      ]),
    });
    expect(r.status, r.text).toBe(201);
  });

  it('credits only the waits under the label when they started', async () => {
    // ana answered every answered wait under vip: her share is 100 %.
    expect(cells(await report(`${RANGE}&label=vip`), 'agent')).toEqual([['ana', 2, 2, 1, 1, 0, 100, 1200, 1200, 1, 1, 50, 1]]);
    expect(await report(`${RANGE}&label=order`)).toEqual([]);
    // Owner credit counts unanswered waits too: K1's first and K4's wait have no owner, K1's next is care's.
    expect(cells(await report(`${RANGE}&group_by=team&credit=owner&label=vip`), 'team').map((c) => [c[0], c[1], c[2]])).toEqual([['(no owner)', 2, 1], ['care', 1, 1]]);
  });

  it('narrows the managers dashboard\'s agent and team tables to the chats under the label', async () => {
    const tables = async (q: string) => {
      const r = await http(`${ctx.svc.url()}/dashboards/managers/data?from=2024-03-07&to=2024-03-07${q}`, { headers: authHeader('manager') });
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      const charts = (JSON.parse(r.text) as { charts: Array<{ id: string; spec: { data?: { values?: Array<{ row: number; column: string; text: string }> } } }> }).charts;
      // Each table's body as `name:waits` per row.
      const body = (id: string) => {
        const cells = (charts.find((c) => c.id === id)?.spec.data?.values ?? []).filter((c) => c.row > 0);
        const rows = [...new Set(cells.map((c) => c.row))];
        return rows.map((n) => ['name', 'waits'].map((col) => cells.find((c) => c.row === n && c.column === col)?.text).join(':'));
      };
      return { agents: body('agents'), teams: body('teams') };
    };
    expect(await tables('')).toEqual({ agents: ['ana:2', 'bo:1'], teams: ['care:4'] });
    expect(await tables('&label=vip')).toEqual({ agents: ['ana:2'], teams: ['care:2'] });
    expect(await tables('&label=order')).toEqual({ agents: [], teams: [] });
  });

  it('counts only the threads under the label when they started', async () => {
    const figures = (r: Record<string, unknown>) => [r.threads, r.open_threads, r.resolved, r.closed_waiting, r.closed_waiting_pct, r.p50_resolution_seconds, r.p90_resolution_seconds];
    // K1 resolved after 4800 s, K4 closed with the customer waiting.
    expect((await report(`${RANGE}&period=none&idle_hours=6&label=vip`, '/api/reports/agents/resolution')).map(figures)).toEqual([[2, 0, 1, 1, 50, 4800, 4800]]);
    expect(await report(`${RANGE}&period=none&idle_hours=6&label=order`, '/api/reports/agents/resolution')).toEqual([]);
    expect(await report(`${RANGE}&period=none&idle_hours=6&label=vip,order&label_match=all`, '/api/reports/agents/resolution')).toEqual([]);
    const bad = await http(`${ctx.svc.url()}/api/reports/agents/resolution?label=a//b`, { headers: authHeader('manager') });
    expect(bad.status).toBe(400);
  });
});
