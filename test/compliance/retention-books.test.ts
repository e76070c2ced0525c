import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../app/server.ts';
import { replay } from '../../ingest/replay.ts';
import { droppedThisProcess, PAST_RETENTION } from '../../reports/compliance/arrivals.ts';
import { privacyConfig } from '../../reports/compliance/config.ts';
import { parseTableTtl, rowRetention } from '../../reports/compliance/retention.ts';
import { applyRetention, retentionStatus, type RetentionMemory } from '../../reports/compliance/retention-run.ts';
import { queryDuration } from '../../warehouse/metrics.ts';
import { catalogTables } from '../../warehouse/queries/compliance/catalog.ts';
import { modifyTableTtl, removeTableTtl } from '../../warehouse/queries/compliance/retention.ts';
import { generateSync, simulationConfig, type SimOptions } from '../../simulate/engine.ts';
import type { ConversationsRecord, TruthRecord } from '../../simulate/truth.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { ITEM_TABLES } from '../../warehouse/tables.ts';
import { getJson, refresh } from '../billing/setup.ts';
import { startTestService } from '../helpers/service.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';

/**
 * An archive older than the default retention (September 2024, conversation-based pricing) replayed
 * into a service whose TTLs follow the default policy: the personal rows are past retention on
 * arrival and are not stored, yet the billing facts are built from every status, so the month's
 * conversation counts equal the generator's truth (docs/TRUTH.md); and what was not stored is
 * counted per table, equal to what the archive holds (counted here from the bodies themselves).
 */

const SIM: SimOptions = { seed: 24, start: '2024-09-28', days: 4, scale: 6, freeTier: 10, duplicateRate: 0 };

let wh: Warehouse;
let svc: Service;
let truth: TruthRecord[];
/** Each table's TTL before the policy was applied: put back after, as later test files in this worker's store expect. */
let ttlsBefore = new Map<string, string | undefined>();
const ttls = async () => new Map((await catalogTables(wh, { db: wh.database })).map((t) => [t.name, parseTableTtl(t.create_table_query)?.expression]));
/** Items per table as the archive holds them: statuses, customer messages, app echoes. */
const sent = { statuses_v1: 0, messages_v1: 0, message_echoes_v1: 0 };

beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
  const dir = mkdtempSync(join(tmpdir(), 'wa-retention-books-'));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(simulationConfig(SIM)));
  svc = await startTestService(wh, { CONFIG_FILE: config });
  // What a default service with jobs does at start: TTLs from the default policy.
  ttlsBefore = await ttls();
  const applied = await applyRetention(wh, privacyConfig(svc.deps.config.file));
  expect(applied.failed).toEqual([]);

  truth = [];
  const lines: string[] = [];
  for (const p of generateSync({ ...SIM, onTruth: (r) => truth.push(r) })) {
    lines.push(p.body);
    for (const entry of JSON.parse(p.body).entry ?? []) {
      for (const change of entry.changes ?? []) {
        const v = change.value ?? {};
        if (change.field === 'messages') {
          sent.statuses_v1 += (v.statuses ?? []).length;
          sent.messages_v1 += (v.messages ?? []).length;
        }
        if (change.field === 'smb_message_echoes') sent.message_echoes_v1 += (v.message_echoes ?? []).length;
      }
    }
  }
  const archive = join(dir, 'september-2024.ndjson');
  writeFileSync(archive, lines.join('\n') + '\n');
  const r = await replay(archive, svc.ingest);
  expect(r.bodies).toBe(lines.length);
  await svc.settle();
  await refresh(svc);
}, 600_000);

afterAll(async () => {
  // The policy's TTLs would drop the rows of any later test file dated more than two years back.
  for (const [table, now] of await ttls()) {
    const before = ttlsBefore.get(table);
    if (now === before) continue;
    if (before) await modifyTableTtl(wh, table, before);
    else await removeTableTtl(wh, table);
  }
  await svc?.stop();
  await wh?.close();
});

