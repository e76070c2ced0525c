import type { Service } from '../../app/server.ts';
import { addUser } from '../../app/identity/users.ts';
import { totpCode } from '../../app/identity/totp.ts';
import type { Role } from '../../app/config.ts';
import { http, type HttpResult } from '../helpers/service.ts';

/**
 * A clock the test moves by hand (`deps.now`), starting at the real time: sessions carry a TTL the
 * warehouse applies by its own clock, so a session dated in the past would be deleted under the test.
 */
export function testClock() {
  let t = Math.floor(Date.now() / 60_000) * 60_000;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms), at: () => new Date(t) };
}

export const MIN = 60_000;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

export function postLogin(svc: Service, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> {
  return http(`${svc.url()}/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: form(fields) });
}

export function cookieOf(r: HttpResult): string {
  const set = r.headers['set-cookie'];
  const first = (Array.isArray(set) ? set : [String(set)]).find((c) => c.startsWith('wa_session='));
  if (!first) throw new Error(`no session cookie (status ${r.status})`);
  return first.split(';')[0]!;
}

export interface Enrolment {
  secret: string;
  ticket: string;
  recoveryCodes: string[];
}

export function readEnrolment(page: string): Enrolment {
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page)?.[1];
  const ticket = /name="ticket" value="([^"]+)"/.exec(page)?.[1];
  const recoveryCodes = [...page.matchAll(/<li><code>([0-9a-f-]+)<\/code><\/li>/g)].map((m) => m[1]!);
  if (!secret || !ticket) throw new Error('not an enrolment page');
  return { secret, ticket, recoveryCodes };
}

export interface Person {
  userId: string;
  email: string;
  password: string;
  enrolment: Enrolment;
  cookie: string;
}

/** Creates a local account as the CLI does, signs in the first time and enrols TOTP. */
export async function enrolledPerson(svc: Service, clock: ReturnType<typeof testClock>, email: string, roles: Role[], wabas: 'all' | string[] = 'all'): Promise<Person> {
  const out = await addUser(svc.deps, { actor: 'test', role: 'system' }, { email, displayName: email.split('@')[0]!, roles, wabas });
  const first = await postLogin(svc, { email, password: out.password! });
  if (first.status !== 200) throw new Error(`first sign-in answered ${first.status}`);
  const enrolment = readEnrolment(first.text);
  const done = await postLogin(svc, { ticket: enrolment.ticket, code: totpCode(enrolment.secret, clock.at()) });
  if (done.status !== 303) throw new Error(`enrolment answered ${done.status}`);
  return { userId: out.user.user_id, email, password: out.password!, enrolment, cookie: cookieOf(done) };
}

/** A JSON request with a session cookie (what a dashboard script does). */
export function withCookie(svc: Service, path: string, cookie: string, opts: { method?: string; origin?: string; body?: string } = {}): Promise<HttpResult> {
  return http(`${svc.url()}${path}`, {
    method: opts.method ?? 'GET',
    headers: { Cookie: cookie, 'Content-Type': 'application/json', ...(opts.origin ? { Origin: opts.origin } : {}) },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
}
