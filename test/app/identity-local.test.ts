import { describe, expect, it } from 'vitest';
import { totpCode } from '../../app/identity/totp.ts';
import { addUser } from '../../app/identity/users.ts';
import { rows } from '../helpers/warehouse.ts';
import { authHeader, http, useTestService } from '../helpers/service.ts';
import { cookieOf, enrolledPerson, MIN, postLogin, readEnrolment, testClock, withCookie } from './identity-helpers.ts';

/**
 * Local accounts end to end over real HTTP and the embedded warehouse: first sign-in enrols TOTP,
 * later ones need the code or a recovery code (once each); failures are throttled per account and
 * per address; sessions live server-side with idle and absolute expiry and end on logout and
 * disable; a state-changing request with a session must come from this site.
 */

const clock = testClock();
const ctx = useTestService({ SESSION_IDLE_MINUTES: '30', SESSION_MAX_HOURS: '12' }, { now: clock.now });
const me = (cookie: string) => withCookie(ctx.svc, '/api/me', cookie);
const audited = (action: string) =>
  rows<{ actor: string; role: string; params_json: string }>(ctx.wh, `SELECT actor, role, params_json FROM {{db}}.access_audit_v1 WHERE action = {a:String} ORDER BY at, seq`, { a: action });

describe('local account', () => {
  it('enrols TOTP at the first sign-in, then signs in with password and code', async () => {
    const out = await addUser(ctx.svc.deps, { actor: 'test', role: 'system' }, { email: 'Ana@Example.com', displayName: 'Ana', roles: ['manager'], wabas: ['1001'] });
    // A password alone never opens a session: the first answer is the enrolment page.
    const first = await postLogin(ctx.svc, { email: 'ana@example.com', password: out.password! });
    expect(first.status).toBe(200);
    expect(first.headers['set-cookie']).toBeUndefined();
    expect(first.text).toContain('src="data:image/png;base64,');
    const e = readEnrolment(first.text);
    expect(e.recoveryCodes).toHaveLength(10);
    expect((await postLogin(ctx.svc, { ticket: e.ticket, code: '000000' === totpCode(e.secret, clock.at()) ? '111111' : '000000' })).status).toBe(401);
    const done = await postLogin(ctx.svc, { ticket: e.ticket, code: totpCode(e.secret, clock.at()) });
    expect(done.status).toBe(303);
    const cookie = String(done.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i);
    expect((await me(cookieOf(done))).text).toBe(JSON.stringify({ actor: out.user.user_id, roles: ['manager'], wabas: ['1001'], method: 'local', mfa: true, user_id: out.user.user_id }));
    // The ticket was used once.
    expect((await postLogin(ctx.svc, { ticket: e.ticket, code: totpCode(e.secret, clock.at()) })).status).toBe(401);

    clock.advance(2 * MIN);
    const again = await postLogin(ctx.svc, { email: 'ana@example.com', password: out.password!, code: totpCode(e.secret, clock.at()) });
    expect(again.status).toBe(303);
    expect((await me(cookieOf(again))).status).toBe(200);
    // The cookie holds a random id, the warehouse only its digest.
    const id = cookieOf(again).split('=')[1]!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await rows(ctx.wh, 'SELECT * FROM {{db}}.sessions_v1 WHERE id_hash = {id:String}', { id })).toEqual([]);
  });

  it('takes a TOTP code once: the enrolment code, or a code used to sign in, is refused when replayed in its window', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'jo@example.com', ['manager']);
    const enrolled = totpCode(p.enrolment.secret, clock.at());
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: enrolled })).status).toBe(401);
    clock.advance(30_000);
    const next = totpCode(p.enrolment.secret, clock.at());
    expect(next).not.toBe(enrolled);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: next })).status).toBe(303);
    clock.advance(10_000);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: next })).status).toBe(401);
    const failures = (await audited('identity.sign_in_failed')).filter((r) => r.actor === p.userId).map((r) => JSON.parse(r.params_json).reason);
    expect(failures).toEqual(['code already used', 'code already used']);
  });

  it('refuses a wrong code and a missing one, and takes each recovery code once', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'bruno@example.com', ['finance']);
    const right = totpCode(p.enrolment.secret, clock.at());
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: wrong })).status).toBe(401);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password })).status).toBe(401);
    expect((await postLogin(ctx.svc, { email: p.email, password: 'not-the-password', code: right })).status).toBe(401);
    const code = p.enrolment.recoveryCodes[3]!;
    const used = await postLogin(ctx.svc, { email: p.email, password: p.password, code });
    expect(used.status).toBe(303);
    expect((await me(cookieOf(used))).status).toBe(200);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code })).status).toBe(401);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: p.enrolment.recoveryCodes[4]! })).status).toBe(303);
    const failures = (await audited('identity.sign_in_failed')).filter((r) => r.actor === p.userId).map((r) => JSON.parse(r.params_json).reason);
    expect(failures).toEqual(['wrong code', 'no second factor', 'bad password', 'wrong code']);
  });

  it('locks an account after ten failures (429 with Retry-After), even for the right code, until the window passes', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'carla@example.com', ['privacy']);
    for (let i = 0; i < 10; i++) expect((await postLogin(ctx.svc, { email: p.email, password: 'wrong-password' })).status).toBe(401);
    const locked = await postLogin(ctx.svc, { email: p.email, password: p.password, code: totpCode(p.enrolment.secret, clock.at()) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBe(15 * 60);
    expect((await audited('identity.lockout')).map((r) => r.actor)).toContain(p.userId);
    clock.advance(15 * MIN + 1000);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: totpCode(p.enrolment.secret, clock.at()) })).status).toBe(303);
  });
});

