import type { AppDeps } from '../../app/deps.ts';
import type { RangeParams } from '../../reports/templates/params.ts';
import type { TemplateRow } from '../../reports/templates/performance.ts';
import { TemplateReports } from '../../reports/templates/service.ts';
import type { TemplateChange } from '../../warehouse/queries/templates/history.ts';
import type { AdTableRow } from '../charts/templates/ads.ts';
import type { TemplateCostRow } from '../charts/templates/cost.ts';
import type { FunnelRow } from '../charts/templates/funnel.ts';
import type { QualityEventRow } from '../charts/templates/quality-timeline.ts';
import type { TemplateReconciliationRow } from '../charts/templates/reconciliation.ts';
import { labelsOf, rangeInstants } from '../query.ts';
import { attempt, type SourceContext, type Unavailable } from '../source.ts';

/** The template report outputs the "Templates and campaigns" dashboard draws. */
export interface TemplatesData extends Unavailable {
  funnel: FunnelRow[];
  quality: QualityEventRow[];
  cost: TemplateCostRow[];
  ads: AdTableRow[];
  /** Template days where Meta's imported analytics and ours differ. */
  reconciliation: TemplateReconciliationRow[];
}

const reportsOf = new WeakMap<AppDeps, TemplateReports>();

function templates(deps: AppDeps): TemplateReports {
  let r = reportsOf.get(deps);
  if (!r) reportsOf.set(deps, (r = new TemplateReports(deps)));
  return r;
}

/** A template's label on the charts: name and language; untagged sends have no name. */
export const templateLabel = (r: { template: string; language: string }) => (r.template ? `${r.template}${r.language ? ` · ${r.language}` : ''}` : '(untagged)');

const KINDS: Record<string, string> = {
  message_template_status_update: 'status',
  message_template_quality_update: 'quality',
  template_category_update: 'category',
};

export function funnelRows(rows: readonly TemplateRow[]): FunnelRow[] {
  const m = new Map<string, FunnelRow>();
  for (const r of rows) {
    const label = templateLabel(r);
    const f = m.get(label) ?? { template: label, sent: 0, delivered: 0, read: 0, replied: 0, clicked: 0 };
    for (const k of ['sent', 'delivered', 'read', 'replied', 'clicked'] as const) f[k] += r[k];
    m.set(label, f);
  }
  return [...m.values()].sort((a, b) => b.sent - a.sent || a.template.localeCompare(b.template));
}

export function costRows(rows: readonly TemplateRow[]): TemplateCostRow[] {
  const m = new Map<string, TemplateCostRow>();
  for (const r of rows) {
    const key = `${templateLabel(r)}\0${r.campaign}\0${r.currency}`;
    const c = m.get(key) ?? { template: templateLabel(r), campaign: r.campaign, cost: 0, currency: r.currency, charged: 0 };
    c.cost = Math.round((c.cost + r.cost) * 1e8) / 1e8;
    c.charged += r.charged;
    m.set(key, c);
  }
  return [...m.values()];
}

export function qualityRows(changes: readonly TemplateChange[]): QualityEventRow[] {
  return changes
    .filter((c) => KINDS[c.field] && c.value)
    .map((c) => ({ at: c.at, template: templateLabel(c), kind: KINDS[c.field]!, value: c.value.toUpperCase() }));
}

/** Reads the template reports for the range (whole UTC days) and WABA filter. */
export async function loadTemplates(ctx: SourceContext): Promise<TemplatesData> {
  const { fromIso, toIso } = rangeInstants(ctx.query);
  const range: RangeParams = { from_ms: Date.parse(fromIso), to_ms: Date.parse(toIso), tz: 'UTC', ...(ctx.query.waba ? { waba: ctx.query.waba } : {}), scope: ctx.viewer.wabas };
  const r = templates(ctx.deps);
  const status: Unavailable = { unavailable: [] };
  // A label filter (docs/LABELS.md) narrows the funnel and cost to sends whose customer had one of the labels then.
  const labels = labelsOf(ctx.query);
  const label = labels.length > 0 ? { label: { labels, label_match: 'any' as const } } : {};
  const byCampaign = await attempt(ctx, status, 'templates.performance', ['template-funnel', 'template-cost'], [] as TemplateRow[], () =>
    r.performance({ ...range, groupBy: ['campaign'], ...label }),
  );
  const history = await attempt(ctx, status, 'templates.history', ['template-quality'], [] as TemplateChange[], () => r.history(range));
  const ads = await attempt(ctx, status, 'templates.ads', ['ads'], [] as AdTableRow[], () => r.ads(range));
  // Meta's analytics have no label: the whole WABA's days, as the reconciliation report gives them.
  const reconciliation = await attempt(ctx, status, 'templates.reconciliation', ['template-reconciliation'], [] as TemplateReconciliationRow[], () =>
    r.reconciliation(range, true),
  );
  return { unavailable: status.unavailable, funnel: funnelRows(byCampaign), quality: qualityRows(history), cost: costRows(byCampaign), ads, reconciliation };
}
