import { route, type AnyReportRoute } from '../endpoint.ts';
import { timelineRows, journeyFigures } from '../../warehouse/queries/labels/timeline.ts';
import { parseLabelBody } from './input.ts';
import { requireAllWabas, requireInScope } from '../scope.ts';
import { billingByLabel } from '../../warehouse/queries/labels/billing.ts';
import { scopeOf } from '../../warehouse/scope.ts';
import { parseJourneyLabels, parseLabelBillingParams, parseTimelineParams, type TimelineParams } from './params.ts';
import { recordLabels } from './record.ts';

/**
 * POST /api/labels (the business's systems attach and remove labels; managers' and admins'
 * credentials), the label timeline reports under /api/reports/labels (managers) and charged
 * messages and conversations by label (/api/reports/labels/billing, finance). Every call, answered or
 * refused, is in the access audit; a body's customers are never written there, only counts.
 */

const TIMELINE_COLUMNS = [
  { name: 'period', type: 'String' }, { name: 'label', type: 'String' },
  { name: 'added', type: 'UInt64' }, { name: 'removed', type: 'UInt64' }, { name: 'customers_added', type: 'UInt64' },
];

const JOURNEY_COLUMNS = [
  { name: 'from_label', type: 'String' }, { name: 'to_label', type: 'String' },
  { name: 'customers_started', type: 'UInt64' }, { name: 'customers_reached', type: 'UInt64' },
  { name: 'mean_seconds', type: 'Nullable(Float64)' }, { name: 'p50_seconds', type: 'Nullable(Float64)' }, { name: 'p90_seconds', type: 'Nullable(Float64)' },
];

const BILLING_COLUMNS = [
  { name: 'label', type: 'String' }, { name: 'kind', type: 'String' }, { name: 'pricing_model', type: 'String' }, { name: 'category', type: 'String' },
  { name: 'count', type: 'UInt64' }, { name: 'billable_count', type: 'UInt64' }, { name: 'free_count', type: 'UInt64' },
];

const rangeAudit = (p: TimelineParams) => ({
  from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), tz: p.tz, period: p.period, label: p.labels, label_match: p.label_match, waba_id: p.waba_ids,
});

export function labelRoutes(): AnyReportRoute[] {
  return [
    route({
      method: 'post',
      path: '/api/labels',
      role: 'manager',
      action: 'labels.record',
      params: ({ body, principal }) => {
        const events = parseLabelBody(body);
        // A label without a WABA holds in every WABA: only a caller who sees every WABA may set one.
        if (events.some((e) => e.waba_id === undefined)) requireAllWabas(principal.wabas, 'a label without waba_id');
        requireInScope(principal.wabas, events.map((e) => e.waba_id!));
        return events;
      },
      audit: (events) => ({ events: events.length }),
      run: async ({ deps, params }) => {
        const out = await recordLabels(deps, params, 'api');
        return { status: 201, json: out, rows: out.stored };
      },
    }),
    route({
      path: '/api/reports/labels/timeline',
      role: 'manager',
      action: 'labels.timeline',
      params: ({ query, now }) => parseTimelineParams(query, now),
      audit: rangeAudit,
      columns: TIMELINE_COLUMNS,
      filename: () => 'label-timeline',
      run: async ({ deps, params, principal }) => ({ rows: await timelineRows(deps.warehouse, { ...params, ...scopeOf(principal.wabas) }, params.period) }),
    }),
    route({
      path: '/api/reports/labels/journey',
      role: 'manager',
      action: 'labels.journey',
      params: ({ query, now }) => ({ ...parseTimelineParams(query, now), ...parseJourneyLabels(query) }),
      audit: (p) => ({ ...rangeAudit(p), from_label: p.from_label, to_label: p.to_label }),
      columns: JOURNEY_COLUMNS,
      filename: () => 'label-journey',
      run: async ({ deps, params, principal }) => {
        const f = await journeyFigures(deps.warehouse, { ...params, ...scopeOf(principal.wabas) });
        const reached = f.customers_reached > 0;
        return {
          rows: [{
            from_label: params.from_label, to_label: params.to_label, customers_started: f.customers_started, customers_reached: f.customers_reached,
            mean_seconds: reached ? f.mean_seconds : null, p50_seconds: reached ? f.q[0] ?? null : null, p90_seconds: reached ? f.q[1] ?? null : null,
          }],
        };
      },
    }),
    route({
      path: '/api/reports/labels/billing',
      role: 'finance',
      action: 'labels.billing',
      params: ({ query }) => parseLabelBillingParams(query),
      audit: (p) => ({ month: p.month, waba_id: p.waba, label: p.labels, label_match: p.label_match }),
      columns: BILLING_COLUMNS,
      filename: (p) => `labels-billing-${p.month}`,
      run: async ({ deps, params, principal }) => ({ rows: await billingByLabel(deps.warehouse, { ...params, ...scopeOf(principal.wabas) }) }),
    }),
  ];
}
