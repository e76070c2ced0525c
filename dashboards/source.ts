import type { AppDeps } from '../app/deps.ts';
import type { Role } from '../app/config.ts';
import type { ChartDef } from './charts/spec.ts';
import type { DashboardQuery } from './query.ts';

/** Who is looking: decides personal data (privacy/admin see wa_ids, others pseudonyms). */
export interface Viewer {
  actor: string;
  role: Role | 'system';
  personal: boolean;
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

export type FilterName = 'waba' | 'phone' | 'team';

/** One audience's dashboard: who may open it, which filters it takes, how it reads its reports. */
export interface Dashboard<D = unknown> {
  id: 'managers' | 'finance' | 'privacy';
  title: string;
  summary: string;
  /** Roles allowed besides admin. */
  roles: readonly Role[];
  filters: readonly FilterName[];
  /** Reads the report outputs (never tables) for the query. */
  load(ctx: SourceContext): Promise<D>;
  options?(data: D): FilterOptions;
  charts: ReadonlyArray<ChartBinding<D>>;
}

export function mayView(d: Dashboard<unknown>, role: Role | 'system'): boolean {
  return role === 'admin' || role === 'system' || (d.roles as readonly string[]).includes(role);
}
