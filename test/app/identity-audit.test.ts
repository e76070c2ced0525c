import { describe, expect, it } from 'vitest';
import { totpCode } from '../../app/identity/totp.ts';
import { rows } from '../helpers/warehouse.ts';
import { http, useTestService } from '../helpers/service.ts';
import { cookieOf, enrolledPerson, MIN, postLogin, testClock, withCookie } from './identity-helpers.ts';

/**
 * The access audit names people: a scripted day of sign-ins, failures, report runs and a logout
 * by two people, a service token and an API_TOKENS holder, checked entry by entry and in the
 * by-person view against counts written out by hand. Service tokens and /metrics behind a scraper
 * token; the read-only auditor.
 */

const clock = testClock();
const ADMIN = 'admin-token-123';
const AUDITOR = 'auditor-token-1';
const PRIVACY = 'privacy-token-123';
const ctx = useTestService({ API_TOKENS: `admin:${ADMIN},auditor:${AUDITOR},privacy:${PRIVACY}`, METRICS_ACCESS: 'token' }, { now: clock.now });
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const SLA = '/api/reports/sla?from=2025-03-01&to=2025-03-02';
const BILLING = '/api/reports/conversations?month=2025-08';

async function issue(body: object): Promise<{ token: string; token_id: string }> {
  const r = await http(`${ctx.svc.url()}/api/service-tokens`, { method: 'POST', headers: { ...bearer(ADMIN), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status).toBe(201);
  return JSON.parse(r.text);
}

describe('the access audit of a day', () => {
  it('names the person, how they signed in and whether with MFA, in each entry and by person', async () => {
    const ana = await enrolledPerson(ctx.svc, clock, 'ana@example.com', ['manager']);
    expect((await withCookie(ctx.svc, SLA, ana.cookie)).status).toBe(200);
    const bruno = await enrolledPerson(ctx.svc, clock, 'bruno@example.com', ['finance']);
    clock.advance(MIN);
    expect((await postLogin(ctx.svc, { email: bruno.email, password: bruno.password, code: '12345x' })).status).toBe(401);
    const again = await postLogin(ctx.svc, { email: bruno.email, password: bruno.password, code: totpCode(bruno.enrolment.secret, clock.at()) });
    expect(again.status).toBe(303);
    expect((await withCookie(ctx.svc, BILLING, cookieOf(again))).status).toBe(200);
    expect((await withCookie(ctx.svc, SLA, cookieOf(again))).status).toBe(403);
    expect((await withCookie(ctx.svc, '/logout', cookieOf(again), { method: 'POST', origin: ctx.svc.url() })).status).toBe(303);
    const etl = await issue({ name: 'etl', roles: ['finance'], expires_in_days: 30 });
    expect((await http(`${ctx.svc.url()}${BILLING}`, { headers: bearer(etl.token) })).status).toBe(200);

    // The day's actors: the worker's warehouse may hold entries of earlier test files (alert deliveries).
    const entries = await rows<{ actor: string; action: string; params_json: string }>(
      ctx.wh, `SELECT actor, action, params_json FROM {{db}}.access_audit_v1 WHERE actor IN {actors:Array(String)} ORDER BY at, seq`,
      { actors: [ana.userId, bruno.userId, 'admin#1', 'service:etl'] });
    const line = (e: { actor: string; action: string; params_json: string }) => {
      const p = JSON.parse(e.params_json) as Record<string, unknown>;
      return [e.actor, e.action, p.signed_in ?? '-', p.mfa ?? '-', p.status ?? '-'].join(' ');
    };
    const [a, b] = [ana.userId, bruno.userId];
    expect(entries.map(line)).toEqual([
      `${a} identity.totp_enrolled - - -`,
      `${a} identity.sign_in local true -`,
      `${a} sla.aggregates local true 200`,
      `${b} identity.totp_enrolled - - -`,
      `${b} identity.sign_in local true -`,
      `${b} identity.sign_in_failed - - -`,
      `${b} identity.sign_in local true -`,
      `${b} billing.conversations local true 200`,
      `${b} sla.aggregates local true 403`,
      `${b} identity.sign_out local - -`,
      `admin#1 identity.token_issue - - -`,
      `service:etl billing.conversations service false 200`,
    ]);

    const view = await http(`${ctx.svc.url()}/api/compliance/audit/people`, { headers: bearer(PRIVACY) });
    expect(view.status).toBe(200);
    const people = (JSON.parse(view.text) as { rows: Array<Record<string, unknown>> }).rows;
    const pick = (actor: string) => {
      const r = people.find((x) => x.actor === actor)!;
      return [r.email, r.sign_in_methods, r.sign_ins, r.sign_ins_without_mfa, r.failed_sign_ins, r.lockouts, r.sessions_ended, r.report_runs, r.refused];
    };
    expect(pick(a)).toEqual(['ana@example.com', 'local', 1, 0, 0, 0, 0, 1, 0]);
    expect(pick(b)).toEqual(['bruno@example.com', 'local', 2, 0, 1, 0, 1, 1, 1]);
    expect(pick('service:etl')).toEqual(['', 'service', 0, 0, 0, 0, 0, 1, 0]);
  });
});

describe('service tokens', () => {
  it('are shown once, stored hashed, scoped, expire and can be revoked', async () => {
    const t = await issue({ name: 'scraper-1', roles: ['scraper'], expires_in_days: 1 });
    expect(t.token).toMatch(/^wat_[A-Za-z0-9_-]{43}$/);
    const listed = await http(`${ctx.svc.url()}/api/service-tokens`, { headers: bearer(ADMIN) });
    expect(listed.text).not.toContain(t.token);
    const stored = await rows(ctx.wh, 'SELECT * FROM {{db}}.service_tokens_v1');
    expect(JSON.stringify(stored)).not.toContain(t.token.slice(4));

    const metrics = (token?: string) => http(`${ctx.svc.url()}/metrics`, { headers: token ? bearer(token) : {} });
    expect((await metrics()).status).toBe(401);
    expect((await metrics(PRIVACY)).status).toBe(403);
    const ok = await metrics(t.token);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('process_cpu');
    // A scraper reads nothing else.
    expect((await http(`${ctx.svc.url()}${BILLING}`, { headers: bearer(t.token) })).status).toBe(403);

    const scoped = await issue({ name: 'agency', roles: ['manager'], wabas: ['1001', '1002'], expires_in_days: 1 });
    const who = await http(`${ctx.svc.url()}/api/me`, { headers: bearer(scoped.token) });
    expect(JSON.parse(who.text)).toEqual({ actor: 'service:agency', roles: ['manager'], wabas: ['1001', '1002'], method: 'service', mfa: false });

    clock.advance(24 * 60 * MIN);
    expect((await metrics(t.token)).status).toBe(401);
    const fresh = await issue({ name: 'scraper-2', roles: ['scraper'], expires_in_days: 30 });
    expect((await metrics(fresh.token)).status).toBe(200);
    const revoked = await http(`${ctx.svc.url()}/api/service-tokens/scraper-2/revoke`, { method: 'POST', headers: bearer(ADMIN) });
    expect(revoked.status).toBe(200);
    expect((await metrics(fresh.token)).status).toBe(401);
    // Guessing a token's shape gets nowhere.
    expect((await metrics(`wat_${'A'.repeat(43)}`)).status).toBe(401);
  });
});

describe('the auditor', () => {
  it('reads the audit and reports as JSON, and may not export, erase or change anything', async () => {
    const get = (path: string) => http(`${ctx.svc.url()}${path}`, { headers: bearer(AUDITOR) });
    const post = (path: string, body: object) => http(`${ctx.svc.url()}${path}`, { method: 'POST', headers: { ...bearer(AUDITOR), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await get('/api/compliance/audit')).status).toBe(200);
    expect((await get('/api/compliance/audit/people')).status).toBe(200);
    expect((await get(SLA)).status).toBe(200);
    expect((await get(BILLING)).status).toBe(200);
    expect((await get('/api/compliance/audit?format=csv')).status).toBe(403);
    expect((await get(`${BILLING}&format=parquet`)).status).toBe(403);
    expect((await post('/api/compliance/erasure', { wa_id: '+5511987654321', legal_ground: 'test' })).status).toBe(403);
    expect((await post('/api/compliance/dsar', { wa_id: '+5511987654321' })).status).toBe(403);
    expect((await post('/api/compliance/retention/apply', {})).status).toBe(403);
    expect((await get('/api/users')).status).toBe(403);
    expect((await get('/metrics')).status).toBe(403);
  });
});

describe('the admin API', () => {
  it('narrows an all-WABA scope only by ending it and granting the WABAs to keep, each change audited', async () => {
    const call = (path: string, body?: object) =>
      http(`${ctx.svc.url()}${path}`, { method: body ? 'POST' : 'GET', headers: { ...bearer(ADMIN), 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const made = await call('/api/users', { email: 'dani@example.com', display_name: 'Dani', roles: ['manager'] });
    expect(made.status).toBe(201);
    const { user, initial_password } = JSON.parse(made.text) as { user: { user_id: string; wabas: string }; initial_password: string };
    expect(user.wabas).toBe('all');
    expect(initial_password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect((await call(`/api/users/${user.user_id}/revoke`, { wabas: ['1001'] })).status).toBe(409);
    expect(JSON.parse((await call(`/api/users/${user.user_id}/revoke`, { wabas: 'all' })).text).wabas).toBe('');
    expect(JSON.parse((await call(`/api/users/${user.user_id}/grant`, { wabas: ['1001', '1003'] })).text).wabas).toBe('1001,1003');
    expect(JSON.parse((await call(`/api/users/${user.user_id}/revoke`, { wabas: ['1003'] })).text).wabas).toBe('1001');
    const listed = (JSON.parse((await call('/api/users')).text) as Array<{ email: string; wabas: string }>).find((u) => u.email === 'dani@example.com');
    expect(listed?.wabas).toBe('1001');
    const changes = await rows<{ action: string }>(ctx.wh, `SELECT action FROM {{db}}.access_audit_v1 WHERE actor = 'admin#1' AND params_json LIKE {id:String} ORDER BY at, seq`, { id: `%${user.user_id}%` });
    expect(changes.map((c) => c.action)).toEqual(['identity.user_add', 'identity.user_revoke', 'identity.user_grant', 'identity.user_revoke']);
  });
});
