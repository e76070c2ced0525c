import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../warehouse/client.ts';
import { insertHold, rebuildHeldSubjects } from '../../warehouse/queries/compliance/holds.ts';
import type { HoldRow } from '../../warehouse/schema/compliance.ts';
import { openTestWarehouse, rows, truncateAll } from '../helpers/warehouse.ts';

/**
 * The held-subjects lookup that retention TTLs consult is rebuilt on every hold change. A TTL merge
 * that ran while it was empty would delete held rows, so the lookup is read after every statement
 * of a rebuild: it must always answer the holds of before or of after, never nothing.
 */

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
  await truncateAll(wh);
});
afterAll(() => wh?.close());

const hold = (id: string, subjects: string[]): HoldRow => ({
  hold_id: id, subject_hash: `h-${id}`, subject_ids: subjects, reason: 'litigation', legal_reference: 'case 1', approved_by: 'dpo',
  start_at: Date.UTC(2026, 0, 1), review_at: null, released_at: null, released_by: '', status: 'active', updated_at: Date.UTC(2026, 0, 1),
});

async function lookup(id: string): Promise<string> {
  const [r] = await rows<{ hold: string }>(wh, `SELECT joinGet('{{db}}.legal_hold_subjects_v1', 'hold_id', {id:String}) AS hold`, { id });
  return r!.hold;
}

describe('legal hold lookup', () => {
  it('is never empty while it is rebuilt, and holds the new list afterwards', async () => {
    await insertHold(wh, [hold('hold-1', ['5511900000001'])]);
    await rebuildHeldSubjects(wh);
    expect(await lookup('5511900000001')).toBe('hold-1');

    await insertHold(wh, [hold('hold-2', ['5511900000002'])]);
    const seen: Array<[string, string]> = [];
    await rebuildHeldSubjects(wh, async (step) => {
      seen.push([step, await lookup('5511900000001')]);
    });
    expect(seen).toEqual([['create', 'hold-1'], ['fill', 'hold-1'], ['exchange', 'hold-1']]);
    expect(await lookup('5511900000002')).toBe('hold-2');
    // The copy it was built in is gone: only the lookup itself remains.
    const tables = await rows<{ name: string }>(wh, `SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'legal_hold_subjects%'`, { db: wh.database });
    expect(tables.map((t) => t.name)).toEqual(['legal_hold_subjects_v1']);
  });

  it('lets rebuilds started together both finish, each building its own copy', async () => {
    await insertHold(wh, [hold('hold-3', ['5511900000003'])]);
    await Promise.all([rebuildHeldSubjects(wh), rebuildHeldSubjects(wh)]);
    expect(await lookup('5511900000003')).toBe('hold-3');
    expect(await lookup('5511900000001')).toBe('hold-1');
  });
});
