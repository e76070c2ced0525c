import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { HttpError } from '../../app/http-error.ts';
import { mountReports, route, type ReportRoute, type AnyReportRoute } from '../endpoint.ts';
import type { ColumnSpec } from '../format.ts';
import { CHARGE_COLUMNS } from './charges.ts';
import { CONVERSATION_COLUMNS } from './counts.ts';
import { CsvError } from './csv-table.ts';
import { FORECAST_COLUMNS } from './forecast-report.ts';
import { conversationGroupParam, currencyParam, dateParam, flagParam, formatParam, groupByParam, labelParam, monthParam, wabaParam } from './params.ts';
import type { LabelledPeriodFilter } from '../../warehouse/queries/labels/charges.ts';
import { AnalyticsFormatError, RECONCILIATION_COLUMNS } from './reconciliation.ts';
import { BillingRequestError, BillingReports } from './service.ts';

/**
 * The billing API (roles finance and admin), a table of routes served by the one report endpoint:
 * every call, answered or refused, is in the access audit as `billing.<report>` with its parameters
 * (WABA ids and months, nothing personal) before it is answered.
 */

const ACCURACY_COLUMNS: ColumnSpec[] = [
  ...['waba_id', 'month', 'snapshot_date', 'pricing_model', 'category'].map((name) => ({ name, type: 'String' })),
  ...['actual_to_date', 'forecast', 'low', 'high', 'actual', 'error'].map((name) => ({ name, type: 'Float64' })),
  { name: 'month_complete', type: 'Bool' },
  { name: 'error_pct', type: 'Nullable(Float64)' },
  { name: 'within_interval', type: 'Bool' },
];

type Query = Record<string, unknown>;

/** A file the caller sent that does not read as what it should be: 400 with what is wrong. */
async function uploaded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof CsvError) throw new HttpError(400, e.message, { body: { problems: e.problems } });
    if (e instanceof AnalyticsFormatError) throw new HttpError(400, e.message);
    throw e;
  }
}

const WABA = z.string().optional().describe("one WABA id, within the caller's scope (403 otherwise); default every WABA of the scope");
const MONTH = z.string().optional().describe("YYYY-MM, each WABA's local month; default the current one");
const monthQuery = z.object({ month: MONTH, waba_id: WABA });
const requiredMonth = z.object({ month: z.string().describe('YYYY-MM'), waba_id: WABA });

const LABEL_QUERY = {
  label: z.string().optional().describe('comma list of labels (docs/LABELS.md): only what was charged while its customer had one (label_match=all: every one)'),
  label_match: z.enum(['any', 'all']).optional(),
};

/** `group_by=label` adds the label column first. */
export const withLabel = (columns: ColumnSpec[], label: LabelledPeriodFilter | undefined): ColumnSpec[] =>
  label?.grouped ? [{ name: 'label', type: 'String' }, ...columns] : columns;

const month = (q: Query, required = false) => ({ month: monthParam(q, required), waba: wabaParam(q) });

/** A billing report: its format errors in billing's words. */
const report = <P>(r: ReportRoute<P>): ReportRoute<P> => route({ format: formatParam, ...r });

