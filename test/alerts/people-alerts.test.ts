import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { addUser, setStatus } from '../../app/identity/users.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { templateEventBody } from '../templates/bodies.ts';
import { startSmtpReceiver } from './receivers.ts';

// Recipients from person accounts, by e-mail through a real SMTP server. The rule names the role
// `manager`; there is no recipient in CONFIG_FILE. People:
//   ana  manager, WABA A          → told of A's paused template only
//   bia  manager, WABA B          → told of B's only
//   cid  manager, every WABA      → told of both, until disabled
//   dan  finance, every WABA      → not the rule's role: nothing
// Then cid is disabled and a third template is paused in A: ana alone hears of it.

const A = '100000000000001';
const B = '100000000000002';
const SYSTEM = { actor: 'test', role: 'system' } as const;
let wh: Warehouse;
let svc: Service;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-people-'));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  smtp = await startSmtpReceiver();
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({
    alerts: {
      smtp: { host: '127.0.0.1', port: smtp.port, ignore_tls: true, from: 'alerts@example.test' },
      retry: { attempts: 2, backoff_ms: 5 },
      rules: [{ id: 'paused', kind: 'template_paused', people: { roles: ['manager'] } }],
    },
  }));
  svc = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json') });
  const add = (email: string, roles: Array<'manager' | 'finance'>, wabas: string[] | 'all') => addUser(svc.deps, SYSTEM, { email, displayName: email, roles, wabas });
  await add('ana@example.test', ['manager'], [A]);
  await add('bia@example.test', ['manager'], [B]);
  await add('cid@example.test', ['manager'], 'all');
  await add('dan@example.test', ['finance'], 'all');
});

afterAll(async () => {
  await svc?.stop();
  await smtp?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const pause = (waba: string, id: number, name: string, at: string) =>
  templateEventBody(waba, at, 'message_template_status_update', { event: 'PAUSED', reason: 'LOW_QUALITY', message_template_id: id, message_template_name: name, message_template_language: 'en_US' });
async function post(...bodies: string[]): Promise<void> {
  for (const b of bodies) expect((await postSigned(svc, b)).status).toBe(200);
  await svc.settle();
  await alertEngine(svc.deps).idle();
}
/** Template names each person was told of (sorted: two loads may go out in either order). */
const told = () => {
  const out: Record<string, string[]> = {};
  for (const m of smtp.all) for (const to of m.to) (out[to] ??= []).push(...[...m.text.matchAll(/template=(\w+)/g)].map((x) => x[1]!));
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
};

describe('recipients from person accounts', () => {
  it('active users with the role, each only within its own WABA scope', async () => {
    expect(alertEngine(svc.deps).active).toBe(true);
    await post(pause(A, 601, 'promo_a', '2026-03-01T10:00:00Z'), pause(B, 602, 'promo_b', '2026-03-01T10:05:00Z'));
    expect(told()).toEqual({
      'ana@example.test': ['promo_a'],
      'bia@example.test': ['promo_b'],
      'cid@example.test': ['promo_a', 'promo_b'],
    });
    // The payload names the person by user id only.
    for (const m of smtp.all) expect(m.text).not.toMatch(/@example\.test/);
  });

  it('a user disabled meanwhile gets nothing at send time', async () => {
    await setStatus(svc.deps, SYSTEM, 'cid@example.test', 'disabled');
    await post(pause(A, 603, 'promo_c', '2026-03-01T11:00:00Z'));
    expect(told()).toEqual({
      'ana@example.test': ['promo_a', 'promo_c'],
      'bia@example.test': ['promo_b'],
      'cid@example.test': ['promo_a', 'promo_b'],
    });
  });
});
