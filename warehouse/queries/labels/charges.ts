import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams, type ScopeParams } from '../../scope.ts';
import { PERIOD_CONVERSATIONS, PERIOD_MESSAGES, periodParams, type PeriodParams } from '../billing/rollup.ts';
import { conversationItems } from './billing.ts';
import { labelParams, labelRows, labelSetRows } from './intervals.ts';

/**
 * One (WABA, month) period's charged messages and conversations at the rollup's daily grain, split by
 * label. The rollup cannot be split by label, so this reads the facts the rollup reads, in the same
 * shape (PERIOD_MESSAGES, PERIOD_CONVERSATIONS: volume tier, and the free tier decided over the whole
 * WABA's period), keeps those whose customer had a matching label at the fact's time, and (`grouped`)
 * repeats each under each of its labels. Ungrouped, a fact counts once, under the label ''.
 */

const DIMS = `waba_id, month, toString(day) AS day, pricing_model, category, market, phone_number_id`;
const GROUP = `label, waba_id, month, day, pricing_model, category, market, type, phone_number_id, tier`;

const sql = (grouped: boolean) => {
  const messages = labelSetRows(PERIOD_MESSAGES, grouped);
  const conversations = labelRows('c', 'conversation_id', conversationItems, grouped);
  const label = grouped ? 'label, ' : `'' AS label, `;
  return `SELECT * FROM (
SELECT ${label}'message' AS kind, ${DIMS}, tier, type,
  count() AS count, countIf(billable = 1) AS billable_count, countIf(billable = 0) AS free_count, toUInt64(0) AS free_tier_used
FROM (${messages})
WHERE ${inScope()}
GROUP BY ${GROUP}
UNION ALL
SELECT ${label}'conversation' AS kind, ${DIMS}, '' AS tier, '' AS type,
  count() AS count, countIf(paid = 1) AS billable_count, countIf(paid = 0) AS free_count, countIf(paid = 0 AND draws_on_free_tier = 1) AS free_tier_used
FROM (${PERIOD_CONVERSATIONS}) ${conversations.join}
WHERE ${inScope()} AND ${conversations.labelled}
GROUP BY ${GROUP}
) ORDER BY label, kind, day`;
};

const num = z.coerce.number();

const labelledDaily = defineQuery({
  name: 'labels.charge_daily',
  sql,
  params: periodParams.extend({ ...labelParams, ...scopeParams.shape }),
  row: z.object({
    label: z.string(), kind: z.enum(['message', 'conversation']), waba_id: z.string(), month: z.string(), day: z.string(),
    pricing_model: z.string(), category: z.string(), market: z.string(), phone_number_id: z.string(), tier: z.string(), type: z.string(),
    count: num, billable_count: num, free_count: num, free_tier_used: num,
  }),
  format: 'compact',
});

export type LabelledDailyRow = Awaited<ReturnType<typeof labelledDaily>>[number];

export interface LabelledPeriodFilter {
  labels: string[];
  label_match: 'any' | 'all';
  grouped: boolean;
}

/** The period's daily rows by label; `period` from `periodInputs` (reports/billing/facts-job.ts). */
export async function labelledPeriodRows(wh: Warehouse, period: PeriodParams, f: LabelledPeriodFilter & ScopeParams): Promise<LabelledDailyRow[]> {
  const { grouped, ...rest } = f;
  return labelledDaily(wh, { ...period, ...rest }, grouped);
}
