import { beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subjectScreen } from '../../reports/compliance/suppression.ts';
import { expireSnapshots, writeSnapshots } from '../../dashboards/snapshots.ts';
import { replay } from '../../ingest/replay.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { TEST_DATA_DIR, rows, truncateAll } from '../helpers/warehouse.ts';
import { filesContaining, scanFor } from './scan.ts';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { echo, inbound, statuses } from './fixtures.ts';

/**
 * Erasure leaves nothing on disk: after the receipt, no file under DATA_DIR (the engine's parts,
 * mutation logs, the ingest log's kept segments, archived snapshots) holds the subject's number,
 * name or message text, and no copy the deletion replaced is left. The strings are unique to this
 * file, so whatever other tests of this worker left behind cannot match them.
 */

const DORA = '5511976540099';
const DORA_NAME = 'Dora Quintela';
const DORA_TEXT = 'encomenda azul-turquesa 7781';
const EDU = '5511976540100';
const NEEDLES = [DORA, DORA_NAME, DORA_TEXT];

// Small segments, kept a day: the log holds several loaded segments for replay, as in production.
const ctx = useTestService({ INGEST_LOG_SEGMENT_BYTES: '4096', INGEST_LOG_RETAIN_HOURS: '24' });

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();

function bodies() {
  return [
    inbound({ from: DORA, id: 'wamid.D1', at: hoursAgo(3), text: DORA_TEXT, name: DORA_NAME }, { from: EDU, id: 'wamid.E1', at: hoursAgo(3), text: 'tudo certo', name: 'Edu Prado' }),
    inbound({ from: DORA, id: 'wamid.D2', at: hoursAgo(2), text: `${DORA_TEXT} de novo`, name: DORA_NAME }),
    statuses({ to: DORA, id: 'wamid.O1', status: 'sent', at: hoursAgo(2.5), category: 'utility' }, { to: EDU, id: 'wamid.O2', status: 'sent', at: hoursAgo(2.5), category: 'utility' }),
    // Answered once; her later message still waits, so the managers' snapshot lists her.
    echo(DORA, 'wamid.X1', hoursAgo(2.8), 'sua encomenda saiu'),
    // Filler from someone else, so the log rolls over several segments.
    ...Array.from({ length: 12 }, (_, i) => inbound({ from: EDU, id: `wamid.F${i}`, at: hoursAgo(1), text: `mensagem ${i} ${'x'.repeat(400)}` })),
  ];
}

beforeEach(async () => {
  await truncateAll(ctx.wh);
  await subjectScreen(ctx.wh, ctx.svc.deps.pseudonyms).refresh();
  for (const b of bodies()) expect((await postSigned(ctx.svc, JSON.stringify(b))).status).toBe(200);
});

