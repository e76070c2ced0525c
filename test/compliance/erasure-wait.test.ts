import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../warehouse/client.ts';
import { DeletionFailed, waitForDeletions } from '../../warehouse/queries/compliance/erasure-set.ts';
import { openTestWarehouse, rows } from '../helpers/warehouse.ts';

/**
 * Erasure registers every table's deletion and then waits for them together (on one server). The
 * wait must end when they are done, and must fail, not wait forever, when one of them cannot be done.
 */

let wh: Warehouse;
const T = 'erasure_wait_probe';

beforeAll(async () => {
  wh = await openTestWarehouse();
  await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.${T} SYNC` });
  await wh.writer.command({ query: `CREATE TABLE ${wh.database}.${T} (request_id String, n UInt32) ENGINE = MergeTree ORDER BY n` });
  await wh.writer.insert({ table: `${wh.database}.${T}`, values: [{ request_id: 'req-a', n: 1 }, { request_id: 'req-a', n: 2 }, { request_id: 'req-b', n: 3 }], format: 'JSONEachRow' });
});
afterAll(async () => {
  await wh.writer.command({ query: `KILL MUTATION WHERE database = '${wh.database}' AND table = '${T}' SYNC` }).catch(() => undefined);
  await wh.writer.command({ query: `DROP TABLE IF EXISTS ${wh.database}.${T} SYNC` });
  await wh.close();
});

describe('waiting for deletions registered without waiting', () => {
  it('waits for the request’s own deletions, and fails with the engine’s error code when one cannot be done', async () => {
    await wh.writer.command({ query: `ALTER TABLE ${wh.database}.${T} DELETE WHERE request_id = 'req-a' SETTINGS mutations_sync = 0` });
    // Another request's deletion whose condition throws on a row: the engine retries it for ever and
    // says why in system.mutations. It must neither hold up req-a's wait nor be waited for silently.
    await wh.writer.command({ query: `ALTER TABLE ${wh.database}.${T} DELETE WHERE request_id = 'req-b' AND throwIf(n = 3, 'no') SETTINGS mutations_sync = 0` });
    await waitForDeletions(wh, [T], 'req-a');
    expect(await rows(wh, `SELECT n FROM {{db}}.${T} ORDER BY n`)).toEqual([{ n: 3 }]);

    const e = await waitForDeletions(wh, [T], 'req-b').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeletionFailed);
    expect(String((e as Error).message)).toMatch(/^deleting from erasure_wait_probe fails: Code: \d+$/);
    // The row that deletion could not remove is still there.
    expect(await rows(wh, `SELECT n FROM {{db}}.${T} ORDER BY n`)).toEqual([{ n: 3 }]);
  });
});
