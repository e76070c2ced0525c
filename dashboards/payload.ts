import type { Tenant } from '../app/config.ts';
import { emptySpec, specFor, type ChartSize, type ChartSpec } from './charts/spec.ts';

export const UNAVAILABLE = 'This report could not be read just now; the service log says which one failed.';
import { tenantsInScope, type Dashboard, type SourceContext } from './source.ts';
import type { DashboardQuery } from './query.ts';

/** One chart as the page, the pictures and the snapshot receive it. */
export interface ChartPayload {
  id: string;
  title: string;
  description: string;
  empty: boolean;
  message: string;
  spec: ChartSpec;
}

export interface FilterChoices {
  wabas: Array<{ id: string; label: string }>;
  phones: Array<{ id: string; label: string; waba: string }>;
  teams: string[];
}

/** What `/dashboards/<d>/data` answers. */
export interface DashboardPayload {
  dashboard: string;
  title: string;
  query: DashboardQuery;
  generated_at: string;
  viewer: { role: string; personal: boolean };
  choices: FilterChoices;
  charts: ChartPayload[];
}

/** WABAs and phone numbers come from the configured tenants; teams from the data. */
export function filterChoices(tenants: readonly Tenant[], teams: readonly string[] = []): FilterChoices {
  return {
    wabas: tenants.map((t) => ({ id: t.waba_id, label: t.name ? `${t.name} (${t.waba_id})` : t.waba_id })),
    phones: tenants.flatMap((t) =>
      t.phone_numbers.map((p) => ({ id: p.phone_number_id, label: p.display_phone_number ? `${p.display_phone_number} (${p.phone_number_id})` : p.phone_number_id, waba: t.waba_id })),
    ),
    teams: [...teams],
  };
}

/**
 * Reads a dashboard's reports once and builds every chart's spec from them (or only `only`'s, at
 * `size`, for a picture).
 */
export async function dashboardPayload(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  d: Dashboard<any>,
  ctx: SourceContext,
  opts: { only?: string; size?: ChartSize } = {},
): Promise<DashboardPayload> {
  const data = await d.load(ctx);
  const bindings = opts.only ? d.charts.filter((b) => b.chart.id === opts.only) : d.charts;
  const failed = new Set(d.unavailable?.(data) ?? []);
  const charts = bindings.map(({ chart, input }) => {
    const cctx = { size: opts.size ?? chart.size, now: ctx.now };
    if (failed.has(chart.id)) {
      return { id: chart.id, title: chart.title, description: chart.description, empty: true, message: UNAVAILABLE, spec: emptySpec(cctx, chart.title, UNAVAILABLE) };
    }
    const { empty, spec } = specFor(chart, input(data), cctx);
    return { id: chart.id, title: chart.title, description: chart.description, empty, message: empty ? chart.emptyMessage : '', spec };
  });
  return {
    dashboard: d.id,
    title: d.title,
    query: ctx.query,
    generated_at: ctx.now.toISOString(),
    viewer: { role: ctx.viewer.role, personal: ctx.viewer.personal },
    choices: filterChoices(tenantsInScope(ctx.deps.config.file.tenants, ctx.viewer.wabas), d.options?.(data).teams ?? []),
    charts,
  };
}
