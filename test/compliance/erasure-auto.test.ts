import { beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { addCommands } from '../../reports/compliance/cli.ts';
import { purgeErased } from '../../reports/compliance/purge.ts';
import { subjectScreen } from '../../reports/compliance/suppression.ts';
import { TEST_DATA_DIR, truncateAll } from '../helpers/warehouse.ts';
import { runCli } from '../helpers/cli.ts';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { inbound, statuses } from './fixtures.ts';
import { filesContaining } from './scan.ts';

/**
 * The default erasure method, `auto`, with a rewrite budget of 0.25 MB: the tables holding Lia's
 * 600 KB of incompressible text (her raw bodies and her messages) are masked, and the receipt says
 * `logically_deleted` until the purge; small tables are rewritten at once. Strings unique to this file.
 */

const LIA = '5511965430091';
const LIA_TEXT = `nota ${randomBytes(450_000).toString('base64')}`;
const LIA_SHORT = 'recibo azul-petróleo 5521';
const RUI = '5511965430092';

const configDir = mkdtempSync(join(tmpdir(), 'wa-auto-config-'));
writeFileSync(join(configDir, 'config.json'), JSON.stringify({ privacy: { erasure: { rewrite_budget_mb: 0.25 } } }));
const ctx = useTestService({ CONFIG_FILE: join(configDir, 'config.json') });

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
const post = (path: string, body: unknown) =>
  http(`${ctx.svc.url()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader('privacy') }, body: JSON.stringify(body) });

interface TableEvidence { table: string; rows_before: number; rows_after: number; rows_after_physical: number; method: string }

beforeEach(async () => {
  await truncateAll(ctx.wh);
  await subjectScreen(ctx.wh, ctx.svc.deps.pseudonyms).refresh();
  for (const b of [
    inbound({ from: LIA, id: 'wamid.L1', at: hoursAgo(3), text: LIA_TEXT, name: 'Lia Moraes' }, { from: RUI, id: 'wamid.R1', at: hoursAgo(3), text: 'certo, valeu' }),
    inbound({ from: LIA, id: 'wamid.L2', at: hoursAgo(2.8), text: LIA_SHORT, name: 'Lia Moraes' }),
    statuses({ to: LIA, id: 'wamid.LO1', status: 'delivered', at: hoursAgo(2.5), category: 'utility' }),
  ]) expect((await postSigned(ctx.svc, JSON.stringify(b))).status).toBe(200);
  await ctx.svc.settle();
});

describe('erasure, method auto', () => {
  it('masks the tables whose parts exceed the budget, rewrites the small ones, and says so truly', async () => {
    const r = await post('/api/compliance/erasure', { wa_id: LIA, legal_ground: 'LGPD 18 VI' });
    expect(r.status, r.text).toBe(200);
    const receipt = JSON.parse(r.text) as { status: string; purge_due_at: string | null; request_id: string; tables: TableEvidence[] };
    const held = receipt.tables.filter((t) => t.rows_before > 0 && !t.table.includes(' '));
    const byTable = new Map(held.map((t) => [t.table, t]));
    // 600 KB of random base64 (450 KB of entropy) cannot fit 0.25 MB, compressed or not; each small
    // table's part is a few KB.
    for (const big of ['raw_webhooks_v1', 'messages_v1']) {
      expect(byTable.get(big)?.method, big).toContain('DELETE FROM (lightweight');
      expect(byTable.get(big)?.rows_after_physical, big).toBeGreaterThan(0);
    }
    // Her status's few hundred bytes are rewritten at once.
    expect(byTable.get('statuses_v1')?.method).toContain('ALTER TABLE … DELETE (mutation');
    expect(byTable.get('statuses_v1')?.rows_after_physical).toBe(0);
    for (const t of receipt.tables) expect(t.rows_after, t.table).toBe(0);
    expect(receipt.status).toBe('logically_deleted');
    expect(receipt.purge_due_at).not.toBeNull();

    const clickhouse = join(TEST_DATA_DIR, 'clickhouse');
    expect(filesContaining(clickhouse, [LIA_SHORT]).length).toBeGreaterThan(0);
    const done = await purgeErased(ctx.svc.deps, { force: true });
    expect(done.purged).toEqual([receipt.request_id]);
    expect(filesContaining(clickhouse, [LIA, LIA_SHORT, 'Lia Moraes', LIA_TEXT.slice(5, 80)])).toEqual([]);
    expect(filesContaining(clickhouse, ['certo, valeu']).length).toBeGreaterThan(0);
  });

  it('at the shell: erase --purge leaves nothing on disk; erase says when masked rows go, and erasure-purge does it now', async () => {
    const clickhouse = join(TEST_DATA_DIR, 'clickhouse');
    const cli = (...argv: string[]) => runCli(addCommands, ctx.svc.deps, argv);
    // Rui's raw body is the 600 KB one he shares with Lia's first message: over the budget, masked,
    // then purged by the same command.
    const rui = await cli('erase', RUI, '--ground', 'LGPD 18 VI', '--purge');
    expect(rui.exitCode, rui.stderr).toBe(0);
    const r = JSON.parse(rui.stdout) as { status: string; request_id: string };
    expect(r.status).toBe('logically_deleted');
    expect(rui.stderr).toContain(`purged from disk: ${r.request_id}`);
    expect(filesContaining(clickhouse, [RUI, 'certo, valeu'])).toEqual([]);

    const lia = await cli('erase', LIA, '--ground', 'LGPD 18 VI');
    expect(lia.exitCode, lia.stderr).toBe(0);
    const receipt = JSON.parse(lia.stdout) as { status: string; request_id: string; purge_due_at: string };
    expect(receipt.status).toBe('logically_deleted');
    expect(lia.stderr).toContain(`by ${receipt.purge_due_at}`);
    expect(lia.stderr).toContain('wa-analytics erasure-purge');
    expect(filesContaining(clickhouse, [LIA_SHORT]).length).toBeGreaterThan(0);

    const purge = await cli('erasure-purge');
    expect(purge.exitCode, purge.stderr).toBe(0);
    expect(purge.stderr).toContain(`purged from disk: ${receipt.request_id}`);
    expect(filesContaining(clickhouse, [LIA, LIA_SHORT, 'Lia Moraes'])).toEqual([]);
    expect((await cli('erasure-purge')).stderr).toContain('nothing to purge');
  });
});
