import { describe, expect, it } from 'vitest';
import { refreshWaits } from '../../reports/sla/job.ts';
import { slaSettings } from '../../reports/sla/settings.ts';
import { billingEnv, runFacts } from '../../reports/billing/facts-job.ts';
import { openTestIngest } from '../helpers/ingest.ts';
import { useTestService } from '../helpers/service.ts';
import { rows } from '../helpers/warehouse.ts';
import { inbound, statuses } from '../fixtures/meta.ts';

/**
 * The scheduled jobs are the safety net behind the derivations that follow each load. A body can
 * wait in the ingest log long after it was received (a warehouse outage); when it is finally loaded
 * and no derivation followed it, the next job run must still find it, although its receipt time is
 * far behind the job's watermark.
 */

const ctx = useTestService();
const HOUR = 3_600_000;

describe('the scheduled jobs after a late load', () => {
  it('find rows received long before their watermark but stored after it', async () => {
    const { wh, svc } = ctx;
    const settings = slaSettings(svc.deps.config.file);
    // The jobs have run: their watermarks stand at about now.
    await refreshWaits(wh, settings);
    await runFacts(billingEnv(svc.deps), new Date(Date.now() + 60_000));

    // Bodies received an hour ago are loaded now by a loader that no derivation follows.
    const receivedAt = Date.now() - HOUR;
    const ts = String(Math.floor(receivedAt / 1000));
    const ingest = await openTestIngest(wh);
    try {
      await ingest.append({ body: Buffer.from(JSON.stringify(inbound({ from: '5511955550001', id: 'wamid.LATE1', timestamp: ts, type: 'text', text: { body: 'oi' } }))), receivedAt, signatureValid: true });
      await ingest.append({
        body: Buffer.from(JSON.stringify(statuses({
          id: 'wamid.LATE2', status: 'sent', timestamp: ts, recipient_id: '5511955550001',
          pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' },
        }))),
        receivedAt,
        signatureValid: true,
      });
      // Charged once delivered (docs/BILLING.md, the charge rule).
      await ingest.append({
        body: Buffer.from(JSON.stringify(statuses({
          id: 'wamid.LATE2', status: 'delivered', timestamp: ts, recipient_id: '5511955550001',
          pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' },
        }))),
        receivedAt,
        signatureValid: true,
      });
      await ingest.settle();
    } finally {
      await ingest.close();
    }
    const waits = () => rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.sla_waits_v1 FINAL WHERE wa_id = '5511955550001' AND NOT is_deleted`);
    const facts = () => rows<{ n: string }>(wh, `SELECT count() AS n FROM {{db}}.billing_messages_v1 FINAL WHERE wamid = '${svc.deps.pseudonyms.message('wamid.LATE2')}'`);
    expect(Number((await waits())[0]!.n)).toBe(0);
    expect(Number((await facts())[0]!.n)).toBe(0);

    // The next runs, past their settle time, find both.
    const r = await refreshWaits(wh, settings, undefined, () => Date.now() + 60_000);
    expect(r).toMatchObject({ mode: 'incremental', chats: 1 });
    await runFacts(billingEnv(svc.deps), new Date(Date.now() + 120_000));
    expect(Number((await waits())[0]!.n)).toBeGreaterThan(0);
    expect(Number((await facts())[0]!.n)).toBe(1);
  });
});
