import { z } from 'zod';
import { ConfigError, ROLES, type FileConfig, type Role } from '../../app/config.ts';
import { isValidZone } from '../sla/calendar.ts';
import { EVERY } from './occurrence.ts';

/**
 * The `alerts` section of CONFIG_FILE, validated here (app/config.ts keeps it an open record):
 * recipients, the SMTP relay, delivery retries and the rules. Rules added through the admin API use
 * the same rule schema.
 *
 * ```json
 * "alerts": {
 *   "dashboard_url": "https://analytics.example.com",
 *   "smtp": { "host": "smtp.example.com", "port": 587, "from": "alerts@example.com" },
 *   "recipients": [
 *     { "id": "ana", "role": "manager", "wabas": ["1022…"], "zone": "America/Sao_Paulo",
 *       "email": "ana@example.com", "slack_webhook": "https://hooks.slack.com/…",
 *       "webhook": { "url": "https://ops.example.com/hooks/wa", "secret": "…" } } ],
 *   "rules": [
 *     { "id": "frt-at-risk", "kind": "sla_at_risk", "percent": 80, "scope": { "wabas": ["1022…"] },
 *       "cooldown_minutes": 10, "quiet": { "zone": "America/Sao_Paulo", "from": "22:00", "to": "07:00" } } ]
 * }
 * ```
 */

const ids = z.array(z.string()).default([]);
const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM');
const zone = z.string().refine(isValidZone, { message: 'expected an IANA time zone' });

/** Labels (reports/labels) narrow rules on waits: waits whose customer held any (or all) of them when the wait started. */
export const scopeSchema = z
  .object({ wabas: ids, phone_numbers: ids, teams: ids, labels: ids, label_match: z.enum(['any', 'all']).default('any') })
  .default({ wabas: [], phone_numbers: [], teams: [], labels: [], label_match: 'any' });

/** Quiet hours: a daily window in a zone, or every hour the business calendar is closed. */
export const quietSchema = z.union([
  z.object({ zone, from: hhmm, to: hhmm }),
  z.object({ calendar: z.string() }),
]);

const common = {
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'rule ids: letters, digits, _ . - (up to 64)'),
  title: z.string().max(200).optional(),
  scope: scopeSchema,
  /** Roles whose recipients get the rule's messages (default: the role the report belongs to). */
  roles: z.array(z.enum(ROLES)).optional(),
  /** Only these recipients (still filtered by role and scope). */
  recipients: z.array(z.string()).optional(),
  /** Person accounts too: active users with one of these roles, by e-mail, each within its own WABA scope (narrowed to `wabas`). */
  people: z.object({ roles: z.array(z.enum(ROLES)).min(1), wabas: z.array(z.string()).min(1).optional() }).optional(),
  /** Least time between two firing messages of the rule; what starts meanwhile waits for the next. */
  cooldown_minutes: z.number().nonnegative().default(0),
  quiet: quietSchema.optional(),
  /** Items listed in one message (the longest first); the rest are counted. */
  list: z.number().int().min(1).max(100).default(10),
  /** SLA rules: the response family (`any` response or `human` ones). */
  family: z.enum(['any', 'human']).default('any'),
};

export const ruleSchema = z.discriminatedUnion('kind', [
  z.object({ ...common, kind: z.literal('sla_at_risk'), percent: z.number().gt(0).lt(100) }),
  z.object({ ...common, kind: z.literal('sla_breached') }),
  z.object({ ...common, kind: z.literal('sla_waiting_now'), max_count: z.number().int().nonnegative().optional(), max_oldest_minutes: z.number().nonnegative().optional() })
    .refine((r) => r.max_count !== undefined || r.max_oldest_minutes !== undefined, { message: 'sla_waiting_now needs max_count or max_oldest_minutes' }),
  z.object({ ...common, kind: z.literal('sla_window_closing'), within_minutes: z.number().positive() }),
  z.object({ ...common, kind: z.literal('forecast_over_budget'), budget: z.number().nonnegative(), level: z.enum(['forecast', 'low', 'high']).default('forecast') }),
  z.object({ ...common, kind: z.literal('free_tier_running_out'), within_days: z.number().nonnegative() }),
  /** The last `days` complete local days against the `days` before them, per WABA; `min_amount` keeps small sums quiet. */
  z.object({ ...common, kind: z.literal('spend_rise'), rise_percent: z.number().positive(), days: z.number().int().min(1).max(31).default(7), min_amount: z.number().nonnegative().default(0) }),
  z.object({ ...common, kind: z.literal('template_paused'), statuses: z.array(z.string().regex(/^[A-Z_]{1,40}$/)).min(1).default(['PAUSED']) }),
  /** `RED`: templates rated RED; `YELLOW`: rated YELLOW or RED. */
  z.object({ ...common, kind: z.literal('template_quality'), quality: z.enum(['RED', 'YELLOW']).default('RED') }),
  /** A category change is announced while it is younger than `within_hours`, then resolved. */
  z.object({ ...common, kind: z.literal('template_recategorised'), within_hours: z.number().positive().default(24) }),
  z.object({ ...common, kind: z.literal('rights_request_due'), days_before: z.number().nonnegative() }),
  z.object({ ...common, kind: z.literal('retention_breach') }),
  z.object({ ...common, kind: z.literal('warehouse_unreachable') }),
  z.object({ ...common, kind: z.literal('ingest_backlog'), max_age_seconds: z.number().positive() }),
  z.object({ ...common, kind: z.literal('audit_chain_broken') }),
]);

const recipientSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/),
    role: z.enum(ROLES),
    wabas: z.union([z.literal('all'), z.array(z.string()).min(1)]).default('all'),
    zone: zone.default('UTC'),
    email: z.email().optional(),
    slack_webhook: z.url().optional(),
    webhook: z.object({ url: z.url(), secret: z.string().min(16) }).optional(),
  })
  .refine((r) => r.email || r.slack_webhook || r.webhook, { message: 'a recipient needs email, slack_webhook or webhook' });

/** A dashboard mailed to a recipient on a schedule in the recipient's zone (or `zone`). */
const scheduleSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  recipient: z.string(),
  dashboard: z.string(),
  every: z.string().regex(EVERY, 'expected "<daily|weekdays|Monday…Sunday> HH:MM"'),
  zone: zone.optional(),
  /** What the mail carries: the snapshot page, pictures of the charts, each chart's data as CSV. */
  attach: z.array(z.enum(['html', 'png', 'svg', 'csv'])).min(1).default(['html', 'png']),
  /** Charts pictured or exported (default: all of the dashboard's). */
  charts: z.array(z.string()).optional(),
});

export const alertsConfigSchema = z.object({
  dashboard_url: z.string().default('http://127.0.0.1:3000'),
  /** An instance not heard from for this long is gone: the live ones share its rules (docs/SCALING.md). */
  liveness_seconds: z.number().positive().default(120),
  /** Evaluate rules even with no recipient here (rules that name person accounts only). */
  enabled: z.boolean().optional(),
  smtp: z
    .object({
      host: z.string(),
      port: z.number().int().positive().default(587),
      secure: z.boolean().default(false),
      /** Plain SMTP without STARTTLS: only for a relay on the same host or network. */
      ignore_tls: z.boolean().default(false),
      user: z.string().optional(),
      password: z.string().optional(),
      from: z.string(),
    })
    .optional(),
  /** Cron of the evaluation that catches what the clock alone changes (a wait reaching 80 %). */
  schedule: z.string().default('*/30 * * * * *'),
  retry: z.object({ attempts: z.number().int().min(1).max(10).default(5), backoff_ms: z.number().int().min(1).default(2000) }).default({ attempts: 5, backoff_ms: 2000 }),
  timeout_ms: z.number().int().positive().default(10_000),
  /** Sends at once, over every channel: a burst of firings is spread, not opened all at once on a relay. */
  delivery_concurrency: z.number().int().positive().default(16),
  /** Rows of tracked items a state write sends at once (each holds an item's figures as JSON). */
  item_rows_per_insert: z.number().int().positive().default(50_000),
  recipients: z.array(recipientSchema).default([]),
  rules: z.array(ruleSchema).default([]),
  schedules: z.array(scheduleSchema).default([]),
});

export type AlertRule = z.output<typeof ruleSchema>;
export type RuleKind = AlertRule['kind'];
export type Recipient = z.output<typeof recipientSchema>;
export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type Quiet = z.output<typeof quietSchema>;
export type Schedule = z.output<typeof scheduleSchema>;

/** The role a rule's report belongs to: who hears about it unless the rule says otherwise. */
export function defaultRoles(kind: RuleKind): Role[] {
  if (kind.startsWith('sla_')) return ['manager'];
  if (kind === 'forecast_over_budget' || kind === 'free_tier_running_out' || kind === 'spend_rise') return ['finance'];
  if (kind.startsWith('template_')) return ['manager', 'finance'];
  if (kind === 'audit_chain_broken' || kind === 'rights_request_due' || kind === 'retention_breach') return ['privacy'];
  return ['admin'];
}

export function loadAlertsConfig(file: FileConfig): AlertsConfig {
  const parsed = alertsConfigSchema.safeParse((file as Record<string, unknown>).alerts ?? {});
  if (!parsed.success) throw new ConfigError(`CONFIG_FILE alerts: ${z.prettifyError(parsed.error)}`);
  const cfg = parsed.data;
  const seen = new Set<string>();
  for (const r of cfg.rules) {
    if (seen.has(r.id)) throw new ConfigError(`CONFIG_FILE alerts: rule id ${r.id} appears twice`);
    seen.add(r.id);
    if (r.quiet && 'calendar' in r.quiet && !file.calendars.some((c) => c.id === (r.quiet as { calendar: string }).calendar)) {
      throw new ConfigError(`CONFIG_FILE alerts: rule ${r.id} names unknown calendar ${r.quiet.calendar}`);
    }
  }
  const people = new Set<string>();
  for (const p of cfg.recipients) {
    if (people.has(p.id)) throw new ConfigError(`CONFIG_FILE alerts: recipient id ${p.id} appears twice`);
    people.add(p.id);
  }
  for (const s of cfg.schedules) {
    if (!people.has(s.recipient)) throw new ConfigError(`CONFIG_FILE alerts: schedule ${s.id} names unknown recipient ${s.recipient}`);
  }
  return cfg;
}
