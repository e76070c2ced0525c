import { readFileSync, mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The one configuration schema: environment variables (the contract in DESIGN.md) plus the optional
 * CONFIG_FILE with tenants, calendars, SLA policies, retention, rate cards and processing records.
 * Parsed once in the composition root and passed down; nothing else reads process.env.
 */

// `auditor` reads the audit and reports but never exports, erases or changes anything; `scraper`
// may only read /metrics (a monitoring system's service token).
export const ROLES = ['admin', 'manager', 'finance', 'privacy', 'auditor', 'scraper'] as const;
export type Role = (typeof ROLES)[number];

const interval = z.tuple([z.string().regex(/^\d\d:\d\d$/), z.string().regex(/^\d\d:\d\d$/)]);
const weekday = z.array(interval).default([]);

export const calendarVersionSchema = z.object({
  effective_from: z.string().regex(/^\d{4}-\d\d-\d\d/),
  time_zone: z.string(),
  weekly: z.object({ mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday, sat: weekday, sun: weekday }),
  holidays: z.array(z.string()).default([]),
  overrides: z.record(z.string(), z.array(interval)).default({}),
});
export const calendarSchema = z.object({ id: z.string(), versions: z.array(calendarVersionSchema).min(1) });

export const tenantSchema = z.object({
  waba_id: z.string(),
  name: z.string().default(''),
  time_zone: z.string().default('UTC'),
  currency: z.string().default('USD'),
  calendar: z.string().optional(),
  business_portfolio_id: z.string().optional(),
  phone_numbers: z
    .array(z.object({ phone_number_id: z.string(), display_phone_number: z.string().optional(), calendar: z.string().optional() }))
    .default([]),
});

/**
 * Single sign-on: how the IdP's claims become roles and WABA scopes, and what counts as MFA. A group
 * (or role claim value) not in `groups` gives nothing; a person with no mapped role gets no access.
 */
export const oidcMappingSchema = z.object({
  groups_claim: z.string().default('groups'),
  groups: z.record(z.string(), z.object({ roles: z.array(z.enum(ROLES)).default([]), wabas: z.union([z.literal('all'), z.array(z.string().regex(/^\d{1,20}$/))]).default('all') })).default({}),
  require_mfa: z.boolean().default(true),
  /** `amr` values any one of which asserts a second factor (RFC 8176). */
  mfa_amr: z.array(z.string()).default(['mfa', 'otp', 'hwk', 'swk', 'sc', 'fpt', 'face']),
  /** `acr` values that assert it too. */
  mfa_acr: z.array(z.string()).default([]),
  scopes: z.array(z.string()).default(['openid', 'email', 'profile']),
});
export type OidcMapping = z.infer<typeof oidcMappingSchema>;

/** Sections owned by the report modules stay open records here; each module validates its own part. */
export const fileConfigSchema = z
  .object({
    tenants: z.array(tenantSchema).default([]),
    calendars: z.array(calendarSchema).default([]),
    sla: z.record(z.string(), z.unknown()).default({}),
    billing: z.record(z.string(), z.unknown()).default({}),
    privacy: z.record(z.string(), z.unknown()).default({}),
    alerts: z.record(z.string(), z.unknown()).default({}),
    identity: z.object({ oidc: oidcMappingSchema.default(oidcMappingSchema.parse({})) }).default({ oidc: oidcMappingSchema.parse({}) }),
  })
  .passthrough();

export type FileConfig = z.infer<typeof fileConfigSchema>;
export type Tenant = z.infer<typeof tenantSchema>;
export type Calendar = z.infer<typeof calendarSchema>;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('wa_analytics'),
  CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  WHATSAPP_APP_SECRET: z.string().default(''),
  WHATSAPP_VERIFY_TOKEN: z.string().default(''),
  API_TOKENS: z.string().default(''),
  PII_KEY: z.string().optional(),
  CONFIG_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The ingest log: its disk budget (past it webhooks answer 503), segment size, and how long loaded
  // segments are kept for `replay` (0: deleted once loaded).
  INGEST_LOG_MAX_BYTES: z.coerce.number().int().min(1024 * 1024).default(2 * 1024 ** 3),
  INGEST_LOG_SEGMENT_BYTES: z.coerce.number().int().min(4096).default(64 * 1024 * 1024),
  INGEST_LOG_RETAIN_HOURS: z.coerce.number().min(0).default(0),
  // The loader's batches: bodies, log bytes, and how long a batch waits to fill.
  INGEST_MAX_BATCH: z.coerce.number().int().positive().default(5000),
  INGEST_BATCH_BYTES: z.coerce.number().int().min(64 * 1024).default(16 * 1024 * 1024),
  INGEST_LINGER_MS: z.coerce.number().int().min(0).max(60_000).default(200),
  // A load running longer than this is logged as stalled, and again at each multiple.
  INGEST_STALL_WARN_SECONDS: z.coerce.number().int().positive().default(30),
  // Connections a commit spreads its table inserts over (embedded engine; docs/BENCHMARKS.md).
  INGEST_COMMITTERS: z.coerce.number().int().min(1).max(16).default(1),
  JOBS: z.enum(['on', 'off']).default('on'),
  // Names this process's access-audit chain; two live processes must not share it.
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/).optional(),
  // The access audit's chain key (kept out of the warehouse), where each write burst's head is
  // anchored, and an optional webhook that receives every anchor signed with its own secret.
  AUDIT_KEY: z.string().min(16).optional(),
  AUDIT_KEY_FILE: z.string().optional(),
  AUDIT_ANCHOR_FILE: z.string().optional(),
  AUDIT_ANCHOR_URL: z.string().url().optional(),
  AUDIT_ANCHOR_SECRET: z.string().min(16).optional(),
  // Single sign-on; unset: local accounts (password + TOTP).
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_REDIRECT_URL: z.string().url().optional(),
  // Sessions end after this long without a request, and this long after sign-in whatever happens.
  SESSION_IDLE_MINUTES: z.coerce.number().positive().default(30),
  SESSION_MAX_HOURS: z.coerce.number().positive().default(12),
  // A proxy in front terminates TLS and says so in X-Forwarded-Proto: cookies are then Secure.
  TRUST_PROXY: z.enum(['on', 'off']).default('off'),
  // /metrics needs a token with the `scraper` (or admin) role; `open` serves it to anyone who can
  // reach the port (a listener only the monitoring network sees).
  METRICS_ACCESS: z.enum(['token', 'open']).default('token'),
});

