import { beforeAll, describe, expect, it } from 'vitest';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { customerMessage, messageStatus } from '../sla/bodies.ts';
import { addSlaCli } from '../../reports/sla/cli.ts';
import { runReportCli } from './run-cli.ts';

// End to end: labels posted to the API and carried in callback tags, signed webhook bodies, the SLA
// follower, and the reports sliced by label. Every figure below is worked out by hand from this
// timeline (Monday 4 March 2024, UTC; family human: replies tagged src=h).
//
// P  API: order/new added 09:00, removed 10:00.   P1 11:00 → 11:10 ana (600 s)    labels: none (removed before)
// Q  API: vip 08:00; tag lb=order/paid on a       Q1 10:00 → 10:05 bo (300 s)     labels: vip, order/paid
//    notification sent 09:00
// R  reply to R1 carries lb=vip (added 11:20)     R1 11:00 → 11:20 ana (1200 s)   labels: none (added after start)
//                                                  R2 13:00 → 13:30 bo (1800 s)    labels: vip
// S  API by contact id: order 07:00              S1 12:00 → 12:01 ana (60 s)     labels: order

const P = '5511900000101';
const Q = '5511900000102';
const R = '5511900000103';
const S = '5511900000104';
const h = (ag: string, extra = '') => `v1;src=h;ag=${ag};tm=care${extra}`;
const at = (hm: string) => `2024-03-04T${hm}:00Z`;
const ms = (hm: string) => String(Date.parse(at(hm)));

const ctx = useTestService();

const post = (body: unknown, role: 'manager' | 'admin' | 'finance' | 'privacy' | null = 'manager') =>
  http(`${ctx.svc.url()}/api/labels`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(role ? authHeader(role) : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) });

const get = async (path: string) => {
  const r = await http(`${ctx.svc.url()}${path}`, { headers: authHeader('manager') });
  expect(r.status, r.text).toBe(200);
  return (JSON.parse(r.text) as { rows: Array<Record<string, unknown>> }).rows;
};

const stored = async () => (await rows<{ n: string }>(ctx.wh, `SELECT count() AS n FROM {{db}}.label_events_v1 FINAL`))[0]!.n;

const RANGE = 'from=2024-03-04&to=2024-03-04&tz=UTC';

beforeAll(async () => {
  await truncateAll(ctx.wh);
  // S writes first, so its contact id names a known customer when the label arrives.
  for (const b of [customerMessage(S, 'wamid.S1', at('12:00')), messageStatus(S, 'wamid.OS1', 'sent', at('12:01'), { tag: h('ana') })]) {
    expect((await postSigned(ctx.svc, b)).status).toBe(200);
  }
  const posted = await post([
    { wa_id: P, label: 'order/new', action: 'add', at: at('09:00'), source: 'shop' },
    { wa_id: P, label: 'order/new', action: 'remove', at: at('10:00'), source: 'shop' },
    { wa_id: `+${Q}`, label: 'vip', action: 'add', at: at('08:00'), source: 'crm' },
    { contact: ctx.svc.deps.pseudonyms.contact(S), label: 'order', action: 'add', at: at('07:00'), source: 'shop' },
  ]);
  expect(posted.status, posted.text).toBe(201);
  expect(JSON.parse(posted.text)).toEqual({ stored: 4, added: 3, removed: 1, suppressed: 0 });
  const bodies = [
    messageStatus(Q, 'wamid.OQ0', 'sent', at('09:00'), { tag: 'v1;src=n;lb=order/paid', category: 'utility' }),
    customerMessage(P, 'wamid.P1', at('11:00')),
    messageStatus(P, 'wamid.OP1', 'sent', at('11:10'), { tag: h('ana') }),
    customerMessage(Q, 'wamid.Q1', at('10:00')),
    messageStatus(Q, 'wamid.OQ1', 'sent', at('10:05'), { tag: h('bo') }),
    customerMessage(R, 'wamid.R1', at('11:00')),
    messageStatus(R, 'wamid.OR1', 'sent', at('11:20'), { tag: h('ana', ';lb=vip') }),
    messageStatus(R, 'wamid.OR1', 'delivered', at('11:21'), { tag: h('ana', ';lb=vip') }),
    customerMessage(R, 'wamid.R2', at('13:00')),
    messageStatus(R, 'wamid.OR2', 'sent', at('13:30'), { tag: h('bo') }),
  ];
  for (const b of bodies) expect((await postSigned(ctx.svc, b)).status).toBe(200);
});

