import type { AppDeps } from '../../app/deps.ts';
import type { ColumnSpec } from '../format.ts';
import { csatCells, type CsatCell } from '../../warehouse/queries/csat/ratings.ts';
import type { CsatParams } from './params.ts';
import { scopeOf, type WabaScopeInput } from '../../warehouse/scope.ts';

/**
 * CSAT cells as the report shows them: the score distribution (1–5), CSAT % (share of answers
 * scoring 4 or 5), and beside it the response rate (answers per survey sent), so a high score from
 * few answers is seen as such.
 */

export function csatColumns(p: CsatParams): ColumnSpec[] {
  return [
    { name: 'period', type: 'String' },
    ...p.groupBy.map((d) => ({ name: d, type: 'String' })),
    ...['surveys_sent', 'responses'].map((name) => ({ name, type: 'UInt64' })),
    { name: 'response_rate_pct', type: 'Nullable(Float64)' },
    ...[1, 2, 3, 4, 5].map((s) => ({ name: `score_${s}`, type: 'UInt64' })),
    { name: 'csat_pct', type: 'Nullable(Float64)' },
    { name: 'mean_score', type: 'Nullable(Float64)' },
    { name: 'comments', type: 'UInt64' },
  ];
}

export function csatRow(c: CsatCell, p: CsatParams): Record<string, unknown> {
  const out: Record<string, unknown> = { period: c.period };
  for (const d of p.groupBy) out[d] = c[d];
  Object.assign(out, {
    surveys_sent: c.surveys_sent,
    responses: c.responses,
    response_rate_pct: c.surveys_sent ? (100 * c.responses) / c.surveys_sent : null,
  });
  c.distribution.forEach((n, i) => (out[`score_${i + 1}`] = n));
  Object.assign(out, {
    csat_pct: c.responses ? (100 * c.satisfied) / c.responses : null,
    mean_score: c.responses ? c.mean_score : null,
    comments: c.comments,
  });
  return out;
}

/** The report's rows for checked parameters (the route, and the managers' dashboard). */
export async function runCsatReport(deps: AppDeps, p: CsatParams, scope: WabaScopeInput): Promise<Record<string, unknown>[]> {
  return (await csatCells(deps.warehouse, { ...p, ...scopeOf(scope) }, p.period, p.groupBy)).map((c) => csatRow(c, p));
}