export interface ApiToken {
  role: Role;
  token: string;
  /** `role@waba1|waba2:token` limits the token to those WABAs; otherwise it sees all. */
  wabas: 'all' | readonly string[];
  /** Stable, non-secret name of the token holder for the access audit. */
  actor: string;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  clickhouse:
    | { mode: 'embedded'; database: string }
    | { mode: 'server'; url: string; user: string; password: string; database: string; cluster?: string };
  appSecrets: string[];
  verifyToken: string;
  apiTokens: ApiToken[];
  piiKey: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  ingest: IngestSettings;
  /** Connections an ingest commit spreads its table inserts over (embedded engine). */
  committers: number;
  jobs: boolean;
  /** This process's writer id in the access audit: one hash chain per instance. */
  instanceId: string;
  audit: AuditSettings;
  identity: IdentitySettings;
  file: FileConfig;
}

export interface AuditSettings {
  /** HMAC-SHA-256 key of the audit chain and its anchors; never stored in the warehouse. */
  key: string;
  /** The key file written on this start (to be said in the log), when no key existed. */
  keyGeneratedAt?: string;
  /** Append-only file of chain heads, outside the warehouse folder, for the operator to ship away. */
  anchorFile: string;
  webhook?: { url: string; secret: string };
}

export interface IdentitySettings {
  oidc?: { issuer: string; clientId: string; clientSecret: string; redirectUrl: string };
  sessionIdleMs: number;
  sessionMaxMs: number;
  trustProxy: boolean;
  metricsAccess: 'token' | 'open';
}

export interface IngestSettings {
  /** The ingest log's folder (`DATA_DIR/ingest-log`). */
  logDir: string;
  maxLogBytes: number;
  segmentBytes: number;
  retainMs: number;
  maxBatch: number;
  maxBatchBytes: number;
  lingerMs: number;
  stallWarnSeconds: number;
}

export class ConfigError extends Error {}

function parseTokens(spec: string): ApiToken[] {
  if (spec.trim() === '') return [];
  return spec.split(',').map((pair, i) => {
    const at = pair.indexOf(':');
    const [role, scope] = pair.slice(0, at).trim().split('@', 2) as [string, string | undefined];
    const token = pair.slice(at + 1).trim();
    const wabas = scope === undefined ? 'all' : scope.split('|').map((w) => w.trim());
    const badScope = wabas !== 'all' && wabas.some((w) => !/^\d{1,20}$/.test(w));
    if (at < 1 || !(ROLES as readonly string[]).includes(role) || token.length < 8 || badScope) {
      throw new ConfigError(`API_TOKENS entry ${i + 1}: expected role[@waba|waba…]:token with role in ${ROLES.join('|')}, WABA ids in digits and a token of 8+ characters`);
    }
    return { role: role as Role, token, wabas, actor: `${role}#${i + 1}` };
  });
}

