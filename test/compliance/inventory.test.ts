import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { privacyConfigSchema } from '../../reports/compliance/config.ts';
import { inventory } from '../../reports/compliance/inventory.ts';
import { discoverSubjectTables, missingIngestTables } from '../../reports/compliance/subject-tables.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, startTestService } from '../helpers/service.ts';
import { inbound, statuses } from './fixtures.ts';

/**
 * The PII inventory is read from the warehouse's own catalogue. Every column of every table must
 * carry a classification: a module that adds a column without one fails here.
 */

let wh: Warehouse;
let svc: Service;

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const dir = mkdtempSync(join(tmpdir(), 'wa-inventory-'));
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      privacy: {
        controller: { name: 'Loja Exemplo Ltda', email: 'privacidade@loja.example' },
        storage: { provider: 'ClickHouse Cloud', region: 'us-east-1', country: 'US' },
        transfers: [{ recipient: 'ClickHouse Cloud', country: 'US', mechanism_gdpr: 'EU-US DPF (Art. 45)', mechanism_lgpd: 'ANPD standard clauses', reference: 'DPA-2025-01' }],
      },
    }),
  );
  svc = await startTestService(wh, { CONFIG_FILE: file });
});
afterAll(async () => {
  await svc?.stop();
  await wh?.close();
});

const get = (path: string, role: 'privacy' | 'manager' | 'finance' | null = 'privacy') => http(`${svc.url()}${path}`, { headers: role ? authHeader(role) : {} });

async function unclassified(): Promise<string[]> {
  const inv = await inventory(wh, privacyConfigSchema.parse({}));
  return inv.filter((r) => !r.classified).map((r) => `${r.table}.${r.column}: ${r.classification_error}`);
}

describe('PII inventory', () => {
  it('finds a classification on every column of every table', async () => {
    // To fix a failure here, give the column a comment: `COMMENT 'pii:direct; cat=identifier; purpose=support'`
    // (grammar in reports/compliance/classification.ts) in its migration.
    expect(await unclassified()).toEqual([]);
  });

  it('fails for a column added without a classification', async () => {
    await wh.writer.command({ query: `ALTER TABLE ${wh.database}.contacts_v1 ADD COLUMN nickname String` });
    try {
      expect(await unclassified()).toEqual(['contacts_v1.nickname: no classification']);
    } finally {
      await wh.writer.command({ query: `ALTER TABLE ${wh.database}.contacts_v1 DROP COLUMN nickname` });
    }
  });

  it('finds the subject in every ingest table and in other modules’ tables by their classification', async () => {
    const tables = await discoverSubjectTables(wh);
    expect(missingIngestTables(tables)).toEqual([]);
    const names = tables.map((t) => t.table);
    expect(names).toEqual(expect.arrayContaining(['sla_waits_v1', 'consent_events_v1', 'unknown_items_v1', 'label_events_v1']));
    expect(names).not.toContain('legal_holds_v1');
    expect(names).not.toContain('access_audit_v1');
    expect(tables.find((t) => t.table === 'messages_v1')!.keys.map((k) => k.column).sort()).toEqual(['from_user_id', 'system_new_wa_id', 'wa_id']);
    expect(tables.find((t) => t.table === 'raw_webhooks_v1')!.keys).toEqual([{ column: 'subject_ids', shape: 'array' }]);
  });

  it('serves the inventory as CSV, JSON, Arrow and Parquet with purposes and legal bases', async () => {
    const csv = await get('/api/compliance/inventory?format=csv');
    expect(csv.status).toBe(200);
    const table = parse(csv.text, { columns: true }) as Array<Record<string, string>>;
    expect(table.find((r) => r.table === 'messages_v1' && r.column === 'wa_id')).toMatchObject({
      pii_class: 'pii:direct', data_category: 'identifier', subject_key: 'true', purpose_ids: 'support', legal_basis_gdpr: expect.stringContaining('6(1)(b)'),
    });
    expect(table.find((r) => r.table === 'messages_v1' && r.column === 'text_body')).toMatchObject({ pii_class: 'pii:content', special_category_possible: 'true' });
    expect(table.find((r) => r.table === 'raw_webhooks_v1' && r.column === 'body')).toMatchObject({ retention_policy_id: 'default:raw', retention_days: '30' });
    const arrow = await get('/api/compliance/inventory?format=arrow');
    expect(tableFromIPC(arrow.body).numRows).toBe(table.length);
    const parquet = await get('/api/compliance/inventory?format=parquet');
    expect(parquet.body.subarray(0, 4).toString()).toBe('PAR1');
    expect((await get('/api/compliance/inventory?format=xml')).status).toBe(400);
  });

  it('lists the files holding personal data with their retention: the ingest log and archived snapshots', async () => {
    const rowsOf = async (retainMs: number, snapshotDays?: number) =>
      (await inventory(wh, privacyConfigSchema.parse(snapshotDays ? { retention: { snapshot_days: snapshotDays } } : {}), retainMs)).filter((r) => r.database === '(files in DATA_DIR)');
    const [log, snaps] = await rowsOf(36 * 3_600_000, 14);
    expect(log).toMatchObject({ table: 'ingest-log/*.wal', pii_class: 'pii:content', retention_policy_id: 'env:INGEST_LOG_RETAIN_HOURS', retention_days: 2, classified: true });
    expect(log!.ttl_expression_actual).toContain('36 h');
    expect(snaps).toMatchObject({ table: 'snapshots/<day>/*.html', pii_class: 'pii:indirect', retention_policy_id: 'config:privacy.retention.snapshot_days', retention_days: 14 });
    // Defaults: segments go once loaded; snapshots are kept 90 days.
    const [log0, snaps0] = await rowsOf(0);
    expect([log0!.retention_days, snaps0!.retention_days]).toEqual([0, 90]);
  });

  it('is for the privacy role only', async () => {
    expect((await get('/api/compliance/inventory', 'manager')).status).toBe(403);
    expect((await get('/api/compliance/inventory', 'finance')).status).toBe(403);
    expect((await get('/api/compliance/inventory', null)).status).toBe(401);
  });
});