export function billingRoutes(deps: AppDeps): AnyReportRoute[] {
  const reports = new BillingReports(deps);
  const csvBody = express.text({ type: ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel'], limit: '5mb' });
  const current = (p: { month?: string }) => p.month ?? 'current';
  return [
    report({
      path: '/api/reports/conversations', role: 'finance', action: 'billing.conversations', columns: (p) => withLabel(CONVERSATION_COLUMNS, p.label),
      summary: 'conversations and charged messages per category, against the free tier', query: monthQuery.extend({ ...LABEL_QUERY, group_by: z.string().optional().describe('label; or none') }),
      params: ({ query }) => {
        conversationGroupParam(query);
        return { ...month(query), label: labelParam(query) };
      },
      filename: (p) => `conversations-${current(p)}`,
      run: async ({ params: { label, ...params }, principal }) => ({
        rows: label ? await reports.labelledConversations({ ...params, label, scope: principal.wabas }) : await reports.conversations({ ...params, scope: principal.wabas }),
      }),
    }),
    report({
      path: '/api/reports/charges', role: 'finance', action: 'billing.charges', columns: (p) => withLabel(CHARGE_COLUMNS, p.label),
      summary: 'charges by the rate card in force', query: monthQuery.extend({ ...LABEL_QUERY, group_by: z.string().optional().describe('comma list of category, market, phone_number_id, tier, day, label; or none') }),
      params: ({ query }) => ({ ...month(query), groupBy: groupByParam(query), label: labelParam(query) }), filename: (p) => `charges-${current(p)}`,
      run: async ({ params: { label, ...params }, principal }) => ({
        rows: label ? await reports.labelledCharges({ ...params, label, scope: principal.wabas }) : await reports.charges({ ...params, scope: principal.wabas }),
      }),
    }),
    report({
      path: '/api/reports/forecast', role: 'finance', action: 'billing.forecast', columns: FORECAST_COLUMNS,
      summary: 'month-end forecast with an interval, and the day the free tier runs out', query: monthQuery.extend({ as_of: z.string().optional().describe('YYYY-MM-DD: as made at the start of that local date') }),
      params: ({ query }) => ({ ...month(query), asOf: dateParam(query, 'as_of') }), filename: (p) => `forecast-${current(p)}`,
      run: async ({ params, principal }) => ({ rows: await reports.forecast({ ...params, scope: principal.wabas }) }),
    }),
    report({
      path: '/api/reports/forecast/accuracy', role: 'finance', action: 'billing.forecast_accuracy', columns: ACCURACY_COLUMNS,
      summary: "each stored forecast snapshot against the month's actual figure", query: requiredMonth,
      params: ({ query }) => month(query, true) as { month: string; waba?: string }, filename: (p) => `forecast-accuracy-${p.month}`,
      run: async ({ params, principal }) => ({ rows: await reports.forecastAccuracy({ ...params, scope: principal.wabas }) }),
    }),
    report({
      path: '/api/reports/reconciliation', role: 'finance', action: 'billing.reconciliation', columns: RECONCILIATION_COLUMNS,
      summary: "Meta's imported analytics against our figures, per day and category", query: requiredMonth.extend({ only_differences: z.enum(['true', 'false']).optional() }),
      params: ({ query }) => ({ ...(month(query, true) as { month: string; waba?: string }), onlyDifferences: flagParam(query, 'only_differences') }),
      filename: (p) => `reconciliation-${p.month}`,
      run: async ({ params, principal }) => ({ rows: await reports.reconciliation({ ...params, scope: principal.wabas }) }),
    }),
    route({
      method: 'post', path: '/api/reports/reconciliation', role: 'finance', action: 'billing.reconciliation_import',
      summary: "import a saved Graph API pricing or conversation analytics response", query: z.object({ waba_id: WABA }),
      body: { contentType: 'application/json' }, answers: { status: 201 },
      params: ({ query }) => ({ waba: wabaParam(query) }),
      run: async ({ req, principal, params }) => {
        if (!req.is('application/json') || req.body === undefined) throw new BillingRequestError(400, 'send the saved Graph API response as application/json');
        const result = await uploaded(() => reports.importAnalytics(req.body, params.waba, principal.actor, principal.wabas));
        const audit = { import_id: result.import.import_id, source: result.import.source, waba_id: result.import.waba_id };
        return { json: result, status: 201, rows: result.rows.length, audit };
      },
    }),
    route({
      // A rate card prices every WABA of its currency.
      method: 'post', path: '/api/billing/rate-cards', role: 'finance', action: 'billing.rate_card_load', wabas: 'all', before: [csvBody],
      summary: 'load a rate card (CSV)', body: { contentType: 'text/csv' }, answers: { status: 201 },
      query: z.object({ currency: z.string().describe('e.g. USD'), effective_from: z.string().describe('YYYY-MM-DD'), name: z.string().optional().describe('source file name') }),
      params: ({ query, body }) => {
        if (typeof body !== 'string' || body.trim() === '') throw new BillingRequestError(400, 'send the rate card as text/csv');
        const currency = currencyParam(query);
        const effectiveFrom = dateParam(query, 'effective_from');
        if (!effectiveFrom) throw new BillingRequestError(400, 'effective_from is required (YYYY-MM-DD)');
        return { csv: body, currency, effectiveFrom, sourceName: typeof query.name === 'string' ? query.name : 'upload.csv' };
      },
      run: async ({ principal, params: { csv, ...card } }) => {
        const loaded = await uploaded(() => reports.loadRateCard(csv, { ...card, loadedBy: principal.actor, scope: principal.wabas }));
        return { json: loaded, status: 201, rows: loaded.entries, audit: { source_sha256: loaded.source_sha256 } };
      },
    }),
    route({
      path: '/api/billing/rate-cards', role: 'finance', action: 'billing.rate_cards', summary: 'the loaded rate cards',
      run: async () => {
        const rows = await reports.listRateCards();
        return { json: { rows }, rows: rows.length };
      },
    }),
  ];
}

export function mountBillingRoutes(router: Router, deps: AppDeps): void {
  mountReports(router, deps, billingRoutes(deps));
}
