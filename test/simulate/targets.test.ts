import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../simulate/cli.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { replay } from '../../ingest/replay.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { TEST_SECRET, useTestService } from '../helpers/service.ts';

/**
 * Both targets of `simulate` end to end: signed posts to the real service, and an NDJSON archive that
 * `replay` loads. The same seed must land the same bodies and items either way, none of them unknown.
 */

const dir = mkdtempSync(join(tmpdir(), 'sim-targets-'));
const ctx = useTestService();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

const ARGS = ['--seed', 'targets', '--start', '2025-07-03', '--days', '2', '--scale', '4', '--no-progress'];

async function stored() {
  const [r] = await rows<Record<string, number>>(
    ctx.wh,
    `SELECT (SELECT count() FROM {{db}}.raw_webhooks_v1 FINAL) AS raw, (SELECT count() FROM {{db}}.messages_v1 FINAL) AS messages,
            (SELECT count() FROM {{db}}.statuses_v1 FINAL) AS statuses, (SELECT count() FROM {{db}}.unknown_items_v1) AS unknown`,
  );
  return { raw: Number(r!.raw), messages: Number(r!.messages), statuses: Number(r!.statuses), unknown: Number(r!.unknown) };
}

describe('simulate targets', () => {
  it('posts signed bodies to the service and writes an archive that replay loads to the same state', async () => {
    const out = join(dir, 'bodies.ndjson');
    await main([...ARGS, '--out', out]);
    expect(process.exitCode ?? 0).toBe(0);
    const distinct = new Set(readFileSync(out, 'utf8').trimEnd().split('\n')).size;

    await truncateAll(ctx.wh);
    await main([...ARGS, '--url', `${ctx.svc.url()}/webhook`, '--secret', TEST_SECRET, '--concurrency', '8']);
    expect(process.exitCode ?? 0).toBe(0);
    await ctx.svc.settle();
    const posted = await stored();
    expect(posted.raw).toBe(distinct);
    expect(posted.messages).toBeGreaterThan(10);
    expect(posted.unknown).toBe(0);

    await truncateAll(ctx.wh);
    const ingest = await openTestIngest(ctx.wh);
    await replay(out, ingest);
    await ingest.close();
    expect(await stored()).toEqual(posted);
  });
});
