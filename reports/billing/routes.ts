import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { requireRole } from '../../app/auth.ts';
import { createHash } from 'node:crypto';
import { encode, type ColumnSpec, type ExportFormat } from '../format.ts';
import { CHARGE_COLUMNS } from './charges.ts';
import { CONVERSATION_COLUMNS } from './counts.ts';
import { CsvError } from './csv-table.ts';
import { FORECAST_COLUMNS } from './forecast-report.ts';
import { currencyParam, dateParam, flagParam, formatParam, groupByParam, monthParam, wabaParam } from './params.ts';
import { AnalyticsFormatError, RECONCILIATION_COLUMNS } from './reconciliation.ts';
import { BillingRequestError, BillingReports } from './service.ts';

/**
 * The billing API (roles finance and admin). Every call, answered or refused, is written to the
 * access audit with its parameters (WABA ids and months, nothing personal) before it is answered.
 */

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.file',
  parquet: 'application/vnd.apache.parquet',
};

/** What a route body answers: report rows in the requested format, or a JSON document. */
type Answer =
  | { table: readonly object[]; columns: ColumnSpec[]; filename: string }
  | { json: unknown; status: number; rows?: number };

const ACCURACY_COLUMNS: ColumnSpec[] = [
  ...['waba_id', 'month', 'snapshot_date', 'pricing_model', 'category'].map((name) => ({ name, type: 'String' })),
  ...['actual_to_date', 'forecast', 'low', 'high', 'actual', 'error'].map((name) => ({ name, type: 'Float64' })),
  { name: 'month_complete', type: 'Bool' },
  { name: 'error_pct', type: 'Nullable(Float64)' },
  { name: 'within_interval', type: 'Bool' },
];

export function billingRoutes(router: Router, deps: AppDeps): void {
  const reports = new BillingReports(deps);
  const finance = requireRole(deps.config.apiTokens, 'finance');

  /** Runs a route body, records the call in the access audit, then answers (known errors as 400/404). */
  const handle =
    (action: string, body: (req: Request, q: Record<string, unknown>, params: Record<string, unknown>) => Promise<Answer>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      const q = req.query as Record<string, unknown>;
      const params: Record<string, unknown> = { ...q };
      let status = 200;
      let rows: number | undefined;
      let sha: string | undefined;
      let reply: () => void;
      try {
        const answer = await body(req, q, params);
        if ('table' in answer) {
          const format = formatParam(q);
          const bytes = await encode(deps.warehouse, answer.table as Record<string, unknown>[], answer.columns, format);
          rows = answer.table.length;
          sha = createHash('sha256').update(bytes).digest('hex');
          reply = () => {
            res.setHeader('Content-Type', CONTENT_TYPES[format]);
            if (format !== 'json') res.setHeader('Content-Disposition', `attachment; filename="${answer.filename}.${format}"`);
            res.end(bytes);
          };
        } else {
          status = answer.status;
          rows = answer.rows;
          reply = () => res.status(answer.status).json(answer.json);
        }
      } catch (e) {
        const known = e instanceof BillingRequestError || e instanceof CsvError || e instanceof AnalyticsFormatError;
        if (!known) return next(e);
        status = e instanceof BillingRequestError ? e.status : 400;
        params.refused = e.message.slice(0, 300);
        const payload = { error: e.message, ...(e instanceof CsvError ? { problems: e.problems } : {}) };
        reply = () => res.status(status).json(payload);
      }
      await deps.audit.record({ actor: req.principal!.actor, role: req.principal!.role, action, params: { ...params, status }, rows, exportSha256: sha });
      reply();
    };

  router.get('/api/reports/conversations', finance, handle('billing.conversations', async (_req, q) => {
    formatParam(q);
    const month = monthParam(q);
    const table = await reports.conversations({ month, waba: wabaParam(q) });
    return { table, columns: CONVERSATION_COLUMNS, filename: `conversations-${month ?? 'current'}` };
  }));

  router.get('/api/reports/charges', finance, handle('billing.charges', async (_req, q) => {
    formatParam(q);
    const month = monthParam(q);
    const table = await reports.charges({ month, waba: wabaParam(q), groupBy: groupByParam(q) });
    return { table, columns: CHARGE_COLUMNS, filename: `charges-${month ?? 'current'}` };
  }));

  router.get('/api/reports/forecast', finance, handle('billing.forecast', async (_req, q) => {
    formatParam(q);
    const month = monthParam(q);
    const table = await reports.forecast({ month, waba: wabaParam(q), asOf: dateParam(q, 'as_of') });
    return { table, columns: FORECAST_COLUMNS, filename: `forecast-${month ?? 'current'}` };
  }));

  router.get('/api/reports/forecast/accuracy', finance, handle('billing.forecast_accuracy', async (_req, q) => {
    formatParam(q);
    const month = monthParam(q, true)!;
    const table = await reports.forecastAccuracy({ month, waba: wabaParam(q) });
    return { table, columns: ACCURACY_COLUMNS, filename: `forecast-accuracy-${month}` };
  }));

  router.get('/api/reports/reconciliation', finance, handle('billing.reconciliation', async (_req, q) => {
    formatParam(q);
    const month = monthParam(q, true)!;
    const table = await reports.reconciliation({ month, waba: wabaParam(q), onlyDifferences: flagParam(q, 'only_differences') });
    return { table, columns: RECONCILIATION_COLUMNS, filename: `reconciliation-${month}` };
  }));

  router.post('/api/reports/reconciliation', finance, handle('billing.reconciliation.import', async (req, q, params) => {
    if (!req.is('application/json') || req.body === undefined) throw new BillingRequestError(400, 'send the saved Graph API response as application/json');
    const result = await reports.importAnalytics(req.body, wabaParam(q), req.principal!.actor);
    Object.assign(params, { import_id: result.import.import_id, source: result.import.source, waba_id: result.import.waba_id });
    return { json: result, status: 201, rows: result.rows.length };
  }));

  const csvBody = express.text({ type: ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel'], limit: '5mb' });
  router.post('/api/billing/rate-cards', finance, csvBody, handle('billing.rate_card.load', async (req, q, params) => {
    if (typeof req.body !== 'string' || req.body.trim() === '') throw new BillingRequestError(400, 'send the rate card as text/csv');
    const currency = currencyParam(q);
    const effectiveFrom = dateParam(q, 'effective_from');
    if (!effectiveFrom) throw new BillingRequestError(400, 'effective_from is required (YYYY-MM-DD)');
    const loaded = await reports.loadRateCard(req.body, {
      currency,
      effectiveFrom,
      sourceName: typeof q.name === 'string' ? q.name : 'upload.csv',
      loadedBy: req.principal!.actor,
    });
    params.source_sha256 = loaded.source_sha256;
    return { json: loaded, status: 201, rows: loaded.entries };
  }));

  router.get('/api/billing/rate-cards', finance, handle('billing.rate_card.list', async () => {
    const rows = await reports.listRateCards();
    return { json: { rows }, status: 200, rows: rows.length };
  }));
}
