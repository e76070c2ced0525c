import { beforeAll, describe, expect, it } from 'vitest';
import { postSigned, useTestService } from '../helpers/service.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { messageStatus } from '../sla/bodies.ts';
import { deriveTagLabels, TAGS_JOB } from '../../reports/labels/tags-job.ts';
import { saveTagsState } from '../../warehouse/queries/labels/tags.ts';

// The tag follower's safety net: label events carried by `lb=` tags come back from the stored
// statuses when the follower's work was lost. By hand (Monday 4 March 2024, UTC):
//   A  sent 09:00 with lb=order/paid,-new customer   → add order/paid, remove "new customer" at 09:00
//      (its delivered status carries the same tag: no events)
//   B  sent 10:00 with lb=vip                        → add vip at 10:00
//   C  sent 11:00, a tag without lb=                 → nothing

const ctx = useTestService();
const [A, B, C] = ['5511900000701', '5511900000702', '5511900000703'];
const at = (hm: string) => `2024-03-04T${hm}:00Z`;
const ms = (hm: string) => String(Date.parse(at(hm)));
const EXPECTED = [
  { wa_id: A, label: 'new customer', action: 'remove', at: ms('09:00'), origin: 'tag', ref: 'wamid.A1' },
  { wa_id: A, label: 'order/paid', action: 'add', at: ms('09:00'), origin: 'tag', ref: 'wamid.A1' },
  { wa_id: B, label: 'vip', action: 'add', at: ms('10:00'), origin: 'tag', ref: 'wamid.B1' },
];

const events = () =>
  rows(ctx.wh, `SELECT wa_id, label, action, toString(toUnixTimestamp64Milli(at)) AS at, origin, ref FROM {{db}}.label_events_v1 FINAL ORDER BY at, label`);

beforeAll(async () => {
  await truncateAll(ctx.wh);
  const tagA = 'v1;src=n;lb=order/paid,-new customer';
  for (const b of [
    messageStatus(A, 'wamid.A1', 'sent', at('09:00'), { tag: tagA, category: 'utility' }),
    messageStatus(A, 'wamid.A1', 'delivered', at('09:01'), { tag: tagA, category: 'utility' }),
    messageStatus(B, 'wamid.B1', 'sent', at('10:00'), { tag: 'v1;src=h;ag=ana;lb=vip' }),
    messageStatus(C, 'wamid.C1', 'sent', at('11:00'), { tag: 'v1;src=h;ag=ana' }),
  ]) {
    expect((await postSigned(ctx.svc, b)).status).toBe(200);
  }
});

describe('labels.tags job', () => {
  it('stores nothing twice where the follower already did its work', async () => {
    expect(await events()).toEqual(EXPECTED);
    const run = await deriveTagLabels(ctx.svc.deps);
    expect(run).toEqual({ statuses: 2, events: 3 });
    expect(await events()).toEqual(EXPECTED);
  });

  it('derives again the label events a lost follower call left out', async () => {
    await ctx.wh.writer.command({ query: `TRUNCATE TABLE ${ctx.wh.database}.label_events_v1` });
    expect(await events()).toEqual([]);
    // The watermark of the run above is after these loads: they are read only within the overlap.
    await saveTagsState(ctx.wh, [{ job: TAGS_JOB, watermark_ms: 0, updated_at: Date.now() }]);
    await deriveTagLabels(ctx.svc.deps);
    expect(await events()).toEqual(EXPECTED);
  });

  it('reads only statuses loaded since its watermark', async () => {
    await saveTagsState(ctx.wh, [{ job: TAGS_JOB, watermark_ms: Date.now() + 3_600_000, updated_at: Date.now() + 1 }]);
    expect(await deriveTagLabels(ctx.svc.deps)).toEqual({ statuses: 0, events: 0 });
  });
});