describe('sessions', () => {
  it('end after the idle time without requests, and are kept alive by requests', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'dora@example.com', ['manager']);
    clock.advance(29 * MIN);
    expect((await me(p.cookie)).status).toBe(200);
    clock.advance(29 * MIN);
    expect((await me(p.cookie)).status).toBe(200);
    clock.advance(31 * MIN);
    expect((await me(p.cookie)).status).toBe(401);
  });

  it('end at the absolute limit however busy', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'edu@example.com', ['manager']);
    for (let h = 0; h < 23; h++) {
      clock.advance(30 * MIN - 1000);
      expect((await me(p.cookie)).status, `after ${h + 1} half hours`).toBe(200);
    }
    clock.advance(30 * MIN);
    expect((await me(p.cookie)).status).toBe(401);
  });

  it('end on logout, server-side: the same cookie signs no one in afterwards', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'fabi@example.com', ['finance']);
    const out = await withCookie(ctx.svc, '/logout', p.cookie, { method: 'POST', origin: ctx.svc.url() });
    expect(out.status).toBe(303);
    expect((await me(p.cookie)).status).toBe(401);
    expect((await audited('identity.sign_out')).map((r) => r.actor)).toContain(p.userId);
  });

  it('end at once when the person is disabled, and when a role is revoked', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'gil@example.com', ['manager', 'finance']);
    const q = await enrolledPerson(ctx.svc, clock, 'hana@example.com', ['manager', 'finance']);
    expect((await me(p.cookie)).status).toBe(200);
    const disabled = await http(`${ctx.svc.url()}/api/users/${p.userId}/disable`, { method: 'POST', headers: authHeader('admin') });
    expect(disabled.status).toBe(200);
    expect((await me(p.cookie)).status).toBe(401);
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password, code: totpCode(p.enrolment.secret, clock.at()) })).status).toBe(401);
    const revoked = await http(`${ctx.svc.url()}/api/users/${q.email}/revoke`, { method: 'POST', headers: { ...authHeader('admin'), 'Content-Type': 'application/json' }, body: '{"roles":["finance"]}' });
    expect(JSON.parse(revoked.text).roles).toBe('manager');
    expect((await me(q.cookie)).status).toBe(401);
    clock.advance(30_000);
    const back = await postLogin(ctx.svc, { email: q.email, password: q.password, code: totpCode(q.enrolment.secret, clock.at()) });
    expect(JSON.parse((await me(cookieOf(back))).text).roles).toEqual(['manager']);
  });

  it('answers a malformed or unknown cookie with 401, not 500', async () => {
    for (const c of ['wa_session=%E0%A4%A', 'wa_session=', 'wa_session=abc', `wa_session=${'A'.repeat(43)}`]) {
      expect((await me(c)).status, c).toBe(401);
    }
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request with a session from another origin or none, and allows this origin', async () => {
    const p = await enrolledPerson(ctx.svc, clock, 'ines@example.com', ['privacy']);
    const apply = (origin?: string) => withCookie(ctx.svc, '/api/compliance/retention/apply', p.cookie, { method: 'POST', body: '{}', ...(origin ? { origin } : {}) });
    expect((await apply('https://evil.example')).status).toBe(403);
    expect((await apply()).status).toBe(403);
    expect((await withCookie(ctx.svc, '/logout', p.cookie, { method: 'POST', origin: 'https://evil.example' })).status).toBe(403);
    expect((await me(p.cookie)).status).toBe(200);
    expect((await apply(ctx.svc.url())).status).toBe(200);
    // A sign-in form posted from another site is refused too.
    expect((await postLogin(ctx.svc, { email: p.email, password: p.password }, { Origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('throttling per address', () => {
  it('answers 429 to an address after fifty failures across accounts', async () => {
    clock.advance(16 * MIN);
    let status = 0;
    for (let i = 0; i < 50 && status !== 429; i++) status = (await postLogin(ctx.svc, { email: `nobody${i}@example.com`, password: 'guess' })).status;
    expect(status).toBe(401);
    const next = await postLogin(ctx.svc, { email: 'someone-else@example.com', password: 'guess' });
    expect(next.status).toBe(429);
    expect(Number(next.headers['retry-after'])).toBeGreaterThan(0);
  });
});