describe('records of processing', () => {
  it('lists each activity with the controller, its tables and data categories from the inventory', async () => {
    const r = JSON.parse((await get('/api/compliance/processing?format=json')).text).rows;
    expect(r.map((a: { activity_id: string }) => a.activity_id)).toEqual(['support', 'delivery', 'marketing', 'compliance', 'operations']);
    const support = r.find((a: { activity_id: string }) => a.activity_id === 'support');
    expect(support.controller).toBe('Loja Exemplo Ltda, privacidade@loja.example');
    expect(support.data_categories.split('; ')).toEqual(expect.arrayContaining(['identifier', 'content', 'profile', 'location']));
    expect(support.tables.split(' ')).toEqual(expect.arrayContaining(['messages_v1', 'contacts_v1', 'message_echoes_v1']));
    expect(support.third_country_transfers).toContain('EU-US DPF');
  });
});

describe('cross-border view', () => {
  it('counts subjects and rows by recipient country against the storage location', async () => {
    await postSigned(svc, JSON.stringify(inbound({ from: '5511933330001', id: 'wamid.X1', at: '2026-11-01T00:00:00Z' }, { from: '5521933330002', id: 'wamid.X2', at: '2026-11-01T00:00:00Z' })));
    await postSigned(svc, JSON.stringify(statuses({ to: '4915133330003', id: 'wamid.X3', status: 'sent', at: '2026-11-01T00:00:00Z' })));
    const r = JSON.parse((await get('/api/compliance/cross-border?format=json')).text).rows;
    const row = (c: string) => r.find((x: { subject_country: string }) => x.subject_country === c);
    // Brazil: two people; each in a raw body (one shared), a message and a contact row, and the wait
    // each message started (families human and any, derived after the load) → 2 + 2 + 2 + 4 rows.
    expect(row('BR')).toMatchObject({ subjects: 2, rows: 10, transfer: true, transfer_mechanism_lgpd: 'ANPD standard clauses', storage_country: 'US', country_approximate: true });
    // Germany: one person; a raw body, a status, and who the status's message went to (billing).
    expect(row('DE')).toMatchObject({ subjects: 1, rows: 3, transfer: true, transfer_mechanism_gdpr: 'EU-US DPF (Art. 45)' });
    expect(r).toHaveLength(2);
    const audit = await rows<{ params_json: string }>(wh, `SELECT params_json FROM {{db}}.access_audit_v1 WHERE action = 'compliance.cross_border'`);
    expect(audit).toHaveLength(1);
  });
});
