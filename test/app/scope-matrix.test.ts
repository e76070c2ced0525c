import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Command } from 'commander';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MODULES } from '../../app/modules.ts';
import { documentedRoutes, type ApiRouteDoc } from '../../app/openapi.ts';
import { DASHBOARDS } from '../../dashboards/catalog.ts';
import { billingEnv, runFacts } from '../../reports/billing/facts-job.ts';
import { addSlaCli } from '../../reports/sla/cli.ts';
import { http, postSigned, TEST_TOKENS, useTestService } from '../helpers/service.ts';
import { rows } from '../helpers/warehouse.ts';

/**
 * WABA scopes, route by route: every report and dashboard route the modules mount × every role ×
 * a principal who sees every WABA and one who sees only WABA A × no filter / filter A / filter B ×
 * no credential, against statuses worked out by hand from the access rules; and no answer to the
 * WABA-A principal names anything of WABA B. Two WABAs are seeded through signed webhooks.
 */

const NOW = new Date('2025-08-20T12:00:00Z');
const A = { waba: '410000000000001', phone: '4100000000011', display: '5511300000011', customer: '5511977770001', name: 'Alfa Loja' };
const B = { waba: '420000000000002', phone: '4200000000022', display: '4420700000022', customer: '4479777700002', name: 'Beta Shop' };
const ROLES = ['admin', 'manager', 'finance', 'privacy'] as const;
type Role = (typeof ROLES)[number];

const SCOPED: Record<Role, string> = { admin: 'scoped-admin-token', manager: 'scoped-manager-token', finance: 'scoped-finance-token', privacy: 'scoped-privacy-token' };

function config(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wa-scope-')), 'config.json');
  const tenant = (t: typeof A) => ({ waba_id: t.waba, name: t.name, time_zone: 'UTC', currency: 'USD', phone_numbers: [{ phone_number_id: t.phone, display_phone_number: t.display }] });
  writeFileSync(file, JSON.stringify({ tenants: [tenant(A), tenant(B)], sla: { job: { settle_seconds: 0 } } }));
  return file;
}

const ctx = useTestService(
  {
    CONFIG_FILE: config(),
    API_TOKENS: [...ROLES.map((r) => `${r}:${TEST_TOKENS[r]}`), ...ROLES.map((r) => `${r}@${A.waba}:${SCOPED[r]}`)].join(','),
  },
  { now: () => NOW },
);

const unix = (iso: string) => String(Date.parse(iso) / 1000);

function body(t: typeof A, value: Record<string, unknown>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: t.waba, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: t.display, phone_number_id: t.phone }, ...value } }] }],
  });
}

/**
 * Per WABA: a customer message on 10 August answered by a person 300 s later (a first wait,
 * achieved), a marketing template on 12 August charged once, and a customer message at 10:00 today
 * nobody has answered (a first wait, open, in "waiting now").
 */