/** The human waits of the day as `customer-start:seconds`, sorted. */
async function waits(filter: string): Promise<string[]> {
  const list = await get(`/api/reports/sla/waits?${RANGE}&family=human&format=json&${filter}`);
  const who: Record<string, string> = { [P]: 'P', [Q]: 'Q', [R]: 'R', [S]: 'S' };
  const contact = (c: unknown) => Object.entries(who).find(([wa]) => ctx.svc.deps.pseudonyms.contact(wa) === c)?.[1] ?? String(c);
  return list.map((w) => `${contact(w.contact)}${String(w.started_at).slice(11, 16)}:${w.response_seconds}`).sort();
}

describe('labels stored', () => {
  it('keeps each event once, from the API and from the sent status of a tagged message', async () => {
    const events = await rows(ctx.wh, `SELECT wa_id, label, action, toString(toUnixTimestamp64Milli(at)) AS at, source, origin, ref FROM {{db}}.label_events_v1 FINAL ORDER BY at, label`);
    expect(events).toEqual([
      { wa_id: S, label: 'order', action: 'add', at: ms('07:00'), source: 'shop', origin: 'api', ref: '' },
      { wa_id: Q, label: 'vip', action: 'add', at: ms('08:00'), source: 'crm', origin: 'api', ref: '' },
      { wa_id: P, label: 'order/new', action: 'add', at: ms('09:00'), source: 'shop', origin: 'api', ref: '' },
      { wa_id: Q, label: 'order/paid', action: 'add', at: ms('09:00'), source: 'tag', origin: 'tag', ref: 'wamid.OQ0' },
      { wa_id: P, label: 'order/new', action: 'remove', at: ms('10:00'), source: 'shop', origin: 'api', ref: '' },
      { wa_id: R, label: 'vip', action: 'add', at: ms('11:20'), source: 'tag', origin: 'tag', ref: 'wamid.OR1' },
    ]);
    // The same event again (a retry) stores nothing new.
    expect((await post({ wa_id: Q, label: 'vip', action: 'add', at: at('08:00'), source: 'crm' })).status).toBe(201);
    expect(await stored()).toBe(6);
  });

  it('refuses bad input with a 400 naming the field, storing nothing of the request', async () => {
    const good = { wa_id: P, label: 'x', action: 'add', at: at('09:00') };
    const cases: Array<[unknown, string]> = [
      ['{not json', ''],
      [[], 'body'],
      [{ ...good, label: 'a//b' }, 'label'],
      [[good, { ...good, action: 'flip' }], '[1].action'],
      [[good, { ...good, at: '2024-03-04' }], '[1].at'],
      [{ ...good, wa_id: undefined, contact: 'c_00000000000000ff' }, 'contact'],
    ];
    for (const [body, parameter] of cases) {
      const r = await post(body);
      expect(r.status, `${JSON.stringify(body)} → ${r.text}`).toBe(400);
      if (parameter) expect(JSON.parse(r.text).parameter).toBe(parameter);
    }
    expect(await stored()).toBe(6);
  });

  it('takes managers and admins; others are refused and every call is audited', async () => {
    const one = { wa_id: P, label: 'audit-check', action: 'remove', at: at('23:00') };
    expect((await post(one, null)).status).toBe(401);
    expect((await post(one, 'finance')).status).toBe(403);
    expect((await post(one, 'privacy')).status).toBe(403);
    expect((await post(one, 'admin')).status).toBe(201);
    const audit = await rows<{ role: string; params_json: string; rows_returned: number | null }>(ctx.wh, `SELECT role, params_json, rows_returned FROM {{db}}.access_audit_v1 WHERE action = 'labels.record' ORDER BY seq`);
    expect(audit.map((a) => a.role)).toEqual(expect.arrayContaining(['finance', 'privacy', 'admin']));
    for (const a of audit) expect(a.params_json).not.toContain(P.slice(2));
    await ctx.wh.writer.command({ query: `DELETE FROM ${ctx.wh.database}.label_events_v1 WHERE label = 'audit-check'` });
  });
});

