import { describe, expect, it } from 'vitest';
import { traceTables } from '../../reports/compliance/traces.ts';
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