/** Reads PII_KEY, or the key generated into DATA_DIR on first start so pseudonyms stay stable. */
function piiKey(explicit: string | undefined, dataDir: string): string {
  if (explicit) return explicit;
  const file = join(dataDir, 'pii.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}

/** AUDIT_KEY, or the key file (generated on first start: `keyGeneratedAt` names it for the log). */
function auditSettings(e: z.infer<typeof envSchema>, dataDir: string): AuditSettings {
  if (e.AUDIT_ANCHOR_URL && !e.AUDIT_ANCHOR_SECRET) throw new ConfigError('AUDIT_ANCHOR_URL needs AUDIT_ANCHOR_SECRET (the anchors are signed)');
  const anchorFile = resolve(e.AUDIT_ANCHOR_FILE ?? join(dataDir, 'audit-anchors.jsonl'));
  const webhook = e.AUDIT_ANCHOR_URL ? { webhook: { url: e.AUDIT_ANCHOR_URL, secret: e.AUDIT_ANCHOR_SECRET! } } : {};
  if (e.AUDIT_KEY) return { key: e.AUDIT_KEY, anchorFile, ...webhook };
  const file = resolve(e.AUDIT_KEY_FILE ?? join(dataDir, 'audit.key'));
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), anchorFile, ...webhook };
  mkdirSync(dirname(file), { recursive: true });
  let generated = true;
  try {
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process of the same installation wrote it first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    generated = false;
  }
  const key = readFileSync(file, 'utf8').trim();
  return { key, ...(generated ? { keyGeneratedAt: file } : {}), anchorFile, ...webhook };
}

export function loadFileConfig(path: string | undefined): FileConfig {
  if (!path) return fileConfigSchema.parse({});
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`CONFIG_FILE ${path}: ${(e as Error).message}`);
  }
  const parsed = fileConfigSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`CONFIG_FILE ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function splitSecrets(spec: string): string[] {
  return spec.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The app secrets alone, without the rest of the configuration (the simulator signs with the first). */
export function appSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return splitSecrets(env.WHATSAPP_APP_SECRET ?? '');
}

/** This process's environment with `settings` on top: what a child process of the service starts from. */
export function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...settings };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(z.prettifyError(parsed.error));
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    clickhouse: e.CLICKHOUSE_URL
      ? {
          mode: 'server',
          url: e.CLICKHOUSE_URL,
          user: e.CLICKHOUSE_USER,
          password: e.CLICKHOUSE_PASSWORD,
          database: e.CLICKHOUSE_DATABASE,
          ...(e.CLICKHOUSE_CLUSTER ? { cluster: e.CLICKHOUSE_CLUSTER } : {}),
        }
      : { mode: 'embedded', database: e.CLICKHOUSE_DATABASE },
    appSecrets: splitSecrets(e.WHATSAPP_APP_SECRET),
    verifyToken: e.WHATSAPP_VERIFY_TOKEN,
    apiTokens: parseTokens(e.API_TOKENS),
    piiKey: piiKey(e.PII_KEY, dataDir),
    logLevel: e.LOG_LEVEL,
    ingest: {
      logDir: join(dataDir, 'ingest-log'),
      maxLogBytes: e.INGEST_LOG_MAX_BYTES,
      segmentBytes: e.INGEST_LOG_SEGMENT_BYTES,
      retainMs: e.INGEST_LOG_RETAIN_HOURS * 3600_000,
      maxBatch: e.INGEST_MAX_BATCH,
      maxBatchBytes: e.INGEST_BATCH_BYTES,
      lingerMs: e.INGEST_LINGER_MS,
      stallWarnSeconds: e.INGEST_STALL_WARN_SECONDS,
    },
    committers: e.INGEST_COMMITTERS,
    jobs: e.JOBS === 'on',
    // Host and process id: unique among the processes running at once, stable for a container's life.
    instanceId: e.INSTANCE_ID ?? `${hostname()}:${process.pid}`,
    audit: auditSettings(e, dataDir),
    identity: {
      ...(oidcSettings(e)),
      sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: e.SESSION_MAX_HOURS * 3600_000,
      trustProxy: e.TRUST_PROXY === 'on',
      metricsAccess: e.METRICS_ACCESS,
    },
    file: loadFileConfig(e.CONFIG_FILE),
  };
}

/** All four OIDC variables, or none. */
function oidcSettings(e: z.infer<typeof envSchema>): Pick<IdentitySettings, 'oidc'> {
  const set = [e.OIDC_ISSUER, e.OIDC_CLIENT_ID, e.OIDC_CLIENT_SECRET, e.OIDC_REDIRECT_URL].filter((v) => v !== undefined && v !== '');
  if (set.length === 0) return {};
  if (set.length < 4) throw new ConfigError('OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET and OIDC_REDIRECT_URL go together: set all four or none');
  return { oidc: { issuer: e.OIDC_ISSUER!, clientId: e.OIDC_CLIENT_ID!, clientSecret: e.OIDC_CLIENT_SECRET!, redirectUrl: e.OIDC_REDIRECT_URL! } };
}
