import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestWarehouse, rows, TEST_DATA_DIR } from '../helpers/warehouse.ts';
import { freePort, startTestService } from '../helpers/service.ts';
import { launchChromium, watchedPage } from '../dashboards/browser.ts';
import { CLIENT, startIdp, type TestIdp } from './oidc-idp.ts';

/**
 * Single sign-on end to end: headless Chromium, the service, and a real OpenID provider started
 * here. Success with MFA asserted; no MFA → refused with the reason; a group that maps to no role →
 * no access; logout ends the session server-side.
 */

let wh: Warehouse;
let svc: Service;
let idp: TestIdp;
let browser: Browser;

beforeAll(async () => {
  wh = await openTestWarehouse();
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/auth/callback`;
  idp = await startIdp(redirect);
  const file = join(mkdtempSync(join(TEST_DATA_DIR, 'sso-')), 'config.json');
  writeFileSync(file, JSON.stringify({ identity: { oidc: { groups_claim: 'groups', scopes: ['openid', 'email', 'profile', 'groups'], groups: { 'wa-managers': { roles: ['manager'], wabas: ['1001'] } } } } }));
  svc = await startTestService(wh, { PORT: String(port), CONFIG_FILE: file, OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: CLIENT.id, OIDC_CLIENT_SECRET: CLIENT.secret, OIDC_REDIRECT_URL: redirect });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await idp?.close();
  await wh?.close();
});

/** From the service's login page through the IdP's sign-in as `account`; answers the page it ends on. */
async function signInAs(account: string) {
  const w = await watchedPage(browser);
  await w.page.goto(`${svc.url()}/login`);
  await Promise.all([w.page.waitForURL(/\/interaction\//), w.page.click('#sso')]);
  await w.page.fill('#login', account);
  await Promise.all([w.page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/(dashboards|auth\/callback)/, { waitUntil: 'commit' }), w.page.click('#idp-submit')]);
  await w.page.waitForLoadState('load');
  return w;
}

const me = async (w: Awaited<ReturnType<typeof signInAs>>) => {
  const r = await w.page.request.get(`${svc.url()}/api/me`);
  return { status: r.status(), body: r.status() === 200 ? await r.json() : undefined };
};

describe('single sign-on', () => {
  it('signs in a person whose IdP asserts MFA, with the roles and WABAs of their groups', async () => {
    const w = await signInAs('ana');
    await w.page.waitForURL(`${svc.url()}/dashboards`, { waitUntil: 'commit' });
    expect(await w.page.locator('li[data-dashboard]').evaluateAll((els) => els.map((e) => e.getAttribute('data-dashboard')))).toEqual(['managers', 'templates']);
    const who = await me(w);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ roles: ['manager'], wabas: ['1001'], method: 'sso', mfa: true });
    const [user] = await rows<{ email: string; oidc_subject: string }>(wh, `SELECT email, oidc_subject FROM {{db}}.users_v1 WHERE user_id = {id:String}`, { id: who.body.user_id });
    expect(user).toEqual({ email: 'ana@corp.example', oidc_subject: `${idp.issuer}|ana` });

    // Logout ends the session server-side: the cookie copied before signs no one in after.
    const cookies = await w.context.cookies(svc.url());
    const session = cookies.find((c) => c.name === 'wa_session')!;
    expect(session.httpOnly).toBe(true);
    await w.page.click('form[action="/logout"] button');
    await w.page.waitForURL(`${svc.url()}/login`);
    const replay = await fetch(`${svc.url()}/api/me`, { headers: { Cookie: `wa_session=${session.value}` } });
    expect(replay.status).toBe(401);
    const audit = await rows<{ action: string; params_json: string }>(wh, `SELECT action, params_json FROM {{db}}.access_audit_v1 WHERE actor = {id:String} ORDER BY at, seq`, { id: who.body.user_id });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['identity.sign_in', 'identity.sign_out']));
    expect(JSON.parse(audit.find((a) => a.action === 'identity.sign_in')!.params_json)).toEqual({ signed_in: 'sso', mfa: true });
    await w.context.close();
  });

  it('refuses a sign-in whose ID token does not assert MFA, and says why', async () => {
    const w = await signInAs('bob');
    expect(await w.page.textContent('#reason')).toContain('second factor');
    expect((await me(w)).status).toBe(401);
    await w.context.close();
  });

  it('gives no access to a person none of whose groups maps to a role', async () => {
    const w = await signInAs('carl');
    expect(await w.page.textContent('#reason')).toContain('no role');
    expect((await me(w)).status).toBe(401);
    const refused = await rows<{ params_json: string }>(wh, `SELECT params_json FROM {{db}}.access_audit_v1 WHERE action = 'identity.sign_in_refused' ORDER BY at`);
    expect(refused.map((r) => JSON.parse(r.params_json).reason)).toEqual(['no_mfa', 'no_role']);
    await w.context.close();
  });
});
