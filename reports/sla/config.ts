import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, type FileConfig } from '../../app/config.ts';
import { BusinessCalendar, isValidZone } from './calendar.ts';

/**
 * The `sla` section of CONFIG_FILE, validated here (app/config.ts keeps it an open record), and the
 * settings the SLA job and reports use: thread idle time, policies, and each phone number's calendar.
 *
 * ```json
 * "sla": {
 *   "thread_idle_hours": 24,
 *   "max_range_days": 400,
 *   "max_export_rows": 500000,
 *   "policies": [
 *     { "effective_from": "2024-01-01", "rules": [
 *       { "name": "ads", "entry_point": "ctwa", "frt": { "minutes": 5, "mode": "calendar" } },
 *       { "name": "standard", "frt": { "hours": 1, "mode": "business" }, "nrt": { "hours": 4, "mode": "business" } } ] } ]
 * }
 * ```
 */

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

const targetSchema = z
  .object({
    seconds: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    mode: z.enum(['calendar', 'business']).default('calendar'),
  })
  .refine((t) => [t.seconds, t.minutes, t.hours].filter((x) => x !== undefined).length === 1, {
    message: 'a target needs exactly one of seconds, minutes, hours',
  })
  .transform((t) => ({ seconds: Math.round(t.seconds ?? (t.minutes ?? 0) * 60 + (t.hours ?? 0) * 3600), mode: t.mode }));

const ruleSchema = z.object({
  name: z.string().min(1),
  waba_id: oneOrMany.optional(),
  phone_number_id: oneOrMany.optional(),
  team: oneOrMany.optional(),
  entry_point: z.enum(['ctwa', 'direct']).optional(),
  frt: targetSchema.optional(),
  nrt: targetSchema.optional(),
  reply_to_business: targetSchema.optional(),
});

const instant = z.string().refine((s) => Number.isFinite(parseInstant(s)), { message: 'expected an ISO date or date-time' });

const policyVersionSchema = z.object({ effective_from: instant, rules: z.array(ruleSchema).default([]) });

export const slaConfigSchema = z.object({
  thread_idle_hours: z.number().positive().default(24),
  max_range_days: z.number().int().positive().default(400),
  /** Rows one list report may return (waits, breaches, live): more is refused, not held in memory. */
  max_export_rows: z.number().int().positive().default(500_000),
  policies: z.array(policyVersionSchema).default([]),
  job: z
    .object({
      schedule: z.string().default('0 */5 * * * *'),
      /**
       * A run takes rows received up to this long ago: an acknowledged webhook is committed within
       * it, so no row can turn up later with a receipt time the watermark has passed.
       */
      settle_seconds: z.number().nonnegative().default(5),
      batch_chats: z.number().int().positive().default(5000),
    })
    .default({ schedule: '0 */5 * * * *', settle_seconds: 5, batch_chats: 5000 }),
  /** Bounds of the follower that derives the waits after each load (reports/sla/follow.ts). */
  follow: z
    .object({
      /** Chats whose state is kept in memory between calls (least recently used out first); 0: none. */
      carried_chats: z.number().int().nonnegative().default(100_000),
      /** Chats read by one query. */
      chats_per_query: z.number().int().positive().default(1000),
      /** Chats one call takes on; the rest wait for the next call. */
      chats_per_call: z.number().int().positive().default(10_000),
      /** Messages one call reads before it leaves the remaining chats to the next call. */
      events_per_call: z.number().int().positive().default(200_000),
      /** Chats that may wait for a later call; past it the oldest are left to the scheduled job. */
      pending_chats: z.number().int().positive().default(200_000),
    })
    .default({ carried_chats: 100_000, chats_per_query: 1000, chats_per_call: 10_000, events_per_call: 200_000, pending_chats: 200_000 }),
});

export type SlaTarget = z.output<typeof targetSchema>;
export type SlaRule = z.output<typeof ruleSchema>;
export interface PolicyVersion {
  effectiveFrom: number;
  label: string;
  rules: SlaRule[];
}

export interface SlaSettings {
  idleMs: number;
  maxRangeDays: number;
  maxExportRows: number;
  policies: PolicyVersion[];
  job: z.output<typeof slaConfigSchema>['job'];
  follow: z.output<typeof slaConfigSchema>['follow'];
  /** Calendar of a phone number (else its tenant's); undefined = business time equals calendar time. */
  calendarFor(wabaId: string, phoneNumberId: string): BusinessCalendar | undefined;
  /** The business's zone for bucketing days, weeks and months. */
  zoneFor(wabaId: string | undefined): string;
  /** Changes whenever anything that shapes a stored wait changes: the job then recomputes all. */
  fingerprint: string;
}

/** ISO date (midnight UTC) or date-time with offset, to epoch ms; NaN when not a date. */
export function parseInstant(s: string): number {
  if (/^\d{4}-\d\d-\d\d$/.test(s)) return Date.parse(s + 'T00:00:00Z');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(s)) return NaN;
  return Date.parse(s);
}

export function loadSlaSettings(file: FileConfig): SlaSettings {
  const parsed = slaConfigSchema.safeParse(file.sla ?? {});
  if (!parsed.success) throw new ConfigError(`CONFIG_FILE sla: ${z.prettifyError(parsed.error)}`);
  const sla = parsed.data;
  const calendars = new Map(
    file.calendars.map((c) => {
      try {
        return [c.id, new BusinessCalendar(c)] as const;
      } catch (e) {
        throw new ConfigError(`CONFIG_FILE ${(e as Error).message}`);
      }
    }),
  );
  const byPhone = new Map<string, BusinessCalendar>();
  const byTenant = new Map<string, BusinessCalendar>();
  const zones = new Map<string, string>();
  const lookup = (id: string, where: string): BusinessCalendar => {
    const cal = calendars.get(id);
    if (!cal) throw new ConfigError(`CONFIG_FILE ${where}: unknown calendar ${id}`);
    return cal;
  };
  for (const t of file.tenants) {
    if (!isValidZone(t.time_zone)) throw new ConfigError(`CONFIG_FILE tenant ${t.waba_id}: unknown time zone ${t.time_zone}`);
    zones.set(t.waba_id, t.time_zone);
    if (t.calendar) byTenant.set(t.waba_id, lookup(t.calendar, `tenant ${t.waba_id}`));
    for (const p of t.phone_numbers) {
      if (p.calendar) byPhone.set(`${t.waba_id}\0${p.phone_number_id}`, lookup(p.calendar, `phone number ${p.phone_number_id}`));
    }
  }
  const policies = sla.policies
    .map((p) => ({ effectiveFrom: parseInstant(p.effective_from), label: p.effective_from, rules: p.rules }))
    .sort((a, b) => a.effectiveFrom - b.effectiveFrom);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([sla.thread_idle_hours, sla.policies, file.calendars, file.tenants.map((t) => [t.waba_id, t.calendar, t.phone_numbers])]))
    .digest('hex');
  const onlyZone = file.tenants.length === 1 ? file.tenants[0]!.time_zone : 'UTC';
  return {
    idleMs: Math.round(sla.thread_idle_hours * 3_600_000),
    maxRangeDays: sla.max_range_days,
    maxExportRows: sla.max_export_rows,
    policies,
    job: sla.job,
    follow: sla.follow,
    calendarFor: (waba, phone) => byPhone.get(`${waba}\0${phone}`) ?? byTenant.get(waba),
    zoneFor: (waba) => (waba ? zones.get(waba) : undefined) ?? onlyZone,
    fingerprint,
  };
}
