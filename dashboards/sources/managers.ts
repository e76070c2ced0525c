import { runAggregateSets, runReport } from '../../reports/sla/report.ts';
import { ParamError, parseReportParams, type ReportKind, type ReportParams } from '../../reports/sla/params.ts';
import type { AggregateShape } from '../../warehouse/queries/sla/reports.ts';
import { slaSettings } from '../../reports/sla/settings.ts';
import type { PercentileRow } from '../charts/percentiles.ts';
import type { AttainmentRow } from '../charts/managers/attainment.ts';
import type { HourOfWeekRow } from '../charts/managers/hour-of-week.ts';
import { WAITING_LIMIT, type WaitingRow } from '../charts/managers/waiting-now.ts';
import type { WindowClosingRow } from '../charts/managers/window-closing.ts';
import type { ResponderRow } from '../charts/managers/responder-table.ts';
import type { ResponderClassRow } from '../charts/managers/bot-vs-human.ts';
import type { CsatRow } from '../charts/managers/csat.ts';
import { parseCsatParams } from '../../reports/csat/params.ts';
import { runCsatReport } from '../../reports/csat/report.ts';
import type { SourceContext } from '../source.ts';
import { QueryError } from '../query.ts';

/** The SLA report outputs the managers' dashboard draws. */
export interface ManagersData {
  firstResponse: PercentileRow[];
  nextResponse: PercentileRow[];
  timeToRead: PercentileRow[];
  attainment: AttainmentRow[];
  hourOfWeek: HourOfWeekRow[];
  waiting: WaitingRow[];
  windowClosing: WindowClosingRow[];
  agents: ResponderRow[];
  teams: ResponderRow[];
  responders: ResponderClassRow[];
  csat: CsatRow[];
}

type Row = Record<string, unknown>;

/** Rows of each live list the charts draw (the longest waits, the soonest closing windows). */
const LIVE_TOP = WAITING_LIMIT;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const count = (v: unknown): number => num(v) ?? 0;
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));

/**
 * Asks the SLA report exactly as its API would be asked (same parameter names and checks), in
 * process: `from`/`to` are whole days in the tenant's zone, `family` human unless said otherwise.
 */
/** The SLA report's parameters for the dashboard's filters; a bad filter is the viewer's to change. */
function slaParams(ctx: SourceContext, kind: ReportKind, extra: Record<string, string>): ReportParams {
  const { query } = ctx;
  const q: Record<string, string> = { from: query.from, to: query.to, ...extra };
  if (query.waba) q.waba_id = query.waba;
  if (query.phone) q.phone_number_id = query.phone;
  if (query.team) q.team = query.team;
  if (query.label) q.label = query.label;
  try {
    return parseReportParams(kind, q, slaSettings(ctx.deps.config.file), ctx.now, ctx.viewer.wabas);
  } catch (e) {
    if (!(e instanceof ParamError)) throw e;
    const names: Record<string, string> = { waba_id: 'waba', phone_number_id: 'phone' };
    throw new QueryError(names[e.parameter] ?? e.parameter, e.message);
  }
}

/** One SLA report for the dashboard's filters; `more` sets what no query parameter does (perList). */
async function sla(ctx: SourceContext, kind: ReportKind, extra: Record<string, string>, more: Partial<ReportParams> = {}): Promise<Row[]> {
  try {
    return (await runReport(ctx.deps, kind, { ...slaParams(ctx, kind, extra), ...more }, ctx.viewer.personal)).rows;
  } catch (e) {
    // Lists over sla.max_export_rows are the viewer's to narrow.
    if (!(e instanceof ParamError)) throw e;
    throw new QueryError(e.parameter, e.message);
  }
}

export function percentileRow(r: Row, n: number): PercentileRow {
  return { period: str(r.period), n, p50: num(r.p50_seconds), p90: num(r.p90_seconds), p95: num(r.p95_seconds) };
}

export function responderRow(r: Row, dimension: 'agent' | 'team'): ResponderRow {
  return {
    name: str(r[dimension]),
    n: count(r.answered),
    p50: num(r.p50_seconds),
    p90: num(r.p90_seconds),
    achieved: count(r.achieved),
    breached: count(r.breached),
  };
}

/** SLA hour-of-week is (ISO weekday − 1) × 24 + hour in the tenant's zone. */
export function hourOfWeekRow(r: Row): HourOfWeekRow {
  const how = count(r.hour_of_week);
  return { weekday: Math.floor(how / 24) + 1, hour: how % 24, n: count(r.answered), p50: num(r.p50_seconds) };
}