describe('erasure on disk', () => {
  it('leaves the number, name and text in no file under DATA_DIR, and no pre-erasure copy in system.parts', async () => {
    const pseudonym = ctx.svc.deps.pseudonyms.contact(DORA);
    const snapshots = await writeSnapshots(ctx.svc.deps, new Date());
    // The checks below can fail: before erasure the strings are on disk in the log and the tables,
    // and the archive names Dora by her pseudonym.
    const before = filesContaining(TEST_DATA_DIR, NEEDLES);
    expect(before.some((h) => h.file.includes('/ingest-log-') && h.needle === DORA)).toBe(true);
    expect(before.some((h) => h.file.includes(join(TEST_DATA_DIR, 'clickhouse')) && h.needle === DORA)).toBe(true);
    expect(snapshots.some((f) => readFileSync(f, 'utf8').includes(pseudonym))).toBe(true);
    const logSegments = readdirSync(ctx.svc.deps.config.ingest.logDir).filter((n) => n.endsWith('.wal')).length;
    expect(logSegments).toBeGreaterThan(2);

    const r = await http(`${ctx.svc.url()}/api/compliance/erasure`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeader('privacy') },
      body: JSON.stringify({ wa_id: DORA, legal_ground: 'GDPR 17(1)(a)' }),
    });
    expect(r.status, r.text).toBe(200);
    const receipt = JSON.parse(r.text);
    expect(receipt.status).toBe('completed');
    expect(receipt.purge_due_at).toBeNull();
    for (const t of receipt.tables) expect(t, t.table).toMatchObject({ rows_after: 0, rows_after_physical: 0, inactive_copies_after: 0 });
    const files = Object.fromEntries(receipt.files.map((f: { store: string }) => [f.store, f]));
    // Dora is in 4 bodies of the log (2 inbound, the statuses, the echo).
    expect(files.ingest_log).toMatchObject({ found_before: 4, found_after: 0 });
    expect(files.dashboard_snapshots.found_before).toBeGreaterThan(0);
    expect(files.dashboard_snapshots.found_after).toBe(0);

    expect(filesContaining(TEST_DATA_DIR, [...NEEDLES, pseudonym])).toEqual([]);
    // Copies the deletions replaced: any inactive part still listed has no files left.
    const inactive = await rows<{ table: string; path: string }>(ctx.wh, `SELECT table, path FROM system.parts WHERE database = {db:String} AND NOT active`, { db: ctx.wh.database });
    expect(inactive.filter((p) => existsSync(p.path) && filesContaining(p.path, [DORA]).length > 0)).toEqual([]);
    // Mutations record only the request, never an id.
    const mutations = await rows<{ command: string }>(ctx.wh, `SELECT command FROM system.mutations WHERE database = {db:String}`, { db: ctx.wh.database });
    for (const m of mutations) for (const n of NEEDLES) expect(m.command).not.toContain(n);
  });

  it('keeps the others: Edu stays in the tables, and the log keeps the bodies that do not name Dora', async () => {
    const log = ctx.svc.deps.config.ingest.logDir;
    const fillers = () => filesContaining(log, Array.from({ length: 12 }, (_, i) => `mensagem ${i} `)).length;
    const fillersBefore = fillers();
    expect(fillersBefore).toBeGreaterThanOrEqual(12);
    await http(`${ctx.svc.url()}/api/compliance/erasure`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeader('privacy') },
      body: JSON.stringify({ wa_id: DORA, legal_ground: 'GDPR 17(1)(a)' }),
    });
    const edu = await rows<{ wamid: string }>(ctx.wh, `SELECT wamid FROM {{db}}.messages_v1 FINAL WHERE wa_id = {e:String} ORDER BY wamid`, { e: EDU });
    expect(edu.map((m) => m.wamid)).toEqual(['wamid.E1', ...Array.from({ length: 12 }, (_, i) => `wamid.F${i}`)].sort());
    const eduStatus = await rows(ctx.wh, `SELECT wamid FROM {{db}}.statuses_v1 FINAL WHERE recipient_id = {e:String}`, { e: EDU });
    expect(eduStatus).toEqual([{ wamid: 'wamid.O2' }]);
    // The filler bodies name only Edu: every one is still in the log's files.
    expect(fillers()).toBe(fillersBefore);
  });

  it('leaves a log that replays: without any erasure screen, replaying it stores Edu again and no Dora', async () => {
    await http(`${ctx.svc.url()}/api/compliance/erasure`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeader('privacy') },
      body: JSON.stringify({ wa_id: DORA, legal_ground: 'GDPR 17(1)(a)' }),
    });
    // A copy of the kept segments (the live log is the service's), replayed into emptied tables.
    const archive = mkdtempSync(join(tmpdir(), 'wa-erased-log-'));
    const log = ctx.svc.deps.config.ingest.logDir;
    for (const n of readdirSync(log).filter((x) => x.endsWith('.wal'))) copyFileSync(join(log, n), join(archive, n));
    await truncateAll(ctx.wh);
    const ingest = await openTestIngest(ctx.wh);
    try {
      const r = await replay(archive, ingest);
      expect(r.bodies).toBeGreaterThanOrEqual(12);
    } finally {
      await ingest.close();
    }
    expect(await scanFor(ctx.wh, [DORA, DORA_NAME, DORA_TEXT])).toEqual([]);
    const fillers = await rows<{ n: string }>(ctx.wh, `SELECT count() AS n FROM {{db}}.messages_v1 FINAL WHERE wa_id = {e:String} AND startsWith(wamid, 'wamid.F')`, { e: EDU });
    expect(Number(fillers[0]!.n)).toBe(12);
  });
});

describe('snapshot retention', () => {
  it('removes the archived days older than the policy, counting back from now', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-snapshots-'));
    for (const day of ['2026-08-01', '2026-09-04', '2026-09-05', '2026-12-04']) {
      mkdirSync(join(dir, 'snapshots', day), { recursive: true });
      writeFileSync(join(dir, 'snapshots', day, 'managers.html'), '<html></html>');
    }
    // 2026-12-04 less 90 days is 2026-09-05: that day is kept, the days before it go.
    expect(expireSnapshots(dir, 90, new Date('2026-12-04T03:45:00Z'))).toEqual(['2026-08-01', '2026-09-04']);
    expect(readdirSync(join(dir, 'snapshots')).sort()).toEqual(['2026-09-05', '2026-12-04']);
  });
});
