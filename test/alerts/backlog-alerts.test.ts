import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../app/logger.ts';
import { startService, type Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DISPLAY, PHONE_ID, WABA } from '../fixtures/meta.ts';
import { postSigned, testConfig } from '../helpers/service.ts';
import { TEST_DATA_DIR, openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { startHttpReceiver } from './receivers.ts';
import { saidTo, type HttpReceiver } from './service.ts';

// The ingest-backlog rule over a real backlog: the warehouse refuses every load (a view on the raw
// table that throws), so the body acknowledged at R stays in the ingest log and the loader retries.
// With the rule's limit at 300 s: at R + 299 s nothing, past R + 300 s one firing with the loader's
// own figures; once the view is gone and the body is loaded, one resolution. R is only known to lie
// between the instants before and after the POST, so the clock is set outside that span.

const WA_ID = '5511900000301';
let clock = Date.now();
let wh: Warehouse;
let svc: Service;
let hooks: HttpReceiver;
const tmp = mkdtempSync(join(tmpdir(), 'wa-backlog-'));
const lines: string[] = [];
let loadFailed: () => void = () => undefined;
const failed = new Promise<void>((r) => (loadFailed = r));

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  hooks = await startHttpReceiver();
  writeFileSync(join(tmp, 'config.json'), JSON.stringify({
    alerts: {
      retry: { attempts: 1, backoff_ms: 1 },
      recipients: [{ id: 'ops', role: 'admin', wabas: 'all', webhook: { url: `${hooks.url}/ops`, secret: 'secret-of-ops-0123456789' } }],
      rules: [{ id: 'backlog', kind: 'ingest_backlog', max_age_seconds: 300 }],
    },
  }));
  const config = testConfig({ CONFIG_FILE: join(tmp, 'config.json') });
  config.ingest.logDir = mkdtempSync(join(TEST_DATA_DIR, 'ingest-log-'));
  config.audit.anchorFile = join(mkdtempSync(join(TEST_DATA_DIR, 'audit-anchors-')), 'anchors.jsonl');
  // The loader's own report of a failed load is the signal that the body is held.
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      if (String(chunk).includes('ingest load failed; retrying')) loadFailed();
      cb();
    },
  });
  svc = await startService(config, { warehouse: wh, log: createLogger('backlog', 'error', sink), scheduler: false, now: () => new Date(clock) });
});

afterAll(async () => {
  await wh?.writer.command({ query: `DROP VIEW IF EXISTS ${wh.database}.held_mv` });
  await wh?.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.held_sink` });
  await svc?.stop();
  await hooks?.close();
  await wh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Payload {
  rule_id: string;
  state: string;
  items: Array<{ backlog_age_seconds: number; backlog_bytes: number }>;
}
const said = () => saidTo<Payload>(hooks, 'ops');
const evaluateAt = async (at: number) => {
  clock = at;
  await alertEngine(svc.deps).evaluate();
  await alertEngine(svc.deps).idle();
};

describe('ingest backlog age from a held loader', () => {
  it('fires past the limit with the held body, and resolves once it is loaded', async () => {
    await wh.writer.command({ query: `CREATE TABLE ${wh.database}.held_sink (n UInt8) ENGINE = Null` });
    await wh.writer.command({ query: `CREATE MATERIALIZED VIEW ${wh.database}.held_mv TO ${wh.database}.held_sink AS SELECT throwIf(1, 'held') AS n FROM ${wh.database}.raw_webhooks_v1` });
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA, changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp', metadata: { display_phone_number: DISPLAY, phone_number_id: PHONE_ID },
        contacts: [{ profile: { name: 'Cliente' }, wa_id: WA_ID }],
        messages: [{ from: WA_ID, id: 'wamid.backlog.1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Olá' } }],
      } }] }],
    });
    const before = Date.now();
    expect((await postSigned(svc.url(), body)).status).toBe(200);
    const after = Date.now();
    await failed;

    await evaluateAt(before + 299_000);
    expect(said()).toEqual([]);

    await evaluateAt(after + 302_000);
    const fired = said();
    expect(fired.map((p) => [p.rule_id, p.state])).toEqual([['backlog', 'firing']]);
    const [item] = fired[0]!.items;
    expect(item!.backlog_age_seconds).toBeGreaterThanOrEqual(302);
    expect(item!.backlog_age_seconds).toBeLessThanOrEqual(302 + (after - before) / 1000 + 0.1);
    expect(item!.backlog_bytes).toBeGreaterThanOrEqual(Buffer.byteLength(body));
    await evaluateAt(after + 400_000);
    expect(said()).toHaveLength(1);

    // The warehouse takes loads again: the body is loaded, the backlog gone, the alert resolved.
    await wh.writer.command({ query: `DROP VIEW ${wh.database}.held_mv` });
    await svc.ingest.loader.caughtUp();
    await evaluateAt(after + 401_000);
    expect(said().map((p) => [p.rule_id, p.state])).toEqual([['backlog', 'firing'], ['backlog', 'resolved']]);
    expect(lines.join('')).not.toContain(WA_ID);
  });
});
