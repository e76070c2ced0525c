import type { Logger } from '../../app/logger.ts';
import { customersNeedFill, deleteUnkeyedMessageFacts, ledgerNeedsFill, unkeyedMessageFacts } from '../../warehouse/queries/billing/ledger.ts';
import { insertMessageFacts } from '../../warehouse/queries/billing/facts.ts';
import type { BillingEnv } from './facts-job.ts';
import { backfillLedger } from './ledger.ts';

/**
 * Brings a store from before billing records were keyed in line, once, at start: message facts
 * that still hold Meta's wamid get its keyed substitute (the old rows are then deleted by a
 * condition that names no id), and an empty accounting ledger is filled from the statuses stored,
 * as is an empty table of who each message went to. All are no-ops on a store already in line.
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
  const copied = (await ledgerNeedsFill(env.wh, {}))[0]?.needed ? await backfillLedger(env, 0, now, env.cfg.facts.page_size) : 0;
  // A ledger filled just now wrote the customers too.
  const customers = !copied && (await customersNeedFill(env.wh, {}))[0]?.needed ? await backfillLedger(env, 0, now, env.cfg.facts.page_size, 'customers') : 0;
  if (rekeyed || copied || customers) {
    log.info({ rekeyed, copied, customers }, 'billing records keyed: facts name messages by a keyed substitute, statuses copied to the accounting ledger and to who each message went to');
  }
  return { rekeyed, copied, customers };
}
