import { beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { purgeErased } from '../../reports/compliance/purge.ts';
import { subjectScreen } from '../../reports/compliance/suppression.ts';
import { TEST_DATA_DIR, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { inbound, statuses } from './fixtures.ts';
import { filesContaining } from './scan.ts';

/**
 * Lightweight erasure (`privacy.erasure.method = "lightweight"`): the receipt says
 * `logically_deleted` and when the masked rows will be gone; they are still in the engine's files
 * until the purge rewrites the masked parts; after it, no file holds them and a `purged` row with
 * its own hash stands beside the receipt. Strings unique to this file.
 */

const GIL = '5511965430077';
const GIL_TEXT = 'pedido verde-limão 4417';
const IVO = '5511965430078';

const configDir = mkdtempSync(join(tmpdir(), 'wa-purge-config-'));
writeFileSync(join(configDir, 'config.json'), JSON.stringify({ privacy: { erasure: { method: 'lightweight', purge_minutes: 15 } } }));
const ctx = useTestService({ CONFIG_FILE: join(configDir, 'config.json') });

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const post = (path: string, body: unknown) =>
  http(`${ctx.svc.url()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader('privacy') }, body: JSON.stringify(body) });

beforeEach(async () => {
  await truncateAll(ctx.wh);
  await subjectScreen(ctx.wh, ctx.svc.deps.pseudonyms).refresh();
  for (const b of [
    inbound({ from: GIL, id: 'wamid.G1', at: hoursAgo(3), text: GIL_TEXT, name: 'Gil Tavares' }, { from: IVO, id: 'wamid.I1', at: hoursAgo(3), text: 'ok obrigado' }),
    statuses({ to: GIL, id: 'wamid.GO1', status: 'delivered', at: hoursAgo(2.5), category: 'utility' }),
  ]) expect((await postSigned(ctx.svc, JSON.stringify(b))).status).toBe(200);
  await ctx.svc.settle();
});

describe('lightweight erasure and its purge', () => {
  it('says logically_deleted with a due time, keeps the rows on disk until the purge, and none after it', async () => {
    const t0 = Date.now();
    const r = await post('/api/compliance/erasure', { wa_id: GIL, legal_ground: 'LGPD 18 VI' });
    expect(r.status, r.text).toBe(200);
    const receipt = JSON.parse(r.text);
    expect(receipt.status).toBe('logically_deleted');
    for (const t of receipt.tables) expect(t, t.table).toMatchObject({ rows_after: 0 });
    expect(receipt.tables.some((t: { rows_after_physical: number }) => t.rows_after_physical > 0)).toBe(true);
    // Two gathering periods of 15 minutes.
    const due = Date.parse(receipt.purge_due_at);
    expect(due).toBeGreaterThanOrEqual(t0 + 30 * 60_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
    // True to its word: the masked rows are still in the engine's files.
    const clickhouse = join(TEST_DATA_DIR, 'clickhouse');
    expect(filesContaining(clickhouse, [GIL_TEXT]).length).toBeGreaterThan(0);

    // Not yet due: the purge waits until the oldest erasure has waited 15 minutes.
    expect((await purgeErased(ctx.svc.deps)).purged).toEqual([]);
    const done = await purgeErased(ctx.svc.deps, { force: true });
    expect(done.purged).toEqual([receipt.request_id]);
    expect(done.left).toEqual([]);
    expect(done.tables).toContain('messages_v1');
    expect(filesContaining(clickhouse, [GIL, GIL_TEXT, 'Gil Tavares'])).toEqual([]);

    const log = await http(`${ctx.svc.url()}/api/compliance/erasures?format=json&from=${new Date(t0 - 86_400_000).toISOString().slice(0, 10)}`, { headers: authHeader('privacy') });
    expect(log.status, log.text).toBe(200);
    const rows = JSON.parse(log.text).rows.filter((x: { request_id: string }) => x.request_id === receipt.request_id);
    expect(rows.map((x: { status: string }) => x.status).sort()).toEqual(['logically_deleted', 'purged']);
    // Nothing left to purge; Ivo's message is still there.
    expect((await purgeErased(ctx.svc.deps, { force: true })).purged).toEqual([]);
    expect(filesContaining(clickhouse, ['ok obrigado']).length).toBeGreaterThan(0);
  });
});
