import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { TemplatesRecord, TruthRecord } from '../../simulate/truth.ts';
import { fullPass, runSends, sendsEnv, SENDS_JOB } from '../../reports/templates/sends.ts';
import { saveSendsState } from '../../warehouse/queries/templates/sends.ts';
import type { Warehouse } from '../../warehouse/client.ts';
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
  priced_category, template, language, campaign, attribution, replied, clicked, opted_out`;
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

    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.template_sends_v1` });
    await fullPass(sendsEnv(service.deps));
    expect(await derived()).toEqual(incremental);
  }, 120_000);

  it('the job catching up from its watermark rebuilds the same rows', async () => {
    const full = await derived();
    await wh.writer.command({ query: `TRUNCATE TABLE ${wh.database}.template_sends_v1` });
    const env = sendsEnv(service.deps);
    // Filled, as far as the job knows, before any of these rows were stored.
    const fp = (await rows<{ fingerprint: string }>(wh, `SELECT fingerprint FROM {{db}}.template_sends_state_v1 FINAL`))[0]!.fingerprint;
    await saveSendsState(wh, [{ job: SENDS_JOB, fingerprint: fp, backfilled: 1, watermark_ms: Date.parse('2000-01-01'), updated_at: Date.now() }]);
    expect((await runSends(env)).full).toBe(false);
    expect(await derived()).toEqual(full);
  }, 120_000);
});
