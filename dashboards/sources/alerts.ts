import type { Role } from '../../app/config.ts';
import { loadAlertsConfig } from '../../reports/alerts/config.ts';
import { firingsFor } from '../../reports/alerts/history.ts';
import { listRules } from '../../reports/alerts/rule-store.ts';
import type { FiringRow } from '../charts/alerts/firings.ts';
import { attempt, type SourceContext, type Unavailable } from '../source.ts';

/** The alerts panel's rows: the viewer's firing history of the last 7 days (the report /api/reports/alerts answers). */

const DAY_MS = 86_400_000;

export interface AlertsPanelData {
  alerts: FiringRow[];
}

async function viewerFirings(ctx: SourceContext, into: Unavailable, chart: string): Promise<FiringRow[]> {
  const roles = ctx.viewer.role.split('+') as Role[];
  return attempt(ctx, into, 'alerts.history', [chart], [], async () => {
    const rules = (await listRules(ctx.deps.warehouse, loadAlertsConfig(ctx.deps.config.file))).map((l) => l.rule);
    const waba = ctx.query.waba;
    const rows = await firingsFor(ctx.deps, rules, { roles, wabas: ctx.viewer.wabas }, { waba, sinceMs: ctx.now.getTime() - 7 * DAY_MS, limit: 10 });
    return rows.map(({ at, rule_id, title, state, count, waba_ids }) => ({ at, rule_id, title, state, count, waba_ids }));
  });
}

/** A dashboard's load with the alerts panel's rows added (its own reports are read as before). */
export function withAlerts<D extends object>(load: (ctx: SourceContext) => Promise<D>, chart: string): (ctx: SourceContext) => Promise<D & AlertsPanelData> {
  return async (ctx) => {
    const data = await load(ctx);
    // A failed read marks the panel unavailable where the dashboard keeps that list; else it shows empty (logged).
    const alerts = await viewerFirings(ctx, { unavailable: (data as Partial<Unavailable>).unavailable ?? [] }, chart);
    return { ...data, alerts };
  };
}