describe('SLA reports by label', () => {
  it('tags a wait with the labels in force when it started', async () => {
    expect(await waits('')).toEqual(['P11:00:600', 'Q10:00:300', 'R11:00:1200', 'R13:00:1800', 'S12:00:60']);
    expect(await waits('label=vip')).toEqual(['Q10:00:300', 'R13:00:1800']);
    // `order` covers order/paid and order itself; P's order/new was removed before P1 started.
    expect(await waits('label=order')).toEqual(['Q10:00:300', 'S12:00:60']);
    expect(await waits('label=order/paid')).toEqual(['Q10:00:300']);
    expect(await waits('label=order/new')).toEqual([]);
    expect(await waits('label=vip,order')).toEqual(['Q10:00:300', 'R13:00:1800', 'S12:00:60']);
    expect(await waits('label=vip,order&label_match=all')).toEqual(['Q10:00:300']);
    expect(await waits('label=vip,order/paid&label_match=all')).toEqual(['Q10:00:300']);
  });

  it('groups aggregates by label: a wait under two labels counts in both', async () => {
    const cells = await get(`/api/reports/sla?${RANGE}&family=human&period=none&group_by=label&format=json`);
    expect(cells.map((c) => [c.label, c.waits, c.mean_seconds, c.p50_seconds])).toEqual([
      ['', 2, 900, 1200],
      ['order', 1, 60, 60],
      ['order/paid', 1, 300, 300],
      ['vip', 2, 1050, 1800],
    ]);
    const asked = await get(`/api/reports/sla?${RANGE}&family=human&period=none&group_by=label&label=order&format=json`);
    expect(asked.map((c) => [c.label, c.waits])).toEqual([['order', 1], ['order/paid', 1]]);
  });

  it('refuses a malformed label filter', async () => {
    const r = await http(`${ctx.svc.url()}/api/reports/sla/waits?${RANGE}&label=a//b`, { headers: authHeader('manager') });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).parameter).toBe('label');
  });
});

describe('report sla --label', () => {
  const sla = (...args: string[]) => runReportCli(addSlaCli, ctx.svc.deps, ['sla', '--from', '2024-03-04', '--to', '2024-03-04', '--tz', 'UTC', '--family', 'human', '--format', 'json', ...args]);
  const contacts = async (...args: string[]) => {
    const r = await sla('--kind', 'waits', ...args);
    expect(r.exitCode, r.stderr).toBe(0);
    const who: Record<string, string> = { [P]: 'P', [Q]: 'Q', [R]: 'R', [S]: 'S' };
    const name = (c: unknown) => Object.entries(who).find(([wa]) => ctx.svc.deps.pseudonyms.contact(wa) === c)?.[1] ?? String(c);
    return (JSON.parse(r.stdout) as { rows: Array<Record<string, unknown>> }).rows.map((w) => `${name(w.contact)}${String(w.started_at).slice(11, 16)}`).sort();
  };

  it('filters by repeated --label options as the API does by a comma list, any or all of them', async () => {
    expect(await contacts('--label', 'vip', '--label', 'order')).toEqual(['Q10:00', 'R13:00', 'S12:00']);
    expect(await contacts('--label', 'vip,order')).toEqual(['Q10:00', 'R13:00', 'S12:00']);
    expect(await contacts('--label', 'vip', '--label', 'order', '--label-match', 'all')).toEqual(['Q10:00']);
    expect(await contacts('--label', 'order/new')).toEqual([]);
  });

  it('groups aggregates by label and refuses a malformed label naming it', async () => {
    const r = await sla('--kind', 'aggregates', '--period', 'none', '--group-by', 'label', '--label', 'order');
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { rows: Array<Record<string, unknown>> }).rows.map((c) => [c.label, c.waits])).toEqual([['order', 1], ['order/paid', 1]]);
    const bad = await sla('--kind', 'waits', '--label', 'a//b');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^report sla: label: /);
    expect(bad.stdout).toBe('');
  });
});

