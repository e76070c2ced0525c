import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import { lastOccurrence } from '../../reports/alerts/occurrence.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DISPLAY, PHONE_ID, WABA } from '../fixtures/meta.ts';
import { postSigned, startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { mimeParts } from './mime.ts';
import { startSmtpReceiver } from './receivers.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('when a scheduled delivery is due', () => {
  it.each([
    // São Paulo is UTC−3 all year: Monday 08:00 is 11:00 UTC.
    ['Monday 08:00', 'America/Sao_Paulo', '2026-03-02T11:00:00Z', '2026-03-02T11:00:00.000Z'],
    ['Monday 08:00', 'America/Sao_Paulo', '2026-03-02T10:59:00Z', '2026-02-23T11:00:00.000Z'],
    ['monday 08:00', 'America/Sao_Paulo', '2026-03-08T23:00:00Z', '2026-03-02T11:00:00.000Z'],
    // London: GMT until 29 March 2026, then BST (UTC+1): the same local 08:00 an hour earlier in UTC.
    ['Monday 08:00', 'Europe/London', '2026-03-23T09:00:00Z', '2026-03-23T08:00:00.000Z'],
    ['Monday 08:00', 'Europe/London', '2026-03-30T09:00:00Z', '2026-03-30T07:00:00.000Z'],
    // Saturday: the last weekday occurrence is Friday's.
    ['weekdays 09:00', 'UTC', '2026-03-07T12:00:00Z', '2026-03-06T09:00:00.000Z'],
    ['daily 09:00', 'UTC', '2026-03-07T08:59:59Z', '2026-03-06T09:00:00.000Z'],
    // 02:30 does not exist in New York on 8 March 2026 (clocks go 02:00 → 03:00): 03:30 EDT, 07:30 UTC.
    ['daily 02:30', 'America/New_York', '2026-03-08T12:00:00Z', '2026-03-08T07:30:00.000Z'],
  ])('%s in %s, at %s → %s', (every, zone, now, expected) => {
    expect(iso(lastOccurrence(every, zone, at(now)))).toBe(expected);
  });
});

// A dashboard mailed on a schedule: Ana (manager of WABA A, São Paulo) gets the managers dashboard
// every Monday 08:00 local time as the snapshot page, pictures and CSV, with her WABA's data only;
// a finance recipient scheduled for the same dashboard gets nothing (finance may not open it).

const WABA_B = '200000000000002';
const PII_KEY = 'test-pii-key';
const contact = (waId: string) => 'c_' + createHmac('sha256', PII_KEY).update('contact\0' + waId).digest('hex').slice(0, 16);
const CUSTOMER_A = '5511911112222';
const CUSTOMER_B = '5521933334444';
let clock = at('2026-03-02T10:59:00Z');
let wh: Warehouse;
let svc: Service;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-sched-'));

const ask = (waba: string, waId: string, name: string, minutesAgo: number) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{
      id: waba,
      changes: [{
        field: 'messages',
        value: {
          messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_ID },
          contacts: [{ profile: { name }, wa_id: waId }],
          messages: [{ from: waId, id: `wamid.${waId}`, timestamp: String((clock - minutesAgo * 60_000) / 1000), type: 'text', text: { body: 'Quando chega?' } }],
        },
      }],
    }],
  });

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  smtp = await startSmtpReceiver();
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({
    alerts: {
      smtp: { host: '127.0.0.1', port: smtp.port, ignore_tls: true, from: 'alerts@example.test' },
      retry: { attempts: 2, backoff_ms: 5 },
      recipients: [
        { id: 'ana', role: 'manager', wabas: [WABA], zone: 'America/Sao_Paulo', email: 'ana@example.test' },
        { id: 'fin', role: 'finance', wabas: 'all', zone: 'America/Sao_Paulo', email: 'fin@example.test' },
      ],
      schedules: [
        { id: 'ana-weekly', recipient: 'ana', dashboard: 'managers', every: 'Monday 08:00', attach: ['html', 'png', 'svg', 'csv'], charts: ['waiting-now'] },
        { id: 'fin-managers', recipient: 'fin', dashboard: 'managers', every: 'Monday 08:00' },
      ],
    },
  }));
  svc = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json') }, { now: () => new Date(clock) });
  await postSigned(svc, ask(WABA, CUSTOMER_A, 'Helena Duarte', 30));
  await postSigned(svc, ask(WABA_B, CUSTOMER_B, 'Igor Batista', 20));
});

afterAll(async () => {
  await svc?.stop();
  await smtp?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const deliver = async () => {
  const n = await alertEngine(svc.deps).deliverScheduled();
  await alertEngine(svc.deps).idle();
  return n;
};

describe('scheduled dashboards by email', () => {
  it('nothing before Monday 08:00 São Paulo; at 08:00 once, with the recipient’s scope; not again', async () => {
    expect(await deliver()).toBe(0);
    expect(smtp.all).toHaveLength(0);
    clock = at('2026-03-02T11:00:00Z');
    expect(await deliver()).toBe(2);
    expect(await deliver()).toBe(0);
    expect(smtp.all.map((m) => m.to)).toEqual([['ana@example.test']]);
    const parts = mimeParts(smtp.all[0]!.raw);
    const files = parts.filter((p) => p.filename).map((p) => p.filename).sort();
    expect(files).toEqual(['managers-waiting-now.csv', 'managers-waiting-now.png', 'managers-waiting-now.svg', 'managers.html']);
    const png = parts.find((p) => p.filename.endsWith('.png'))!.content;
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const csv = parts.find((p) => p.filename.endsWith('.csv'))!.content.toString('utf8');
    expect(csv).toContain(contact(CUSTOMER_A));
    expect(csv).not.toContain(contact(CUSTOMER_B));
    const html = parts.find((p) => p.filename === 'managers.html')!.content.toString('utf8');
    expect(html).toContain(contact(CUSTOMER_A));
    expect(html).not.toContain(contact(CUSTOMER_B));
    for (const p of parts) {
      const text = p.content.toString('utf8');
      for (const f of [CUSTOMER_A, CUSTOMER_B, 'Helena', 'Igor', 'Quando chega']) expect(text.includes(f), `${p.filename || p.contentType} contains ${f}`).toBe(false);
    }
  });

  it('a recipient whose role may not open the dashboard gets nothing; the refusal is logged and audited', async () => {
    const log = await rows<{ recipient_id: string; outcome: string; status_code: number }>(
      wh, `SELECT recipient_id, outcome, status_code FROM {{db}}.alert_deliveries_v1 ORDER BY recipient_id, attempt`,
    );
    expect(log).toEqual([
      { recipient_id: 'ana', outcome: 'delivered', status_code: 250 },
      { recipient_id: 'fin', outcome: 'failed', status_code: 403 },
    ]);
    const audited = await rows<{ params_json: string }>(wh, `SELECT params_json FROM {{db}}.access_audit_v1 WHERE action = 'alerts.delivery' ORDER BY seq`);
    expect(audited.map((a) => { const p = JSON.parse(a.params_json); return [p.recipient, p.state, p.outcome]; }).sort()).toEqual([
      ['ana', 'scheduled', 'delivered'],
      ['fin', 'scheduled', 'failed'],
    ]);
  });
});
