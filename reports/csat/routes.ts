import { route, type AnyReportRoute } from '../endpoint.ts';
import { parseCsatParams } from './params.ts';
import { csatColumns, runCsatReport } from './report.ts';

/** GET /api/reports/csat — for managers and admins, in the access audit as `csat.report`. */
export function csatRoutes(): AnyReportRoute[] {
  return [
    route({
      path: '/api/reports/csat',
      role: 'manager',
      action: 'csat.report',
      params: ({ query, now }) => parseCsatParams(query, now),
      audit: (p) => ({
        from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), tz: p.tz, period: p.period, group_by: p.groupBy,
        label: p.labels, label_match: p.label_match, waba_id: p.waba_ids,
      }),
      columns: (p) => csatColumns(p),
      filename: () => 'csat',
      run: async ({ deps, params, principal }) => ({ rows: await runCsatReport(deps, params, principal.wabas) }),
    }),
  ];
}