describe('label timeline', () => {
  it('counts adds and removes per day and label', async () => {
    expect(await get(`/api/reports/labels/timeline?${RANGE}&format=json`)).toEqual([
      { period: '2024-03-04', label: 'order', added: 1, removed: 0, customers_added: 1 },
      { period: '2024-03-04', label: 'order/new', added: 1, removed: 1, customers_added: 1 },
      { period: '2024-03-04', label: 'order/paid', added: 1, removed: 0, customers_added: 1 },
      { period: '2024-03-04', label: 'vip', added: 2, removed: 0, customers_added: 2 },
    ]);
    expect((await get(`/api/reports/labels/timeline?${RANGE}&label=order/paid,vip&format=json`)).map((r) => r.label)).toEqual(['order/paid', 'vip']);
  });

  it('measures the time from one label to another per customer', async () => {
    // Q: vip 08:00 → order/paid 09:00 (3600 s); R: vip 11:20, never paid.
    expect(await get(`/api/reports/labels/journey?${RANGE}&from_label=vip&to_label=order/paid&format=json`)).toEqual([
      { from_label: 'vip', to_label: 'order/paid', customers_started: 2, customers_reached: 1, mean_seconds: 3600, p50_seconds: 3600, p90_seconds: 3600 },
    ]);
    // `order` covers order itself (S 07:00), order/new (P 09:00) and order/paid (Q 09:00, after Q's vip at 08:00).
    expect(await get(`/api/reports/labels/journey?${RANGE}&from_label=order&to_label=vip&format=json`)).toEqual([
      { from_label: 'order', to_label: 'vip', customers_started: 3, customers_reached: 0, mean_seconds: null, p50_seconds: null, p90_seconds: null },
    ]);
  });
});

describe('charged messages by label', () => {
  // August 2025 (per-message pricing, UTC months). T: vip from 1 Aug 08:00 to 2 Aug 00:00.
  // OT1 marketing, delivered 1 Aug 09:00:05 → vip.   OU1 utility (U never labelled) → ''.
  // OT2 marketing, delivered 3 Aug 09:00:02 → '' (vip removed before the charge).
  const T = '5511900000105';
  const U = '5511900000106';

  it('counts each charge under the labels in force when it was charged', async () => {
    const posted = await post([
      { wa_id: T, label: 'vip', action: 'add', at: '2025-08-01T08:00:00Z' },
      { wa_id: T, label: 'vip', action: 'remove', at: '2025-08-02T00:00:00Z' },
    ]);
    expect(posted.status, posted.text).toBe(201);
    for (const [to, id, category, sent, delivered] of [
      [T, 'wamid.OT1', 'marketing', '2025-08-01T09:00:00Z', '2025-08-01T09:00:05Z'],
      [U, 'wamid.OU1', 'utility', '2025-08-01T10:00:00Z', '2025-08-01T10:00:03Z'],
      [T, 'wamid.OT2', 'marketing', '2025-08-03T09:00:00Z', '2025-08-03T09:00:02Z'],
    ] as const) {
      expect((await postSigned(ctx.svc, messageStatus(to, id, 'sent', sent, { category, tag: 'v1;src=c' }))).status).toBe(200);
      expect((await postSigned(ctx.svc, messageStatus(to, id, 'delivered', delivered, { category, tag: 'v1;src=c' }))).status).toBe(200);
    }
    const finance = async (query: string) => {
      const r = await http(`${ctx.svc.url()}/api/reports/labels/billing?month=2025-08&format=json${query}`, { headers: authHeader('finance') });
      expect(r.status, r.text).toBe(200);
      return (JSON.parse(r.text) as { rows: Array<Record<string, unknown>> }).rows.map((x) => `${x.label}|${x.kind}|${x.pricing_model}|${x.category}|${x.count}|${x.billable_count}|${x.free_count}`);
    };
    expect(await finance('')).toEqual([
      '|message|PMP|marketing|1|1|0',
      '|message|PMP|utility|1|1|0',
      'vip|message|PMP|marketing|1|1|0',
    ]);
    expect(await finance('&label=vip')).toEqual(['vip|message|PMP|marketing|1|1|0']);
    expect(await finance('&label=vip,order&label_match=all')).toEqual([]);
    const refused = await http(`${ctx.svc.url()}/api/reports/labels/billing?month=2025-13`, { headers: authHeader('finance') });
    expect(refused.status).toBe(400);
    expect((await http(`${ctx.svc.url()}/api/reports/labels/billing?month=2025-08`, { headers: authHeader('manager') })).status).toBe(403);
  });
});
