import { seesPersonalData } from '../../app/auth.ts';
import { route, type AnyReportRoute } from '../endpoint.ts';
import type { SlaSettings } from './config.ts';
import { auditParams, parseReportParams, REPORT_KINDS, SLA_QUERY, type ReportKind } from './params.ts';
import { reportColumns, runReport } from './report.ts';

/**
 * GET /api/reports/sla (aggregates), /waits, /breaches, /live — for managers and admins. Every run,
 * answered or refused, is in the access audit as `sla.<report>`.
 */

const PATHS: Record<ReportKind, string> = {
  aggregates: '/api/reports/sla',
  waits: '/api/reports/sla/waits',
  breaches: '/api/reports/sla/breaches',
  live: '/api/reports/sla/live',
};

const SUMMARIES: Record<ReportKind, string> = {
  aggregates: 'response times (mean, exact percentiles, n) and SLA attainment per period and chosen dimensions',
  waits: 'every wait started in the range',
  breaches: 'waits that missed their SLA deadline',
  live: 'customers waiting now, and 24-hour windows closing within 4 hours',
};

export function slaRoutes(settings: SlaSettings): AnyReportRoute[] {
  return REPORT_KINDS.map((kind) =>
    route({
      path: PATHS[kind],
      role: 'manager',
      action: `sla.${kind}`,
      summary: SUMMARIES[kind],
      query: SLA_QUERY,
      params: ({ query, now, principal }) => parseReportParams(kind, query, settings, now, principal.wabas),
      audit: auditParams,
      columns: (p) => reportColumns(kind, p),
      filename: () => `sla-${kind}`,
      run: async ({ deps, params, principal }) => runReport(deps, kind, params, seesPersonalData(principal)),
    }),
  );
}
