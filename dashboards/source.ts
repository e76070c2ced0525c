import type { AppDeps } from '../app/deps.ts';
import type { Role } from '../app/config.ts';
import type { WabaScope } from '../app/auth.ts';
import type { ChartDef } from './charts/spec.ts';
import type { DashboardQuery } from './query.ts';

/** Who is looking: decides personal data (privacy/admin see wa_ids, others pseudonyms). */
export interface Viewer {
  actor: string;
  /** The viewer's roles as written in the audit (`manager`, `finance+privacy`, `system`). */
  role: string;
  personal: boolean;
  wabas: WabaScope;
}

/** Everything a source needs to ask the reports for one dashboard's data. */
export interface SourceContext {
  deps: AppDeps;
  query: DashboardQuery;
  viewer: Viewer;
  now: Date;
}

/** Values the filter selects can offer besides the configured WABAs and phone numbers. */
export interface FilterOptions {
  teams?: string[];
}

/** A chart and the part of the dashboard's report data it draws. */
export interface ChartBinding<D> {
  chart: ChartDef<unknown>;
  input(data: D): unknown;
}

export function bind<D, I>(chart: ChartDef<I>, input: (data: D) => I): ChartBinding<D> {
  return { chart: chart as ChartDef<unknown>, input };
}

export type FilterName = 'waba' | 'phone' | 'team' | 'label';

/** One audience's dashboard: who may open it, which filters it takes, how it reads its reports. */
export interface Dashboard<D = unknown> {
  id: 'managers' | 'finance' | 'privacy' | 'templates';
  title: string;
  summary: string;
  /** Roles allowed besides admin. */
  roles: readonly Role[];
  /** `all`: only a viewer who may see every WABA may open it. Default: any scope, its reports read only the viewer's WABAs. */
  wabas?: 'all';
  filters: readonly FilterName[];
  /** Reads the report outputs (never tables) for the query. */
  load(ctx: SourceContext): Promise<D>;
  options?(data: D): FilterOptions;
  /** Charts whose report failed to answer: they show that instead of taking the page down. */
  unavailable?(data: D): readonly string[];
  charts: ReadonlyArray<ChartBinding<D>>;
}

/** Admin and the system (snapshots, scheduled runs) may open every dashboard; others need one of its roles. */
export function mayView(d: Dashboard<unknown>, who: { roles: readonly Role[] } | 'system'): boolean {
  return who === 'system' || who.roles.includes('admin') || d.roles.some((r) => who.roles.includes(r));
}

/**
 * Why a viewer's WABA scope refuses this dashboard with these filters (a 403), or undefined: a
 * dashboard for the whole store needs every WABA, and a `waba` filter must be in the scope.
 */
export function scopeRefusal(d: Dashboard<unknown>, wabas: WabaScope, waba: string | undefined): string | undefined {
  if (wabas === 'all') return undefined;
  if (d.wabas === 'all') return `The ${d.id} dashboard covers every WABA; your access is limited to ${wabas.length} WABA(s).`;
  if (waba !== undefined && !wabas.includes(waba)) return `WABA ${waba.slice(0, 40)} is outside the WABAs you may see.`;
  return undefined;
}

/** The configured tenants a viewer may see (filter choices name no other business). */
export function tenantsInScope<T extends { waba_id: string }>(tenants: readonly T[], wabas: WabaScope): T[] {
  return wabas === 'all' ? [...tenants] : tenants.filter((t) => wabas.includes(t.waba_id));
}

/** Report failures are noted per chart; other charts still draw. */
export interface Unavailable {
  unavailable: string[];
}

/**
 * Runs one report call; on failure logs which report (not the error text, which can carry row
 * data), marks the charts that needed it, and gives the fallback.
 */
export async function attempt<T>(ctx: SourceContext, into: Unavailable, report: string, charts: readonly string[], fallback: T, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if ((e as Error).name === 'QueryError') throw e;
    const code = (e as { code?: unknown }).code;
    ctx.deps.log.warn({ report, code: typeof code === 'string' || typeof code === 'number' ? code : undefined }, 'dashboard report failed');
    into.unavailable.push(...charts);
    return fallback;
  }
}
