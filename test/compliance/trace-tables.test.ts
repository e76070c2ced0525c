import { describe, expect, it } from 'vitest';
import { traceNeedles, traceTables } from '../../reports/compliance/traces.ts';
import { countTraceRows, countTraceRowsEach, type TraceTableSpec } from '../../warehouse/queries/compliance/traces.ts';
import { truncateAll } from '../helpers/warehouse.ts';
import { postSigned, useTestService } from '../helpers/service.ts';
import { inbound } from './fixtures.ts';

/** The free-text search leaves out the tables known to hold no row, and only those. */

const ctx = useTestService();

describe('the tables the trace search reads', () => {
  it('are those with rows: a table joins the search with its first row', async () => {
    await truncateAll(ctx.wh);
    const listed = async () => new Set((await traceTables(ctx.wh)).map((t) => t.table));
    const before = await listed();
    expect(before.has('messages_v1')).toBe(false);
    expect(before.has('raw_webhooks_v1')).toBe(false);

    const at = new Date(Date.now() - 3600_000).toISOString();
    expect((await postSigned(ctx.svc, JSON.stringify(inbound({ from: '5511965430093', id: 'wamid.T1', at, text: 'oi' })))).status).toBe(200);
    await ctx.svc.settle();
    const after = await listed();
    for (const t of ['messages_v1', 'raw_webhooks_v1', 'contacts_v1']) expect(after.has(t), t).toBe(true);
    // Tables the load did not write stay out.
    expect(after.has('webhook_errors_v1')).toBe(false);
  });
});

describe('the trace count', () => {
  it('searches the text only where some row names nobody, and counts the same as searching every table', async () => {
    const db = ctx.wh.database;
    // Three scratch tables: every row keyed (one quoting the number, keyed to someone else), one with
    // a keyless row quoting her, one without keys at all. A lightweight-deleted keyless row counts
    // only physically.
    await ctx.wh.jobs.command({ query: `CREATE TABLE ${db}.tr_keyed (k String, note String) ENGINE = MergeTree ORDER BY k` });
    await ctx.wh.jobs.command({ query: `CREATE TABLE ${db}.tr_mixed (k String, note String) ENGINE = MergeTree ORDER BY k` });
    await ctx.wh.jobs.command({ query: `CREATE TABLE ${db}.tr_open (note String) ENGINE = MergeTree ORDER BY note` });
    await ctx.wh.jobs.command({ query: `CREATE TABLE ${db}.tr_gone (k String, note String) ENGINE = MergeTree ORDER BY k` });
    try {
      await ctx.wh.writer.insert({ table: `${db}.tr_keyed`, values: [{ k: '5511900000001', note: 'call 5511965430093' }, { k: '5511900000002', note: 'hi' }], format: 'JSONEachRow' });
      await ctx.wh.writer.insert({ table: `${db}.tr_mixed`, values: [{ k: '', note: 'call +55 11 96543-0093' }, { k: '', note: 'nothing here' }, { k: '', note: 'old 5511965430093' }], format: 'JSONEachRow' });
      await ctx.wh.writer.insert({ table: `${db}.tr_open`, values: [{ note: 'from 5511965430093' }, { note: 'other' }], format: 'JSONEachRow' });
      // Its only keyless row deleted (lightweight): found only when the deleted rows are searched too.
      await ctx.wh.writer.insert({ table: `${db}.tr_gone`, values: [{ k: '5511900000003', note: 'x' }, { k: '', note: 'was 5511965430093' }], format: 'JSONEachRow' });
      for (const t of ['tr_mixed', 'tr_gone']) await ctx.wh.jobs.command({ query: `DELETE FROM ${db}.${t} WHERE note LIKE '%as 5511965430093' OR note = 'old 5511965430093'`, clickhouse_settings: { mutations_sync: '2' } });
      const spec = (table: string, keyed: boolean): TraceTableSpec => ({ table, text: ['note'], arrays: [], keys: keyed ? [{ column: 'k', shape: 'scalar' }] : [], sortingKey: keyed ? 'k' : 'note', prewhere: true });
      const tables = [spec('tr_keyed', true), spec('tr_mixed', true), spec('tr_open', false), spec('tr_gone', true)];
      const needles = traceNeedles(['5511965430093'], []);
      const expected = { tr_keyed: 0, tr_mixed: 1, tr_open: 1, tr_gone: 0 };
      expect(Object.fromEntries(await countTraceRowsEach(ctx.wh, tables, needles))).toEqual(expected);
      expect(Object.fromEntries(await countTraceRowsEach(ctx.wh, tables, needles, true))).toEqual({ ...expected, tr_mixed: 2, tr_gone: 1 });
      // Table by table, with the text searched everywhere: the same counts.
      for (const t of tables) expect(await countTraceRows(ctx.wh, t, needles), t.table).toBe(expected[t.table as keyof typeof expected]);
    } finally {
      for (const t of ['tr_keyed', 'tr_mixed', 'tr_open', 'tr_gone']) await ctx.wh.jobs.command({ query: `DROP TABLE IF EXISTS ${db}.${t}` });
    }
  });
});
