import type { Logger } from '../../app/logger.ts';
import { customersNeedFill, deleteUnkeyedMessageFacts, ledgerNeedsFill, unkeyedMessageFacts } from '../../warehouse/queries/billing/ledger.ts';
import { billingJobState, insertMessageFacts, saveBillingJobState } from '../../warehouse/queries/billing/facts.ts';
import type { BillingEnv } from './facts-job.ts';
import { backfillLedger, type LedgerParts } from './ledger.ts';
import { fillChargeLabelSets } from '../../warehouse/queries/labels/charge-sets.ts';
import { mergeTable } from '../../warehouse/queries/parts.ts';
import { BILLING_MESSAGES } from '../../warehouse/schema/billing.ts';

/**
 * Brings a store from before billing records were keyed in line, once, at start: message facts
 * that still hold Meta's wamid get its keyed substitute (the old rows are then deleted by a
 * condition that names no id), and an empty accounting ledger is filled from the statuses stored,
 * as is an empty table of who each message went to. All are no-ops on a store already in line.
 * A fill is marked started before it runs and done after, so one stopped part-way (the ledger is no
 * longer empty then) is finished at the next start rather than taken for complete.
 */
export async function rekeyBillingRecords(env: BillingEnv, log: Logger, now = Date.now()): Promise<{ rekeyed: number; copied: number; customers: number }> {
  let rekeyed = 0;
  let after = { after_waba: '', after_wamid: '' };
  for (;;) {
    const page = await unkeyedMessageFacts(env.wh, { ...after, limit: env.cfg.facts.page_size });
    await insertMessageFacts(env.wh, page.map((f) => ({ ...f, wamid: env.messageKey(f.wamid) })));
    rekeyed += page.length;
    if (page.length < env.cfg.facts.page_size) break;
    after = { after_waba: page.at(-1)!.waba_id, after_wamid: page.at(-1)!.wamid };
  }
  if (rekeyed > 0) await deleteUnkeyedMessageFacts(env.wh, {}, undefined);
  const parts = (await interruptedFill(env)) ?? await fillNeeded(env);
  let copied = 0;
  let customers = 0;
  if (parts) {
    await saveBillingJobState(env.wh, { job: FILL_JOB, watermark_ms: 0, pending_periods: [parts] });
    const n = await backfillLedger(env, 0, now, env.cfg.facts.page_size, parts);
    await saveBillingJobState(env.wh, { job: FILL_JOB, watermark_ms: now, pending_periods: [] });
    // A ledger filled wrote the customers too.
    if (parts === 'both') copied = n;
    else customers = n;
  }
  if (rekeyed || copied || customers) {
    log.info({ rekeyed, copied, customers }, 'billing records keyed: facts name messages by a keyed substitute, statuses copied to the accounting ledger and to who each message went to');
  }
  // Facts stored before they held their label set get it (after the customers they need are filled).
  const labelled = (await billingJobState(env.wh, { job: LABEL_SETS_JOB }))[0]?.watermark_ms ?? 0;
  if (labelled === 0) {
    await fillChargeLabelSets(env.wh, {}, undefined);
    // The fill wrote a second row of most facts (charges by label 0.2 → 0.55 s at 10 M events until merged).
    await mergeTable(env.wh, BILLING_MESSAGES.name);
    await saveBillingJobState(env.wh, { job: LABEL_SETS_JOB, watermark_ms: now, pending_periods: [] });
  }
  return { rekeyed, copied, customers };
}

/** Marks the one fill of the message facts' label sets (migration 0603) done. */
const LABEL_SETS_JOB = 'billing.charge_label_sets';

/** The fill's mark in billing_job_state_v1: the parts being filled while it runs, none once done. */
const FILL_JOB = 'billing.ledger_fill';

async function interruptedFill(env: BillingEnv): Promise<LedgerParts | undefined> {
  const part = (await billingJobState(env.wh, { job: FILL_JOB }))[0]?.pending_periods[0];
  return part === 'both' || part === 'customers' ? part : undefined;
}

async function fillNeeded(env: BillingEnv): Promise<LedgerParts | undefined> {
  if ((await ledgerNeedsFill(env.wh, {}))[0]?.needed) return 'both';
  if ((await customersNeedFill(env.wh, {}))[0]?.needed) return 'customers';
  return undefined;
}
