import { seesPersonalData } from '../../app/auth.ts';
import { badParameter } from '../../app/http-error.ts';
import { route, type AnyReportRoute } from '../endpoint.ts';
import { performanceRows, waitsOf } from '../../warehouse/queries/agents/performance.ts';
import { resolutionRows } from '../../warehouse/queries/agents/resolution.ts';
import { slaSettings } from '../sla/settings.ts';
import { scopeOf } from '../../warehouse/scope.ts';
import { text } from '../labels/params.ts';
import { drillDownQuery, parsePerformanceParams, parseResolutionParams, type PerformanceParams } from './params.ts';

/**
 * GET /api/reports/agents (per agent or team, credit rule `answered` or `owner`) and
 * /api/reports/agents/waits (the waits behind one row: `name` as the report shows it), and
 * /api/reports/agents/resolution (threads resolved or closed idle), for managers.
 */

const RESOLUTION_COLUMNS = [
  { name: 'period', type: 'String' },
  ...['threads', 'open_threads', 'resolved', 'closed_waiting'].map((name) => ({ name, type: 'UInt64' })),
  { name: 'closed_waiting_pct', type: 'Nullable(Float64)' },
  { name: 'p50_resolution_seconds', type: 'Nullable(Float64)' }, { name: 'p90_resolution_seconds', type: 'Nullable(Float64)' },
  { name: 'idle_hours', type: 'Float64' },
];

const MAX_DRILL_ROWS = 10_000;

const PERFORMANCE_COLUMNS = (p: PerformanceParams) => [
  { name: p.who, type: 'String' }, { name: 'credit', type: 'String' },
  ...['waits', 'answered', 'first_waits', 'next_waits', 'reply_waits'].map((name) => ({ name, type: 'UInt64' })),
  { name: 'share_of_answered_pct', type: 'Nullable(Float64)' },
  { name: 'p50_seconds', type: 'Nullable(Float64)' }, { name: 'p90_seconds', type: 'Nullable(Float64)' },
  ...['achieved', 'breached'].map((name) => ({ name, type: 'UInt64' })),
  { name: 'attainment_pct', type: 'Nullable(Float64)' },
  ...['window_missed', 'late_template_replies', 'chats', 'handoffs'].map((name) => ({ name, type: 'UInt64' })),
  { name: 'p50_after_handoff_seconds', type: 'Nullable(Float64)' }, { name: 'p90_after_handoff_seconds', type: 'Nullable(Float64)' },
  { name: 'drill_down', type: 'String' },
];

const DRILL_COLUMNS = [
  'wait_id', 'waba_id', 'phone_number_id', 'contact', 'kind', 'started_at', 'responded_at', 'response_seconds', 'responder', 'agent', 'team', 'owner_team', 'sla_status',
].map((name) => ({ name, type: name === 'response_seconds' ? 'Nullable(Float64)' : name === 'responded_at' ? 'Nullable(String)' : 'String' }));

const audit = (p: PerformanceParams) => ({
  from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), family: p.family, group_by: p.who, credit: p.credit,
  label: p.labels, label_match: p.label_match, waba_id: p.waba_ids,
});

export function agentRoutes(): AnyReportRoute[] {
  return [
    route({
      path: '/api/reports/agents',
      role: 'manager',
      action: 'agents.performance',
      params: ({ query, now }) => parsePerformanceParams(query, now),
      audit,
      columns: PERFORMANCE_COLUMNS,
      filename: (p) => `${p.who}-performance`,
      run: async ({ deps, params: p, now, principal }) => ({
        rows: (await performanceRows(deps.warehouse, { ...p, ...scopeOf(principal.wabas), now: now.getTime() }, p.who, p.credit)).map((r) => ({
          [p.who]: r.who, credit: p.credit, waits: r.waits, answered: r.answered, first_waits: r.first_waits, next_waits: r.next_waits, reply_waits: r.reply_waits,
          share_of_answered_pct: r.answered ? r.share_of_answered_pct : null,
          p50_seconds: r.answered ? r.q[0] ?? null : null, p90_seconds: r.answered ? r.q[1] ?? null : null,
          achieved: r.achieved, breached: r.breached, attainment_pct: r.achieved + r.breached ? (100 * r.achieved) / (r.achieved + r.breached) : null,
          window_missed: r.window_missed, late_template_replies: r.late_template_replies, chats: r.chats,
          handoffs: r.handoffs, p50_after_handoff_seconds: r.handoffs ? r.after_handoff_q[0] ?? null : null,
          p90_after_handoff_seconds: r.handoffs ? r.after_handoff_q[1] ?? null : null,
          drill_down: drillDownQuery(p, r.who),
        })),
      }),
    }),
    route({
      path: '/api/reports/agents/waits',
      role: 'manager',
      action: 'agents.waits',
      params: ({ query, now }) => {
        const name = text(query, 'name');
        if (!name) throw badParameter('name', 'required: the agent or team as the report names it, e.g. ana or (untagged)');
        return { ...parsePerformanceParams(query, now, ['name']), name };
      },
      audit: (p) => ({ ...audit(p), name: p.name }),
      columns: DRILL_COLUMNS,
      filename: (p) => `${p.who}-waits`,
      run: async ({ deps, params: p, principal }) => {
        const rows = await waitsOf(deps.warehouse, { ...p, ...scopeOf(principal.wabas), row_limit: MAX_DRILL_ROWS + 1 }, p.who, p.credit);
        if (rows.length > MAX_DRILL_ROWS) throw badParameter('to', `more than ${MAX_DRILL_ROWS} waits: narrow the range`);
        const personal = seesPersonalData(principal);
        const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
        return {
          rows: rows.map(({ wa_id, started_ms, responded_ms, ...r }) => ({
            ...r, contact: personal ? wa_id : deps.pseudonyms.contact(wa_id), started_at: iso(started_ms), responded_at: iso(responded_ms),
          })),
        };
      },
    }),
    route({
      path: '/api/reports/agents/resolution',
      role: 'manager',
      action: 'agents.resolution',
      params: ({ query, now, deps }) => parseResolutionParams(query, now, slaSettings(deps.config.file).idleMs),
      audit: (p) => ({ from: new Date(p.from).toISOString(), to: new Date(p.to).toISOString(), tz: p.tz, period: p.period, family: p.family, idle_hours: p.idle_ms / 3_600_000, label: p.labels, label_match: p.label_match, waba_id: p.waba_ids }),
      columns: RESOLUTION_COLUMNS,
      filename: () => 'resolution',
      run: async ({ deps, params: p, now, principal }) => ({
        rows: (await resolutionRows(deps.warehouse, { ...p, ...scopeOf(principal.wabas), now: now.getTime() }, p.period)).map((r) => {
          const closed = r.resolved + r.closed_waiting;
          return {
            period: r.period, threads: r.threads, open_threads: r.open_threads, resolved: r.resolved, closed_waiting: r.closed_waiting,
            closed_waiting_pct: closed ? (100 * r.closed_waiting) / closed : null,
            p50_resolution_seconds: r.resolved ? r.q[0] ?? null : null, p90_resolution_seconds: r.resolved ? r.q[1] ?? null : null,
            idle_hours: p.idle_ms / 3_600_000,
          };
        }),
      }),
    }),
  ];
}