describe('replaying an archive older than the default retention', () => {
  it('stores no personal row past its policy', async () => {
    const cfg = privacyConfig(svc.deps.config.file);
    expect(sent.statuses_v1).toBeGreaterThan(0);
    for (const { table } of Object.values(ITEM_TABLES)) {
      const policy = rowRetention(table, cfg);
      if (!policy) continue;
      const [r] = await rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.${table} WHERE ${policy.time_column} < now64(3) - toIntervalDay(${policy.days})`);
      expect(Number(r!.n), table).toBe(0);
    }
    // The accounting copy keeps the statuses, without the wamid.
    const [ledger] = await rows<{ n: string; wamids: string }>(wh, `SELECT count() AS n, countIf(message_key LIKE 'wamid.%') AS wamids FROM {{db}}.billing_statuses_v1 FINAL`);
    expect(Number(ledger!.n)).toBe(sent.statuses_v1);
    expect(Number(ledger!.wamids)).toBe(0);
  });

  it('counts each month\'s conversations as the generator\'s truth', async () => {
    const conv = truth.filter((r): r is ConversationsRecord => r.kind === 'conversations');
    expect(conv.length).toBeGreaterThan(0);
    expect(new Set(conv.map((c) => c.month))).toContain('2024-09');
    const key = (r: { waba_id: unknown; month: unknown; pricing_model: unknown; category: unknown }) => `${r.waba_id}|${r.month}|${r.pricing_model}|${r.category}`;
    const ours = new Map<string, { count: number; billable_count: number; free_count: number }>();
    for (const p of new Set(conv.map((r) => `${r.waba_id}|${r.month}`))) {
      const [waba, month] = p.split('|');
      const r = await getJson(svc, `/api/reports/conversations?month=${month}&waba_id=${waba}`);
      expect(r.status).toBe(200);
      for (const row of r.body.rows as Array<Record<string, unknown>>) {
        const acc = ours.get(key(row as never)) ?? { count: 0, billable_count: 0, free_count: 0 };
        acc.count += row.count as number;
        acc.billable_count += row.billable_count as number;
        acc.free_count += row.free_count as number;
        ours.set(key(row as never), acc);
      }
    }
    const expected = new Map(conv.map((r) => [key(r), { count: r.count, billable_count: r.billable_count, free_count: r.free_count }]));
    expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  it('counts what was not stored per table, equal to what the archive holds', async () => {
    const expected = Object.entries(sent).filter(([, n]) => n > 0);
    const status = await retentionStatus(wh, privacyConfig(svc.deps.config.file), new Date());
    for (const [table, n] of expected) {
      expect(status.find((s) => s.table === table)?.rows_dropped_on_arrival, table).toBe(n);
      expect((await droppedThisProcess()).find((d) => d.table === table), table).toEqual({ table, reason: PAST_RETENTION, rows: n });
    }
  });

  it('kept between calls, answers what a fresh read answers at every clock, reading only the tables that changed', async () => {
    const cfg = privacyConfig(svc.deps.config.file);
    const memory: RetentionMemory = { ages: new Map() };
    const count = async (query: string) => (await queryDuration.get()).values.find((v) => v.metricName?.endsWith('_count') && v.labels.query === query && v.labels.outcome === 'ok')?.value ?? 0;
    const reads = () => count('compliance.age_stats');
    /** Reads of a table's new parts only. */
    const partReads = () => count('compliance.part_ages');
    /** Reads of the catalogue (tables and columns). */
    const catalogReads = () => count('compliance.catalog_tables');
    const compare = async (now: Date) => {
      const [before, partsBefore, catalogBefore] = [await reads(), await partReads(), await catalogReads()];
      const kept = await retentionStatus(wh, cfg, now, memory);
      const [read, parts, catalog] = [(await reads()) - before, (await partReads()) - partsBefore, (await catalogReads()) - catalogBefore];
      expect(kept).toEqual(await retentionStatus(wh, cfg, now));
      return { kept, read, parts, catalog };
    };
    const now = new Date();
    const first = await compare(now);
    expect(first.read).toBeGreaterThan(3);
    // Nothing written since, nothing aged past a cutoff: nothing read again, the catalogue neither.
    expect(await compare(now)).toMatchObject({ read: 0, parts: 0, catalog: 0 });
    // A table's definition changed: the catalogue is read again.
    await wh.writer.command({ query: `ALTER TABLE ${wh.database}.retention_dropped_v1 MODIFY COMMENT 'dropped on arrival'` });
    expect(await compare(now)).toMatchObject({ read: 0, catalog: 1 });
    // A table without a policy written to (the drop counts themselves): its rows and the counts follow.
    const droppedRows = async () => (await rows<{ n: string }>(wh, 'SELECT count() AS n FROM {{db}}.retention_dropped_v1'))[0]!.n;
    const had = await droppedRows();
    await wh.writer.command({ query: `INSERT INTO ${wh.database}.retention_dropped_v1 SELECT * FROM ${wh.database}.retention_dropped_v1 LIMIT 1` });
    expect(Number(await droppedRows())).toBe(Number(had) + 1);
    const counted = await compare(now);
    expect(counted.read).toBe(0);
    expect(counted.kept.find((r) => r.table === 'retention_dropped_v1')?.rows_total).toBe(Number(had) + 1);
    // A table written to: only its new part is read (here: a row into the billing facts' ledger of
    // statuses, whose rows are all within its ten years), and the answer is still a fresh read's.
    const [one] = await rows<Record<string, unknown>>(wh, 'SELECT * FROM {{db}}.billing_statuses_v1 LIMIT 1');
    await wh.writer.insert({ table: `${wh.database}.billing_statuses_v1`, values: [one!], format: 'JSONEachRow' });
    expect(await compare(now)).toMatchObject({ read: 0, parts: 1 });
    // Its parts merged into one: the merged part is read, not the table.
    await wh.writer.command({ query: `OPTIMIZE TABLE ${wh.database}.billing_statuses_v1 FINAL` });
    expect(await compare(now)).toMatchObject({ read: 0, parts: 1 });
    // Twenty years on every stored row is past its policy: each table with rows is read again and in breach.
    const later = await compare(new Date(now.getTime() + 20 * 365 * 86_400_000));
    const withRows = first.kept.filter((r) => r.policy_days !== null && (r.rows_total ?? 0) > 0);
    expect(withRows.length).toBeGreaterThan(0);
    expect(later.read).toBe(withRows.length);
    expect(later.kept.filter((r) => withRows.some((w) => w.table === r.table)).every((r) => r.rows_past_policy > 0)).toBe(true);
    // Back to today: a count past a cutoff is never carried to another clock, but each part's time
    // range is the same at any clock: every row is short of today's cutoffs again, and nothing is read.
    expect(await compare(now)).toMatchObject({ read: 0, parts: 0 });
  });
});
