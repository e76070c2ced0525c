import { badParameter } from '../../app/http-error.ts';
import { onlyKnown, parseLabelFilter, parseRange, text, type LabelFilter } from '../labels/params.ts';
import { CSAT_DIMENSIONS, CSAT_PERIODS, type CsatDimension, type CsatPeriod } from '../../warehouse/queries/csat/ratings.ts';

/** Parameters of the CSAT report: the range of survey sends, buckets, grouping and filters. */

const KNOWN = new Set(['from', 'to', 'tz', 'period', 'group_by', 'label', 'label_match', 'waba_id', 'format']);

export interface CsatParams extends LabelFilter {
  from: number;
  to: number;
  tz: string;
  waba_ids: string[];
  period: CsatPeriod;
  groupBy: CsatDimension[];
}

export function parseCsatParams(q: Record<string, unknown>, now: Date): CsatParams {
  onlyKnown(q, KNOWN);
  const period = text(q, 'period') || 'day';
  if (!(period in CSAT_PERIODS)) throw badParameter('period', `expected ${Object.keys(CSAT_PERIODS).join(', ')}`);
  const groupBy = [...new Set((text(q, 'group_by') ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  const bad = groupBy.find((d) => !(CSAT_DIMENSIONS as readonly string[]).includes(d));
  if (bad !== undefined) throw badParameter('group_by', `unknown dimension "${bad.slice(0, 40)}"; expected ${CSAT_DIMENSIONS.join(', ')}`);
  return { ...parseRange(q, now), period: period as CsatPeriod, groupBy: groupBy as CsatDimension[], ...parseLabelFilter(q) };
}
