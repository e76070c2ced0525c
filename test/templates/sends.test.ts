import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Service } from '../../app/server.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { TemplatesRecord, TruthRecord } from '../../simulate/truth.ts';
import { factWrites } from '../../reports/billing/fact-writes.ts';
import { fullPass, rebuildCustomers, runSends, sendsEnv, SENDS_JOB } from '../../reports/templates/sends.ts';
import { insertMessageFacts } from '../../warehouse/queries/billing/facts.ts';
import type { MessageFactRow } from '../../warehouse/schema/billing.ts';
import { saveSendsState } from '../../warehouse/queries/templates/sends.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { inbound, statuses, WABA } from '../fixtures/meta.ts';
import { startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';

/**
 * The derived template sends kept by the follower over many small loads (a reply, click or opt-out
 * often arriving in a later load than its send) equal those of one full pass over the same stored
 * rows, and those the job's catch-up rebuilds: row for row, every column but the version.
 */

const SIM: SimOptions = { seed: 1515, start: '2025-09-29', days: 3, scale: 30 };
/** Bodies per load: small, so a send and what follows it land in different loads. */
const PER_LOAD = 120;

let wh: Warehouse;
let service: Service;
let truth: TruthRecord[] = [];

beforeAll(async () => {
  wh = await openTestWarehouse();
  const config = join(mkdtempSync(join(tmpdir(), 'wa-templates-sends-')), 'config.json');
  writeFileSync(config, JSON.stringify(simulationConfig(SIM)));
  service = await startTestService(wh, { CONFIG_FILE: config });
  await truncateAll(wh);
  truth = [];
  let pending: Promise<void>[] = [];
  for (const p of generateSync({ ...SIM, onTruth: (r) => truth.push(r) })) {
    pending.push(service.ingest.append({ body: Buffer.from(p.body), receivedAt: Date.now(), signatureValid: true }));
    if (pending.length >= PER_LOAD) {
      await Promise.all(pending);
      pending = [];
      // Loaded and followed before the next bodies are even in the log: one small load each.
      await service.settle();
    }
  }
  await Promise.all(pending);
  await service.settle();
}, 600_000);
afterAll(async () => {
  await service?.stop();
  await wh?.close();
});

const COLUMNS = `waba_id, wamid, message_key, phone_number_id, wa_id, first_ts, delivered_ts, accepted, is_read, is_failed, fail_code, priced,
  priced_category, template, language, campaign, attribution, replied, clicked, opted_out, charged, charge_category, charge_day, charge_market,
  charge_billable`;
const derived = () => rows<Record<string, unknown>>(wh, `SELECT ${COLUMNS} FROM {{db}}.template_sends_v1 FINAL ORDER BY waba_id, wamid`);
const sum = (rs: Array<Record<string, unknown>>, c: string) => rs.reduce((n, r) => n + Number(r[c]), 0);

describe('derived template sends', () => {
  it('kept over many small loads equal one full pass over the same rows', async () => {
    const bodies = (await rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.raw_webhooks_v1`))[0]!;
    expect(Number(bodies.n)).toBeGreaterThan(PER_LOAD * 15);
    const incremental = await derived();
    // What the generator says was sent as templates, replied to, clicked and opted out of: the follower's rows hold it.
    const t = truth.filter((r): r is TemplatesRecord => r.kind === 'templates');
    for (const c of ['replied', 'clicked', 'opted_out'] as const) {
      expect(sum(incremental, c), c).toBe(t.reduce((n, r) => n + r[c], 0));
      expect(sum(incremental, c), c).toBeGreaterThan(0);
    }
    // Each delivered send stores its charge, whichever of the send and its fact was written first.
    const charged = incremental.filter((r) => Number(r.priced) === 1 && r.delivered_ts !== '1970-01-01 00:00:00.000' && Number(r.charged) === 1);
    expect(charged.length).toBe(t.reduce((n, r) => n + r.charged, 0));
    expect(charged.length).toBeGreaterThan(0);

    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.template_sends_v1` });
    await fullPass(sendsEnv(service.deps));
    expect(await derived()).toEqual(incremental);
  }, 120_000);

  it('a send rebuilt while its fact is being written looks its charge up again once the write is done', async () => {
    const send = (await rows<{ waba_id: string; wa_id: string; message_key: string }>(wh,
      `SELECT waba_id, wa_id, message_key FROM {{db}}.template_sends_v1 FINAL WHERE charged = 1 ORDER BY wamid LIMIT 1`))[0]!;
    const charged = () => rows<{ charged: number }>(wh, `SELECT charged FROM {{db}}.template_sends_v1 FINAL WHERE message_key = {k:String}`, { k: send.message_key });
    const fact = await rows<MessageFactRow>(wh, `SELECT * REPLACE (toUnixTimestamp64Milli(charge_ts) AS charge_ts,
      toUnixTimestamp64Milli(source_received_at) AS source_received_at, toString(label_set) AS label_set)
      FROM {{db}}.billing_messages_v1 FINAL WHERE wamid = {k:String}`, { k: send.message_key });
    expect(fact).toHaveLength(1);
    await wh.writer.command({ query: `ALTER TABLE ${wh.database}.billing_messages_v1 DELETE WHERE wamid = {k:String} SETTINGS mutations_sync = 2`, query_params: { k: send.message_key } });

    // A fact write under way: the rebuild finds no fact, stores the send uncharged and waits for the write.
    const writes = factWrites(wh);
    let finish!: () => void;
    const write = writes.around(() => new Promise<void>((r) => (finish = r)));
    const waiting = new Promise<void>((resolve) => {
      const idle = writes.idle.bind(writes);
      vi.spyOn(writes, 'idle').mockImplementation(() => (resolve(), idle()));
    });
    const rebuild = rebuildCustomers(sendsEnv(service.deps), [[send.waba_id, send.wa_id]]);
    await waiting;
    expect(await charged()).toEqual([{ charged: 0 }]);
    // The write stores the fact but (as one that ran before the send was stored) copies it onto no send.
    await insertMessageFacts(wh, fact);
    finish();
    await write;
    await rebuild;
    vi.restoreAllMocks();
    expect(await charged()).toEqual([{ charged: 1 }]);
  }, 120_000);

  it('the job catching up from its watermark rebuilds the same rows', async () => {
    const full = await derived();
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.template_sends_v1` });
    const env = sendsEnv(service.deps);
    // Filled, as far as the job knows, before any of these rows were stored.
    const fp = (await rows<{ fingerprint: string }>(wh, `SELECT fingerprint FROM {{db}}.template_sends_state_v1 FINAL WHERE job = '${SENDS_JOB}'`))[0]!.fingerprint;
    await saveSendsState(wh, [{ job: SENDS_JOB, fingerprint: fp, backfilled: 1, watermark_ms: Date.parse('2000-01-01'), updated_at: Date.now() }]);
    expect((await runSends(env)).full).toBe(false);
    expect(await derived()).toEqual(full);
  }, 120_000);
  it('a send first stored after a reply and an opt-out that came after it takes them from the send before it', async () => {
    // Hand-computed: S1 sent at T, a reply at T+2h and STOP at T+3h go to S1 (24 h and 72 h windows).
    // S2's statuses arrive later but say it was sent at T+1h: both now go to S2, the last send before them.
    const customer = '5599912340001';
    const T = Date.parse('2025-10-05T10:00:00Z') / 1000;
    const tag = 'v1;src=c;tp=promo_late;tl=pt_BR';
    const pricing = { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' };
    const sent = (id: string, at: number) => statuses(
      { id, status: 'sent', timestamp: String(at), recipient_id: customer, biz_opaque_callback_data: tag, pricing },
      { id, status: 'delivered', timestamp: String(at + 60), recipient_id: customer, biz_opaque_callback_data: tag, pricing },
    );
    const load = async (...bodies: object[]) => {
      for (const b of bodies) await service.ingest.append({ body: Buffer.from(JSON.stringify(b)), receivedAt: Date.now(), signatureValid: true });
      await service.settle();
    };
    const sends = () => rows<{ wamid: string; replied: number; opted_out: number }>(wh,
      `SELECT wamid, replied, opted_out FROM {{db}}.template_sends_v1 FINAL WHERE wa_id = {c:String} ORDER BY wamid`, { c: customer });

    await load(
      sent('wamid.late.S1', T),
      inbound({ from: customer, id: 'wamid.late.reply', timestamp: String(T + 7200), type: 'text', text: { body: 'oi, quanto custa?' } }),
      inbound({ from: customer, id: 'wamid.late.stop', timestamp: String(T + 10800), type: 'text', text: { body: 'STOP' } }),
    );
    expect(await sends()).toEqual([{ wamid: 'wamid.late.S1', replied: 1, opted_out: 1 }]);

    await load(sent('wamid.late.S2', T + 3600));
    const followed = await sends();
    expect(followed).toEqual([{ wamid: 'wamid.late.S1', replied: 0, opted_out: 0 }, { wamid: 'wamid.late.S2', replied: 1, opted_out: 1 }]);
    // The same as rebuilding the customer whole.
    await rebuildCustomers(sendsEnv(service.deps), [[WABA, customer]]);
    expect(await sends()).toEqual(followed);
  }, 120_000);
});