export async function loadManagers(ctx: SourceContext): Promise<ManagersData> {
  // One after another: the embedded engine runs one query at a time per connection anyway.
  // The groupings over the same filters in one read of the waits.
  const sets: AggregateShape[] = [
    { period: 'day', dims: ['kind'] },
    { period: 'none', dims: ['sla_policy'] },
    { period: 'none', dims: ['agent'] },
    { period: 'none', dims: ['team'] },
    { period: 'day', dims: [] },
    // The heatmap: first and next responses only.
    { period: 'none', dims: ['hour_of_week'], kinds: ['first', 'next'] },
  ];
  // Only the figures the charts draw: each percentile kept is every value of every cell, sorted.
  const shown = { period: 'day', group_by: '', columns: 'answered,p50_seconds,p90_seconds,p95_seconds,achieved,breached,open,replies_read,p50_time_to_read_seconds' };
  const [byKind = [], byPolicy = [], byAgent = [], byTeam = [], overall = [], byHour = []] = (await runAggregateSets(ctx.deps, slaParams(ctx, 'aggregates', shown), sets)).map((r) => r.rows);
  const byResponder = await sla(ctx, 'aggregates', { period: 'day', group_by: 'responder', family: 'any', columns: 'answered' });
  // The charts show the top of each live list: read only that, however many wait.
  const live = await sla(ctx, 'live', {}, { perList: LIVE_TOP });
  const csat = await csatByAgent(ctx);
  const answered = (r: Row) => count(r.answered) > 0;
  return {
    firstResponse: byKind.filter((r) => r.kind === 'first' && answered(r)).map((r) => percentileRow(r, count(r.answered))),
    nextResponse: byKind.filter((r) => r.kind === 'next' && answered(r)).map((r) => percentileRow(r, count(r.answered))),
    // The SLA aggregates carry the median time to read of the replies that were read.
    timeToRead: overall
      .filter((r) => count(r.replies_read) > 0)
      .map((r) => ({ period: str(r.period), n: count(r.replies_read), p50: num(r.p50_time_to_read_seconds), p90: null, p95: null })),
    attainment: byPolicy
      .filter((r) => str(r.sla_policy) !== '')
      .map((r) => ({ policy: str(r.sla_policy), achieved: count(r.achieved), breached: count(r.breached), open: count(r.open) })),
    hourOfWeek: byHour.filter((r) => r.hour_of_week != null && answered(r)).map(hourOfWeekRow),
    waiting: live
      .filter((r) => r.list === 'waiting_now')
      .map((r) => ({
        contact: str(r.contact),
        phone_number_id: str(r.phone_number_id),
        team: str(r.owner_team) || null,
        started_at: str(r.started_at),
        due_at: r.due_at == null ? null : str(r.due_at),
      })),
    windowClosing: live
      .filter((r) => r.list === 'window_closing')
      .map((r) => ({
        contact: str(r.contact),
        phone_number_id: str(r.phone_number_id),
        last_customer_message_at: str(r.last_customer_message_at),
        window_closes_at: str(r.window_expires_at),
      })),
    agents: byAgent.filter((r) => str(r.agent) !== '' && answered(r)).map((r) => responderRow(r, 'agent')),
    teams: byTeam.filter((r) => str(r.team) !== '' && answered(r)).map((r) => responderRow(r, 'team')),
    responders: byResponder
      .filter(answered)
      .map((r) => ({ period: str(r.period), responder: str(r.responder) as ResponderClassRow['responder'], n: count(r.answered) })),
    csat,
  };
}

/** The CSAT report by agent over the same days (UTC) and filters (a team filter does not apply). */
async function csatByAgent(ctx: SourceContext): Promise<CsatRow[]> {
  const { query } = ctx;
  const q: Record<string, string> = { from: query.from, to: query.to, period: 'none', group_by: 'agent' };
  if (query.waba) q.waba_id = query.waba;
  if (query.label) q.label = query.label;
  const rows = await runCsatReport(ctx.deps, parseCsatParams(q, ctx.now), ctx.viewer.wabas);
  return rows
    .map((r) => ({ agent: str(r.agent), surveys: count(r.surveys_sent), responses: count(r.responses), satisfied: count(r.score_4) + count(r.score_5), meanScore: num(r.mean_score) }))
    .sort((a, b) => b.surveys - a.surveys || a.agent.localeCompare(b.agent));
}
