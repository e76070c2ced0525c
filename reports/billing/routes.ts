import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { requireRole } from '../../app/auth.ts';
import { sendRows, type ColumnSpec } from '../format.ts';
import { CHARGE_COLUMNS } from './charges.ts';
import { CONVERSATION_COLUMNS } from './counts.ts';
import { CsvError } from './csv-table.ts';
import { FORECAST_COLUMNS } from './forecast-report.ts';
import { currencyParam, dateParam, flagParam, formatParam, groupByParam, monthParam, wabaParam } from './params.ts';
import { AnalyticsFormatError, RECONCILIATION_COLUMNS } from './reconciliation.ts';
import { BillingRequestError, BillingReports } from './service.ts';

/**
 * The billing API (roles finance and admin). Every call, answered or refused, is written to the
 * access audit with its parameters (WABA ids and months, nothing personal).
 */

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

  /** Runs a route body; records the call; turns known request errors into 400/404 answers. */
  const handle =
    (action: string, body: (req: Request, res: Response, params: Record<string, unknown>) => Promise<{ rows?: number; sha?: string } | void>) =>
    async (req: Request, res: Response, next: NextFunction) => {
      const params: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
      let outcome: { rows?: number; sha?: string } | void = undefined;
      let status = 200;
      try {
        outcome = await body(req, res, params);
      } catch (e) {
        const known = e instanceof BillingRequestError || e instanceof CsvError || e instanceof AnalyticsFormatError;
        if (!known) return next(e);
        status = e instanceof BillingRequestError ? e.status : 400;
        params.refused = e.message.slice(0, 300);
        res.status(status).json({ error: e.message, ...(e instanceof CsvError ? { problems: e.problems } : {}) });
      } finally {
        await deps.audit.record({
          actor: req.principal!.actor,
          role: req.principal!.role,
          action,
          params: { ...params, status },
          rows: outcome?.rows,
          exportSha256: outcome?.sha,
        });
      }
    };

  const send = async (res: Response, q: Record<string, unknown>, rows: readonly object[], columns: ColumnSpec[], filename: string) => {
    const format = formatParam(q);
    const sha = await sendRows(res, deps.warehouse, { rows: rows as Record<string, unknown>[], columns, format, filename });
    return { rows: rows.length, sha };
  };

  router.get('/api/reports/conversations', finance, handle('billing.conversations', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    formatParam(q);
    const month = monthParam(q);
    const rows = await reports.conversations({ month, waba: wabaParam(q) });
    return send(res, q, rows, CONVERSATION_COLUMNS, `conversations-${month ?? 'current'}`);
  }));

  router.get('/api/reports/charges', finance, handle('billing.charges', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    formatParam(q);
    const month = monthParam(q);
    const rows = await reports.charges({ month, waba: wabaParam(q), groupBy: groupByParam(q) });
    return send(res, q, rows, CHARGE_COLUMNS, `charges-${month ?? 'current'}`);
  }));

  router.get('/api/reports/forecast', finance, handle('billing.forecast', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    formatParam(q);
    const month = monthParam(q);
    const asOf = dateParam(q, 'as_of');
    const rows = await reports.forecast({ month, waba: wabaParam(q), asOf });
    return send(res, q, rows, FORECAST_COLUMNS, `forecast-${month ?? 'current'}`);
  }));

  router.get('/api/reports/forecast/accuracy', finance, handle('billing.forecast_accuracy', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    formatParam(q);
    const month = monthParam(q, true)!;
    const rows = await reports.forecastAccuracy({ month, waba: wabaParam(q) });
    return send(res, q, rows, ACCURACY_COLUMNS, `forecast-accuracy-${month}`);
  }));

  router.get('/api/reports/reconciliation', finance, handle('billing.reconciliation', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    formatParam(q);
    const month = monthParam(q, true)!;
    const rows = await reports.reconciliation({ month, waba: wabaParam(q), onlyDifferences: flagParam(q, 'only_differences') });
    return send(res, q, rows, RECONCILIATION_COLUMNS, `reconciliation-${month}`);
  }));

  router.post('/api/reports/reconciliation', finance, handle('billing.reconciliation.import', async (req, res, params) => {
    if (!req.is('application/json') || req.body === undefined) throw new BillingRequestError(400, 'send the saved Graph API response as application/json');
    const result = await reports.importAnalytics(req.body, wabaParam(req.query as Record<string, unknown>), req.principal!.actor);
    Object.assign(params, { import_id: result.import.import_id, source: result.import.source, waba_id: result.import.waba_id });
    res.status(201).json(result);
    return { rows: result.rows.length };
  }));

  const csvBody = express.text({ type: ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel'], limit: '5mb' });
  router.post('/api/billing/rate-cards', finance, csvBody, handle('billing.rate_card.load', async (req, res, params) => {
    const q = req.query as Record<string, unknown>;
    if (typeof req.body !== 'string' || req.body.trim() === '') throw new BillingRequestError(400, 'send the rate card as text/csv');
    const effectiveFrom = dateParam(q, 'effective_from');
    if (!effectiveFrom) throw new BillingRequestError(400, 'effective_from is required (YYYY-MM-DD)');
    const loaded = await reports.loadRateCard(req.body, {
      currency: currencyParam(q),
      effectiveFrom,
      sourceName: typeof q.name === 'string' ? q.name : 'upload.csv',
      loadedBy: req.principal!.actor,
    });
    params.source_sha256 = loaded.source_sha256;
    res.status(201).json(loaded);
    return { rows: loaded.entries };
  }));

  router.get('/api/billing/rate-cards', finance, handle('billing.rate_card.list', async (_req, res) => {
    const rows = await reports.listRateCards();
    res.json({ rows });
    return { rows: rows.length };
  }));
}
