import type { Request, Response, Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { requireRole, seesPersonalData } from '../../app/auth.ts';
import { sendRows } from '../format.ts';
import type { SlaSettings } from './config.ts';
import { auditParams, parseReportParams, ParamError, type ReportKind } from './params.ts';
import { runReport } from './report.ts';

/**
 * GET /api/reports/sla (aggregates), /waits, /breaches, /live — for managers and admins. Every run is
 * written to the access audit with its parameters, row count and the SHA-256 of what was sent.
 */

const PATHS: Record<ReportKind, string> = {
  aggregates: '/api/reports/sla',
  waits: '/api/reports/sla/waits',
  breaches: '/api/reports/sla/breaches',
  live: '/api/reports/sla/live',
};

export function mountSlaRoutes(router: Router, deps: AppDeps, settings: SlaSettings): void {
  const auth = requireRole(deps.config.apiTokens, 'manager');
  for (const kind of Object.keys(PATHS) as ReportKind[]) {
    router.get(PATHS[kind], auth, (req, res) => serve(deps, settings, kind, req, res));
  }
}

async function serve(deps: AppDeps, settings: SlaSettings, kind: ReportKind, req: Request, res: Response): Promise<void> {
  const principal = req.principal!;
  let params;
  let answer;
  try {
    params = parseReportParams(kind, req.query as Record<string, unknown>, settings, deps.now());
    answer = await runReport(deps, kind, params, seesPersonalData(principal));
  } catch (e) {
    // Bad parameters, and lists over sla.max_export_rows.
    if (!(e instanceof ParamError)) throw e;
    res.status(400).json({ error: e.message, parameter: e.parameter });
    return;
  }
  const { rows, columns } = answer;
  await sendRows(res, deps.warehouse, {
    rows, columns, format: params.format, filename: `sla-${kind}`,
    beforeSend: (sha) => deps.audit.record({
      actor: principal.actor, role: principal.role, action: `report.sla.${kind}`, params: auditParams(params), rows: rows.length, exportSha256: sha,
    }),
  });
}
