import express, { type Router } from 'express';
import { z } from 'zod';
import type { Role } from '../../app/config.ts';
import type { AppDeps } from '../../app/deps.ts';
import { HttpError } from '../../app/http-error.ts';
import { adRowSchema } from '../../warehouse/queries/templates/ads.ts';
import { templateChangeSchema } from '../../warehouse/queries/templates/history.ts';
import { CsvError } from '../billing/csv-table.ts';
import { mountReports, route, type AnyReportRoute } from '../endpoint.ts';
import type { ColumnSpec } from '../format.ts';
import { formatParam, rangeParams, templateParams, type RangeParams, type TemplateParams } from './params.ts';
import { templateColumns } from './performance.ts';
import { RISK_ROWS } from './risk.ts';
import { ConversionError, conversionBodySchema } from './conversions.ts';
import { RECONCILIATION_ROWS } from './analytics.ts';
import { ParamError } from '../sla/params.ts';
import { TemplateReports } from './service.ts';

/**
 * GET /api/reports/templates (performance and cost), /api/reports/templates/history (status,
 * quality and category changes), /templates/risk (quality risk), /api/reports/ads (click-to-WhatsApp ads) and POST
 * /api/templates/send-log — for managers, finance and admins; POST /api/ads/conversions for service tokens and admins;
 * POST /api/templates/catalog for admins.
 * Every call, answered or refused, is in the access audit as `templates.<report>`.
 */

const ROLES: readonly Role[] = ['manager', 'finance'];
export const HISTORY_COLUMNS: ColumnSpec[] = Object.keys(templateChangeSchema.shape).map((name) => ({ name, type: 'String' }));
const RANGE_PARAMS = new Set(['from', 'to', 'tz', 'waba_id', 'format']);
const TEXT = new Set(['waba_id', 'source_id', 'source_type', 'headline']);
export const AD_COLUMNS: ColumnSpec[] = Object.keys(adRowSchema.shape).map((name) => ({
  name,
  type: TEXT.has(name) ? 'String' : name.startsWith('frt_') ? 'Nullable(Float64)' : name === 'answer_rate' ? 'Float64' : 'UInt64',
}));

const rangeAudit = (p: RangeParams) => ({ from: new Date(p.from_ms).toISOString(), to: new Date(p.to_ms).toISOString(), tz: p.tz, waba_id: p.waba ?? '' });

