import { frame, rowsChart, utcTime, type ChartSpec } from '../spec.ts';

/** One entry of the access audit (R12); actors are token names, parameters are not shown. */
export interface AuditEntryRow {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
}

/** Entries per hour and action: a timeline that shows bursts (a bulk export at 3 a.m. stands out). */
export function auditBuckets(rows: readonly AuditEntryRow[]) {
  const buckets = new Map<string, { hour: string; action: string; n: number; actors: Set<string> }>();
  for (const r of rows) {
    const t = Date.parse(r.at.includes('T') ? r.at : r.at.replace(' ', 'T') + 'Z');
    if (!Number.isFinite(t)) continue;
    const hour = new Date(Math.floor(t / 3_600_000) * 3_600_000).toISOString();
    const key = `${hour}|${r.action}`;
    const b = buckets.get(key) ?? { hour, action: r.action, n: 0, actors: new Set<string>() };
    b.n++;
    b.actors.add(r.actor);
    buckets.set(key, b);
  }
  return [...buckets.values()]
    .sort((a, b) => a.hour.localeCompare(b.hour) || a.action.localeCompare(b.action))
    .map((b) => ({ hour: b.hour, action: b.action, n: b.n, actors: [...b.actors].sort().join(', ') }));
}

export const accessAuditChart = rowsChart<AuditEntryRow>({
  id: 'access-audit',
  title: 'Access audit timeline',
  description: 'Who looked at what: audit entries per hour by action (report runs, exports, dashboard views…).',
  size: { width: 640, height: 280 },
  emptyMessage: 'No access-audit entries in this range.',
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Access audit timeline', 'Audit entries per hour by action'),
      data: { values: auditBuckets(rows) },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'hour', type: 'temporal', title: null, scale: utcTime, timeUnit: 'utcyearmonthdatehours', bandPosition: 0, axis: { format: '%d %b %H:%M' } },
        y: { field: 'n', type: 'quantitative', title: 'entries', stack: 'zero' },
        color: { field: 'action', type: 'nominal', title: null },
        tooltip: [
          { field: 'hour', type: 'temporal', timeUnit: 'utcyearmonthdatehours', title: 'hour (UTC)' },
          { field: 'action', type: 'nominal' },
          { field: 'n', type: 'quantitative', title: 'entries' },
          { field: 'actors', type: 'nominal' },
        ],
      },
    }) as unknown as ChartSpec,
});
