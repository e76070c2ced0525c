import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { HttpError } from '../../app/http-error.ts';
import { deliveryHistory, firingHistory } from '../../warehouse/queries/alerts/store.ts';
import { mountReports, route, type AnyReportRoute } from '../endpoint.ts';
import { ruleSchema } from './config.ts';
import type { AlertEngine } from './engine.ts';
import { firingsFor } from './history.ts';
import { deleteRule, RuleConflict, saveRule } from './rule-store.ts';

/**
 * /api/reports/alerts: the firing history a manager, finance or privacy officer may read (their
 * rules, their WABAs). /api/alerts, for admins: the rules (from CONFIG_FILE and stored), adding and removing stored
 * rules, a test message of a rule, an evaluation on demand, and the history of firings and
 * deliveries. Every call is in the access audit as `alerts.<action>`.
 */

const limitOf = (q: Record<string, unknown>) => {
  const n = Number(q.limit ?? 100);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new HttpError(400, 'limit: an integer from 1 to 10000', { body: { parameter: 'limit' } });
  return n;
};
const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 64) : '');

function conflicts<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((e: unknown) => {
    throw e instanceof RuleConflict ? new HttpError(409, e.message) : e;
  });
}

const DAY_MS = 86_400_000;
const historyQuery = z.object({
  waba_id: z.string().optional().describe('one WABA of your scope'),
  days: z.string().optional().describe('how many days back (default 7, at most 90)'),
  limit: z.string().optional().describe('at most this many messages (default 100)'),
});

export function alertRoutes(engine: AlertEngine): AnyReportRoute[] {
  return [
    route({
      path: '/api/reports/alerts', role: ['manager', 'finance', 'privacy'], action: 'alerts.history', query: historyQuery,
      summary: 'firings and resolutions of the rules whose audience includes your role, for the WABAs in your scope',
      params: ({ query }) => {
        const days = Number(query.days ?? 7);
        if (!Number.isInteger(days) || days < 1 || days > 90) throw new HttpError(400, 'days: an integer from 1 to 90', { body: { parameter: 'days' } });
        return { waba: text(query.waba_id), days, limit: limitOf(query) };
      },
      run: async ({ deps, params, principal, now }) => {
        const rules = (await engine.rules()).map((l) => l.rule);
        const firings = await firingsFor(deps, rules, principal, { waba: params.waba, sinceMs: now.getTime() - params.days * DAY_MS, limit: params.limit });
        return { json: { firings }, rows: firings.length };
      },
    }),
    route({
      path: '/api/alerts/rules', role: 'admin', wabas: 'all', action: 'alerts.rules',
      run: async () => {
        const rules = (await engine.rules()).map((l) => ({ ...l.rule, source: l.source }));
        return { json: { rules }, rows: rules.length };
      },
    }),
    route({
      method: 'post', path: '/api/alerts/rules', role: 'admin', wabas: 'all', action: 'alerts.rule_save',
      params: ({ body }) => {
        const parsed = ruleSchema.safeParse(body);
        if (!parsed.success) throw new HttpError(400, `rule: ${z.prettifyError(parsed.error)}`, { body: { parameter: 'rule' } });
        return parsed.data;
      },
      audit: (rule) => ({ rule_id: rule.id, kind: rule.kind }),
      run: async ({ deps, params, principal, now }) => {
        await conflicts(() => saveRule(deps.warehouse, engine.config, params, principal.actor, now.getTime()));
        return { json: { rule: params }, status: 201 };
      },
    }),
    route({
      method: 'post', path: '/api/alerts/rules/:id/delete', role: 'admin', wabas: 'all', action: 'alerts.rule_delete',
      params: ({ path }) => ({ id: text(path.id) }),
      run: async ({ deps, params, principal, now }) => {
        const removed = await conflicts(() => deleteRule(deps.warehouse, engine.config, params.id, principal.actor, now.getTime()));
        if (!removed) throw new HttpError(404, `no stored rule ${params.id}`);
        return { json: { removed: params.id } };
      },
    }),
    route({
      method: 'post', path: '/api/alerts/rules/:id/test', role: 'admin', wabas: 'all', action: 'alerts.test',
      params: ({ path }) => ({ id: text(path.id) }),
      run: async ({ params }) => {
        const sent = await engine.test(params.id);
        if (!sent) throw new HttpError(404, `no rule ${params.id}`);
        return { json: { messages: sent.map((m) => ({ firing_id: m.firing_id, recipient: m.recipient })) }, rows: sent.length };
      },
    }),
    route({
      method: 'post', path: '/api/alerts/evaluate', role: 'admin', wabas: 'all', action: 'alerts.evaluate',
      run: async () => ({ json: await engine.evaluate() }),
    }),
    route({
      path: '/api/alerts/firings', role: 'admin', wabas: 'all', action: 'alerts.firings',
      params: ({ query }) => ({ rule_id: text(query.rule), limit: limitOf(query) }),
      run: async ({ deps, params }) => {
        const rows = await firingHistory(deps.warehouse, { rule_id: params.rule_id, scoped: false, wabas: [], row_limit: params.limit });
        const firings = rows.map(({ payload_json, ...r }) => ({ ...r, at: new Date(r.at).toISOString(), message: JSON.parse(payload_json) as unknown }));
        return { json: { firings }, rows: firings.length };
      },
    }),
    route({
      path: '/api/alerts/deliveries', role: 'admin', wabas: 'all', action: 'alerts.deliveries',
      params: ({ query }) => ({ rule_id: text(query.rule), firing_id: text(query.firing), limit: limitOf(query) }),
      run: async ({ deps, params }) => {
        const rows = await deliveryHistory(deps.warehouse, { ...params, row_limit: params.limit });
        return { json: { deliveries: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) }, rows: rows.length };
      },
    }),
  ];
}

export function mountAlertRoutes(router: Router, deps: AppDeps, engine: AlertEngine): void {
  mountReports(router, deps, alertRoutes(engine));
}
