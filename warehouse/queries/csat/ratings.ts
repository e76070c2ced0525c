import { z } from 'zod';
import type { Warehouse } from '../../client.ts';
import { defineQuery } from '../../query.ts';
import { inScope, scopeParams } from '../../scope.ts';
import { labelCondition, labelGroups, labelParams } from '../labels/intervals.ts';
import { CREDITS_TABLE } from './credits.ts';

/**
 * CSAT cells, read from the stored credits (credits.ts says what a survey, a rating and a credit
 * are): surveys sent in the range, their answers and scores per cell.
 */

const CREDITED = `
SELECT survey_wamid, waba_id, wa_id, sent_at, survey, agent, team, score, comments
FROM {{db}}.${CREDITS_TABLE} FINAL
WHERE sent_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND sent_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
  AND (empty({waba_ids:Array(String)}) OR has({waba_ids:Array(String)}, waba_id)) AND ${inScope()}`;

const LABEL_ITEMS = `SELECT survey_wamid AS item_id, waba_id, wa_id, sent_at AS at FROM (${CREDITED})`;

export const CSAT_PERIODS = {
  day: `toString(toDate(toTimeZone(sent_at, {tz:String})))`,
  week: `toString(toStartOfWeek(toTimeZone(sent_at, {tz:String}), 1))`,
  month: `toString(toStartOfMonth(toTimeZone(sent_at, {tz:String})))`,
  none: `''`,
} as const;
export type CsatPeriod = keyof typeof CSAT_PERIODS;

export const CSAT_DIMENSIONS = ['agent', 'team', 'label', 'survey', 'waba_id'] as const;
export type CsatDimension = (typeof CSAT_DIMENSIONS)[number];

const params = z.object({
  from: z.number(),
  to: z.number(),
  tz: z.string(),
  waba_ids: z.array(z.string()),
  ...labelParams,
  ...scopeParams.shape,
});
export type CsatFilter = z.input<typeof params>;

const cells = defineQuery({
  name: 'csat.cells',
  sql: (shape: { period: CsatPeriod; dims: readonly CsatDimension[]; labelled: boolean }) => {
    const keys = ['period', ...shape.dims];
    return `
SELECT ${[`${CSAT_PERIODS[shape.period]} AS period`, ...shape.dims].join(', ')},
  count() AS surveys_sent,
  countIf(score > 0) AS responses,
  [countIf(score = 1), countIf(score = 2), countIf(score = 3), countIf(score = 4), countIf(score = 5)] AS distribution,
  countIf(score >= 4) AS satisfied,
  avgIf(score, score > 0) AS mean_score,
  sum(comments) AS comments
FROM (${CREDITED}) ${shape.dims.includes('label') ? labelGroups('c', 'survey_wamid', LABEL_ITEMS) : ''}
${shape.labelled ? `WHERE ${labelCondition('survey_wamid', LABEL_ITEMS)}` : ''}
GROUP BY ${keys.join(', ')}
ORDER BY ${keys.join(', ')}`;
  },
  params,
  row: z.looseObject({
    period: z.string(),
    surveys_sent: z.coerce.number(),
    responses: z.coerce.number(),
    distribution: z.array(z.coerce.number()),
    satisfied: z.coerce.number(),
    mean_score: z.number().nullable(),
    comments: z.coerce.number(),
  }),
  format: 'compact',
});

export type CsatCell = Awaited<ReturnType<typeof cells>>[number];

/** Surveys sent in the range, answers and scores per cell (period × the chosen dimensions). */
export function csatCells(wh: Warehouse, f: CsatFilter, period: CsatPeriod, dims: readonly CsatDimension[]): Promise<CsatCell[]> {
  // Without asked labels no label ranges are read (an IN subquery runs even when a condition makes it moot).
  return cells(wh, f, { period, dims, labelled: (f.labels ?? []).length > 0 });
}