export function templateRoutes(deps: AppDeps): AnyReportRoute[] {
  const reports = new TemplateReports(deps);
  const logBody = express.text({ type: ['text/csv', 'text/plain', 'application/csv', 'application/json'], limit: '50mb' });
  return [
    route({
      path: '/api/reports/templates', role: ROLES, action: 'templates.performance', format: formatParam,
      params: ({ query, now, principal }): TemplateParams => templateParams(query, reports.zoneOf, now, principal.wabas),
      audit: (p) => ({ ...rangeAudit(p), group_by: p.groupBy.join(',') }),
      columns: (p) => templateColumns(p.groupBy),
      filename: () => 'templates',
      run: async ({ params }) => ({ rows: await reports.performance(params) }),
    }),
    route({
      path: '/api/reports/templates/history', role: ROLES, action: 'templates.history', format: formatParam, columns: HISTORY_COLUMNS,
      params: ({ query, now, principal }): RangeParams => rangeParams(query, reports.zoneOf, now, principal.wabas, RANGE_PARAMS),
      audit: rangeAudit,
      filename: () => 'template-history',
      run: async ({ params }) => ({ rows: await reports.history(params) }),
    }),
    route({
      path: '/api/reports/templates/risk', role: ROLES, action: 'templates.risk', format: formatParam, columns: RISK_ROWS.specs,
      params: ({ query, now, principal }): RangeParams => rangeParams(query, reports.zoneOf, now, principal.wabas, RANGE_PARAMS),
      audit: rangeAudit,
      filename: () => 'template-risk',
      run: async ({ params }) => ({ rows: await reports.risk(params) }),
    }),
    route({
      path: '/api/reports/ads', role: ROLES, action: 'templates.ads', format: formatParam, columns: AD_COLUMNS,
      params: ({ query, now, principal }): RangeParams => rangeParams(query, reports.zoneOf, now, principal.wabas, RANGE_PARAMS),
      audit: rangeAudit,
      filename: () => 'ads',
      run: async ({ params }) => ({ rows: await reports.ads(params) }),
    }),
    route({
      method: 'post', path: '/api/ads/conversions', role: ['manager'], action: 'templates.ad_conversions',
      summary: 'Record ad conversions (by click id or contact): service tokens and admins; all or nothing',
      query: z.object({ waba_id: z.string().optional().describe('the WABA of items without one') }),
      body: { contentType: 'application/json', schema: conversionBodySchema },
      answers: { status: 201 },
      params: ({ query, body, principal }) => {
        // Outcomes come from the business's systems, not from a person at the dashboard.
        if (principal.method !== 'service' && !principal.roles.includes('admin')) throw new HttpError(403, 'conversions are posted with a service token (or by an admin)');
        // The app's JSON parser (up to 1 MB) has read the body.
        if (body === undefined || (typeof body === 'string' && body.trim() === '')) throw new HttpError(400, 'send the conversions as application/json');
        const waba = typeof query.waba_id === 'string' && query.waba_id !== '' ? query.waba_id : undefined;
        return { body: body as unknown, waba, scope: principal.wabas };
      },
      audit: (p) => ({ waba_id: p.waba ?? '' }),
      run: async ({ params }) => {
        try {
          const result = await reports.recordConversions(params.body, params.waba, params.scope);
          return { json: result, status: 201, rows: result.stored };
        } catch (e) {
          if (e instanceof ConversionError) throw new HttpError(400, e.message, { body: { problems: e.problems } });
          throw e;
        }
      },
    }),
    route({
      path: '/api/reports/templates/reconciliation', role: ROLES, action: 'templates.reconciliation', format: formatParam, columns: RECONCILIATION_ROWS.specs,
      summary: "Meta's template_analytics (imported) beside ours, per template and UTC day, with the differences",
      params: ({ query, now, principal }) => {
        const only = query.only_differences;
        if (only !== undefined && only !== 'true' && only !== 'false') throw new ParamError('only_differences', 'true or false');
        const { only_differences: _, ...rest } = query;
        return { ...rangeParams({ ...rest, tz: 'UTC' }, reports.zoneOf, now, principal.wabas, RANGE_PARAMS), only: only === 'true' };
      },
      audit: (p) => ({ ...rangeAudit(p), only_differences: p.only }),
      filename: () => 'template-reconciliation',
      run: async ({ params }) => ({ rows: await reports.reconciliation(params, params.only) }),
    }),
    savedResponseImport({
      path: '/api/templates/analytics', action: 'templates.analytics_import',
      summary: 'Load a saved Graph API template_analytics response (DAILY) for one WABA, for the reconciliation',
      load: async (text, waba) => {
        const r = await reports.importAnalytics(text, waba);
        return { json: r, rows: r.data_points, importId: r.import_id };
      },
    }),
    savedResponseImport({
      path: '/api/templates/catalog', action: 'templates.catalog_import',
      summary: 'Load a saved Graph API message_templates response (names, languages, categories, status, quality) for one WABA',
      load: async (text, waba) => {
        const r = await reports.importCatalog(text, waba);
        return { json: r, rows: r.templates, importId: r.import_id };
      },
    }),
    route({
      method: 'post', path: '/api/templates/send-log', role: ROLES, action: 'templates.send_log_import', before: [logBody],
      params: ({ query, body }) => {
        if (typeof body !== 'string' || body.trim() === '') throw new HttpError(400, 'send the send log as text/csv or application/json');
        const waba = typeof query.waba_id === 'string' && query.waba_id !== '' ? query.waba_id : undefined;
        return { text: body, waba };
      },
      audit: (p) => ({ waba_id: p.waba ?? '' }),
      run: async ({ params }) => {
        try {
          const result = await reports.importSendLog(params.text, params.waba);
          return { json: result, status: 201, rows: result.rows, audit: { import_id: result.import_id } };
        } catch (e) {
          if (e instanceof CsvError) throw new HttpError(400, e.message.slice(0, 2000), { body: { problems: e.problems } });
          throw e;
        }
      },
    }),
  ];
}

export function mountTemplateRoutes(router: Router, deps: AppDeps): void {
  mountReports(router, deps, templateRoutes(deps));
}

/**
 * An admin route loading a saved Graph API response (JSON) for one WABA: the body as text (the app's
 * JSON parser has read it; its bytes are hashed as they are written again), 201 with what was loaded.
 */
function savedResponseImport(
  o: { path: string; action: string; summary: string; load: (text: string, waba: string) => Promise<{ json: unknown; rows: number; importId: string }> },
) {
  return route({
    method: 'post', path: o.path, role: 'admin', action: o.action, summary: o.summary,
    query: z.object({ waba_id: z.string().describe('the WABA the response is of') }),
    body: { contentType: 'application/json' },
    answers: { status: 201 },
    params: ({ query, body }) => {
      const waba = typeof query.waba_id === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(query.waba_id) ? query.waba_id : undefined;
      if (!waba) throw new HttpError(400, 'give the WABA as waba_id', { body: { parameter: 'waba_id' } });
      if (body === undefined || (typeof body === 'string' && body.trim() === '')) throw new HttpError(400, 'send the response as application/json');
      return { text: typeof body === 'string' ? body : JSON.stringify(body), waba };
    },
    audit: (p) => ({ waba_id: p.waba }),
    run: async ({ params }) => {
      try {
        const r = await o.load(params.text, params.waba);
        return { json: r.json, status: 201, rows: r.rows, audit: { import_id: r.importId } };
      } catch (e) {
        if (e instanceof CsvError) throw new HttpError(400, e.message.slice(0, 2000), { body: { problems: e.problems } });
        throw e;
      }
    },
  });
}