function traffic(t: typeof A): string[] {
  const inbound = (id: string, at: string) => body(t, { contacts: [{ profile: { name: 'Cliente' }, wa_id: t.customer }], messages: [{ from: t.customer, id, timestamp: unix(at), type: 'text', text: { body: 'Olá' } }] });
  const status = (id: string, s: string, at: string, extra: Record<string, unknown> = {}) => body(t, { statuses: [{ id, status: s, timestamp: unix(at), recipient_id: t.customer, ...extra }] });
  const marketing = { pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' } };
  return [
    inbound(`wamid.${t.waba}.in1`, '2025-08-10T10:00:00Z'),
    status(`wamid.${t.waba}.out1`, 'sent', '2025-08-10T10:05:00Z', { biz_opaque_callback_data: 'v1;src=h;ag=ana;tm=care' }),
    status(`wamid.${t.waba}.mkt`, 'sent', '2025-08-12T15:00:00Z', marketing),
    status(`wamid.${t.waba}.mkt`, 'delivered', '2025-08-12T15:00:05Z', marketing),
    inbound(`wamid.${t.waba}.in2`, '2025-08-20T10:00:00Z'),
  ];
}

beforeAll(async () => {
  for (const b of [...traffic(A), ...traffic(B)]) expect((await postSigned(ctx.svc.url(), b)).status).toBe(200);
  await ctx.svc.settle();
  await ctx.svc.jobs.find((j) => j.name === 'sla.waits')!.run(NOW);
  await runFacts(billingEnv(ctx.svc.deps), new Date(Date.now() + 60_000));
});

interface Who {
  role: Role;
  scoped: boolean;
  token: string;
}
const WHO: Who[] = [...ROLES.map((role) => ({ role, scoped: false, token: TEST_TOKENS[role] })), ...ROLES.map((role) => ({ role, scoped: true, token: SCOPED[role] }))];

/** Who may call a path, by hand from the access rules (DESIGN.md "Access"; compliance needs every WABA). */
function rule(path: string, method: string): { role: Role | readonly Role[] | 'any'; allWabas: boolean; filter?: string } {
  if (path === '/api/openapi.json' || path === '/dashboards' || path === '/api/me') return { role: 'any', allWabas: false };
  // People and service tokens: administration of the whole service.
  if (path.startsWith('/api/users') || path.startsWith('/api/service-tokens')) return { role: 'admin', allWabas: true };
  // Alert rules, firings and deliveries span every WABA: administration too.
  if (path.startsWith('/api/alerts/')) return { role: 'admin', allWabas: true };
  // Ad conversions come from service tokens (and admins): other API tokens are refused, within the scope.
  if (path === '/api/ads/conversions') return { role: 'admin', allWabas: false, filter: 'waba_id' };
  // The template catalogue is loaded by admins, for a WABA within their scope.
  if (path === '/api/templates/catalog' || path === '/api/templates/analytics') return { role: 'admin', allWabas: false, filter: 'waba_id' };
  // The firing history: the roles alerts are for, within the scope.
  if (path === '/api/reports/alerts') return { role: ['manager', 'finance', 'privacy'], allWabas: false, filter: 'waba_id' };
  // Templates, campaigns and ads: managers and finance, within the scope.
  if (/^\/api\/(reports\/(templates|ads)|templates\/)/.test(path)) return { role: ['manager', 'finance'], allWabas: false, filter: 'waba_id' };
  // Label, CSAT and agent reports read within the scope (charges by label are finance's).
  if (path.startsWith('/api/reports/labels/billing')) return { role: 'finance', allWabas: false, filter: 'waba_id' };
  if (path === '/api/labels' || /^\/api\/reports\/(labels|csat|agents)/.test(path)) return { role: 'manager', allWabas: false, filter: 'waba_id' };
  if (path.startsWith('/api/reports/sla')) return { role: 'manager', allWabas: false, filter: 'waba_id' };
  // A rate card prices every WABA: loading one needs every WABA; the list of cards holds no WABA's data.
  if (/^\/api\/(reports\/(conversations|charges|forecast|reconciliation)|billing\/)/.test(path)) return { role: 'finance', allWabas: path === '/api/billing/rate-cards' && method === 'post', filter: 'waba_id' };
  // A fixed document, not stored data.
  if (path === '/api/compliance/portability/schema') return { role: 'privacy', allWabas: false };
  if (path.startsWith('/api/compliance')) return { role: 'privacy', allWabas: true, filter: 'waba_id' };
  if (path.startsWith('/dashboards/templates')) return { role: ['manager', 'finance'], allWabas: false, filter: 'waba' };
  const d = /^\/dashboards\/(managers|finance|privacy)/.exec(path);
  if (d) return { role: d[1] === 'managers' ? 'manager' : (d[1] as Role), allWabas: d[1] === 'privacy', filter: 'waba' };
  throw new Error(`no access rule written for ${path}`);
}

/** The routes the modules mount, with path parameters filled in (every dashboard; one picture each). */
function concretePaths(doc: ApiRouteDoc): string[] {
  if (!doc.path.includes(':dashboard')) return [doc.path.replace(/:\w+/g, 'x')];
  return DASHBOARDS.map((d) => doc.path.replace(':dashboard', d.id).replace(':picture', `${d.charts[0]!.chart.id}.svg`));
}

const EXTRA: Record<string, string> = {
  '/api/reports/forecast/accuracy': 'month=2025-08', '/api/reports/reconciliation': 'month=2025-08', '/api/reports/labels/billing': 'month=2025-08',
  '/api/reports/labels/journey': 'from_label=new&to_label=order%2Fpaid', '/api/reports/agents/waits': 'name=ana',
};

function expectedStatus(path: string, method: string, who: Who | undefined, filter: 'none' | 'A' | 'B'): number {
  if (!who) return 401;
  const r = rule(path, method);
  const roles: readonly string[] = r.role === 'any' ? [] : typeof r.role === 'string' ? [r.role] : r.role;
  if (r.role !== 'any' && who.role !== 'admin' && !roles.includes(who.role)) return 403;
  if (who.scoped && r.allWabas) return 403;
  if (who.scoped && filter === 'B') return 403;
  return method === 'get' ? 200 : 0;
}

const B_MARKERS = [B.waba, B.phone, B.display, B.customer, B.name];
const contactOf = (waId: string) => 'c_' + createHmac('sha256', 'test-pii-key').update('contact\0' + waId).digest('hex').slice(0, 16);

function mounted(): ApiRouteDoc[] {
  const router = express.Router();
  for (const m of MODULES) m.routes?.(router, ctx.svc.deps);
  return documentedRoutes(router).filter((d) => d.access !== 'public');
}

async function call(method: string, path: string, query: string, who: Who | undefined) {
  const url = `${ctx.svc.url()}${path}${query ? `?${query}` : ''}`;
  const headers: Record<string, string> = { ...(who ? { Authorization: `Bearer ${who.token}` } : {}), ...(method === 'post' ? { 'Content-Type': 'application/json' } : {}) };
  return http(url, { method: method.toUpperCase(), headers, ...(method === 'post' ? { body: '{}' } : {}) });
}

describe('WABA scope matrix', () => {
  it('every route × role × scope × WABA filter answers as the access rules say, and never with WABA B to a WABA-A principal', async () => {
    const docs = mounted();
    expect(docs.length).toBeGreaterThan(35);
    const wrong: string[] = [];
    let answered = 0;
    for (const doc of docs) {
      for (const path of concretePaths(doc)) {
        const r = rule(path, doc.method);
        // The declared scope rule agrees with the one written here.
        if ((doc.wabas === 'all') !== r.allWabas && !path.startsWith('/dashboards/')) wrong.push(`${path}: declares wabas=${doc.wabas ?? 'caller'}`);
        const filters = r.filter ? (['none', 'A', 'B'] as const) : (['none'] as const);
        for (const who of [undefined, ...WHO]) {
          for (const filter of filters) {
            const expected = expectedStatus(path, doc.method, who, filter);
            // Operations that change the store run only to be refused here.
            if (expected === 0) continue;
            // Seeing every WABA, a filter changes no access: answered once, with filter B (the costly cells).
            if (who && !who.scoped && expected === 200 && filter !== filters.at(-1)) continue;
            const q = [EXTRA[path], filter === 'none' ? '' : `${r.filter}=${filter === 'A' ? A.waba : B.waba}`].filter(Boolean).join('&');
            const res = await call(doc.method, path, q, who);
            const label = `${doc.method} ${path}?${q} as ${who ? `${who.role}${who.scoped ? '@A' : ''}` : 'nobody'}`;
            if (res.status !== expected) wrong.push(`${label}: ${res.status}, expected ${expected} ${res.text.slice(0, 120)}`);
            if (res.status === 200 && who?.scoped) {
              answered++;
              const leak = [...B_MARKERS, contactOf(B.customer)].find((m) => res.text.includes(m));
              if (leak) wrong.push(`${label}: answer names ${leak} of WABA B`);
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(answered).toBeGreaterThan(20);
  }, 900_000);
});

type Rows = { rows: Array<Record<string, unknown>> };
async function json(path: string, token: string): Promise<Rows & Record<string, unknown>> {
  const r = await http(`${ctx.svc.url()}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(r.status, r.text).toBe(200);
  return JSON.parse(r.text) as Rows & Record<string, unknown>;
}

describe('what a WABA-A principal is answered', () => {
  it('SLA waits: the two waits of A (300 s and still open), where everyone-scope sees four', async () => {
    const mine = await json('/api/reports/sla/waits', SCOPED.manager);
    expect(mine.rows.map((r) => [r.waba_id, r.response_seconds])).toEqual([[A.waba, 300], [A.waba, null]]);
    expect((await json('/api/reports/sla/waits', TEST_TOKENS.manager)).rows).toHaveLength(4);
    const agg = await json('/api/reports/sla?period=none&group_by=', SCOPED.manager);
    expect(agg.rows.map((r) => [r.waits, r.answered, r.unanswered])).toEqual([[2, 1, 1]]);
  });

  it('charges and forecast: one charged marketing message of A (two for every WABA)', async () => {
    const marketing = (r: Rows) => r.rows.filter((x) => x.category === 'marketing').reduce((n, x) => n + Number(x.count), 0);
    const mine = await json('/api/reports/charges', SCOPED.finance);
    expect(new Set(mine.rows.map((r) => r.waba_id))).toEqual(new Set([A.waba]));
    expect(marketing(mine)).toBe(1);
    expect(marketing(await json('/api/reports/charges', TEST_TOKENS.finance))).toBe(2);
    const forecast = await json('/api/reports/forecast', SCOPED.finance);
    expect(forecast.rows.length).toBeGreaterThan(0);
    expect(new Set(forecast.rows.map((r) => r.waba_id))).toEqual(new Set([A.waba]));
  });

  it('dashboards offer only A as a filter choice', async () => {
    const data = (await json('/dashboards/finance/data', SCOPED.finance)) as unknown as { choices: { wabas: Array<{ id: string }>; phones: Array<{ id: string }> } };
    expect(data.choices.wabas.map((w) => w.id)).toEqual([A.waba]);
    expect(data.choices.phones.map((p) => p.id)).toEqual([A.phone]);
  });

  it('the dashboard index lists only what the scope may open', async () => {
    const listed = async (token: string) => {
      const r = await http(`${ctx.svc.url()}/dashboards`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/html' } });
      return [...r.text.matchAll(/<li data-dashboard="(\w+)"/g)].map((m) => m[1]);
    };
    expect(await listed(SCOPED.admin)).toEqual(['managers', 'finance', 'templates']);
    expect(await listed(TEST_TOKENS.admin)).toEqual(['managers', 'finance', 'privacy', 'templates']);
    expect(await listed(SCOPED.privacy)).toEqual([]);
  });

  it('report sla --waba-scope reads only those WABAs, and the audit says so', async () => {
    const program = new Command().exitOverride();
    addSlaCli(program, async () => ({ deps: ctx.svc.deps, close: async () => undefined }));
    const chunks: Buffer[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: Uint8Array | string, cb?: (e?: Error) => void) => {
      chunks.push(Buffer.from(chunk));
      cb?.();
      return true;
    }) as typeof process.stdout.write);
    try {
      await program.parseAsync(['report', 'sla', '--kind', 'waits', '--format', 'json', '--waba-scope', A.waba], { from: 'user' });
    } finally {
      write.mockRestore();
    }
    const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Rows;
    expect(out.rows.map((r) => [r.waba_id, r.response_seconds])).toEqual([[A.waba, 300], [A.waba, null]]);
    const audit = await rows<{ params_json: string }>(ctx.wh, `SELECT params_json FROM {{db}}.access_audit_v1 WHERE action = 'sla.waits' AND actor = 'cli' ORDER BY seq DESC LIMIT 1`);
    expect(JSON.parse(audit[0]!.params_json)).toMatchObject({ waba_scope: [A.waba] });
  });

  it("an analytics import naming WABA B in its body is refused to a WABA-A principal, and nothing is stored", async () => {
    const start = Date.parse('2025-08-12T00:00:00Z') / 1000;
    const saved = { id: B.waba, pricing_analytics: { data: [{ data_points: [{ start, end: start + 86_400, volume: 1, pricing_category: 'MARKETING', pricing_type: 'REGULAR', country: 'GB' }] }] } };
    const r = await http(`${ctx.svc.url()}/api/reports/reconciliation`, { method: 'POST', headers: { Authorization: `Bearer ${SCOPED.finance}`, 'Content-Type': 'application/json' }, body: JSON.stringify(saved) });
    expect(r.status, r.text).toBe(403);
    expect(await rows(ctx.wh, `SELECT 1 FROM {{db}}.billing_meta_analytics_v1`)).toEqual([]);
  });

  it("agents and resolution: A's one answered wait and thread (two for every WABA)", async () => {
    const range = 'from=2025-08-10&to=2025-08-10';
    const mine = await json(`/api/reports/agents?${range}`, SCOPED.manager);
    expect(mine.rows.map((r) => [r.agent, r.answered, r.chats])).toEqual([['ana', 1, 1]]);
    expect((await json(`/api/reports/agents?${range}`, TEST_TOKENS.manager)).rows.map((r) => [r.agent, r.answered])).toEqual([['ana', 2]]);
    const drill = await json(String(mine.rows[0]!.drill_down), SCOPED.manager);
    expect(drill.rows.map((r) => r.waba_id)).toEqual([A.waba]);
    const threads = (r: Rows) => r.rows.reduce((n, x) => n + Number(x.threads), 0);
    expect(threads(await json(`/api/reports/agents/resolution?${range}&period=none`, SCOPED.manager))).toBe(1);
    expect(threads(await json(`/api/reports/agents/resolution?${range}&period=none`, TEST_TOKENS.manager))).toBe(2);
  });

  it("labels: a WABA-A principal labels A's customers only, and its timeline counts only A's labels", async () => {
    const post = (token: string, events: unknown) => http(`${ctx.svc.url()}/api/labels`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(events),
    });
    const event = (t: typeof A, waba?: string) => ({ wa_id: t.customer, label: 'vip', action: 'add', at: '2025-08-10T09:00:00Z', ...(waba ? { waba_id: waba } : {}) });
    expect((await post(SCOPED.manager, [event(A, A.waba), event(B, B.waba)])).status).toBe(403);
    expect((await post(SCOPED.manager, event(A))).status).toBe(403);
    expect((await post(SCOPED.manager, event(A, A.waba))).status).toBe(201);
    expect((await post(TEST_TOKENS.manager, [event(B, B.waba), event(B)])).status).toBe(201);
    const added = (r: Rows) => r.rows.reduce((n, x) => n + Number(x.added), 0);
    const range = 'from=2025-08-10&to=2025-08-10';
    // A sees its own label; every WABA sees A's, B's and the one without a WABA.
    expect(added(await json(`/api/reports/labels/timeline?${range}`, SCOPED.manager))).toBe(1);
    expect(added(await json(`/api/reports/labels/timeline?${range}`, TEST_TOKENS.manager))).toBe(3);
    const journey = await json(`/api/reports/labels/journey?${range}&from_label=vip&to_label=vip`, SCOPED.manager);
    expect(journey.rows.map((r) => r.customers_started)).toEqual([1]);
  });

  it('a refusal for a WABA outside the scope is in the access audit with the scope', async () => {
    const r = await http(`${ctx.svc.url()}/api/reports/charges?waba_id=${B.waba}`, { headers: { Authorization: `Bearer ${SCOPED.finance}` } });
    expect(r.status).toBe(403);
    const audit = await rows<{ params_json: string }>(ctx.wh, `SELECT params_json FROM {{db}}.access_audit_v1 WHERE action = 'billing.charges' ORDER BY seq DESC LIMIT 1`);
    const params = JSON.parse(audit[0]!.params_json) as Record<string, unknown>;
    expect(params).toMatchObject({ status: 403, waba_id: B.waba, waba_scope: [A.waba] });
  });
});
