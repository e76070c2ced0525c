import { BILLING_MESSAGES } from '../../schema/billing.ts';

/**
 * Each message fact's latest row (facts are replaced by a later `source_received_at`), read without
 * FINAL so a condition on the key narrows the read to the granules that hold it.
 */
export const latestFacts = (where: string) => `SELECT * FROM {{db}}.${BILLING_MESSAGES.name} WHERE ${where}
  ORDER BY source_received_at DESC LIMIT 1 BY waba_id, wamid`;
