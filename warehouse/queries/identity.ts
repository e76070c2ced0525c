import { z } from 'zod';
import { defineInsert, defineQuery } from '../query.ts';

/**
 * People, sessions and service tokens (migration 0008). Every change inserts a new version of the
 * record; reads take the latest version of each (`argMax` by `updated_at`), so they are right
 * before the ReplacingMergeTree has merged. Times are epoch milliseconds both ways.
 */

const ms = z.coerce.number();
const bool = z.union([z.boolean(), z.number()]).transform((v) => Boolean(v));

export const userRowSchema = z.object({
  user_id: z.string(),
  email: z.string(),
  display_name: z.string(),
  roles: z.array(z.string()),
  all_wabas: bool,
  wabas: z.array(z.string()),
  status: z.enum(['active', 'disabled']),
  password_hash: z.string(),
  totp_secret: z.string(),
  totp_enrolled: bool,
  recovery_codes: z.array(z.string()),
  oidc_subject: z.string(),
  created_at: ms,
  updated_at: ms,
});
export type UserRow = z.infer<typeof userRowSchema>;

const USER_LATEST = `
  SELECT user_id, argMax(u.email, u.updated_at) AS email, argMax(u.display_name, u.updated_at) AS display_name,
         argMax(u.roles, u.updated_at) AS roles, argMax(u.all_wabas, u.updated_at) AS all_wabas, argMax(u.wabas, u.updated_at) AS wabas,
         argMax(u.status, u.updated_at) AS status, argMax(u.password_hash, u.updated_at) AS password_hash,
         argMax(u.totp_secret, u.updated_at) AS totp_secret, argMax(u.totp_enrolled, u.updated_at) AS totp_enrolled,
         argMax(u.recovery_codes, u.updated_at) AS recovery_codes, argMax(u.oidc_subject, u.updated_at) AS oidc_subject,
         toUnixTimestamp64Milli(min(u.created_at)) AS created_at, toUnixTimestamp64Milli(max(u.updated_at)) AS updated_at
  FROM {{db}}.users_v1 AS u`;

export const allUsers = defineQuery({
  name: 'identity.users',
  sql: `${USER_LATEST} GROUP BY user_id ORDER BY email`,
  params: z.object({}),
  row: userRowSchema,
});

export const userById = defineQuery({
  name: 'identity.user_by_id',
  sql: `${USER_LATEST} WHERE u.user_id = {user_id:String} GROUP BY user_id`,
  params: z.object({ user_id: z.string() }),
  row: userRowSchema,
});

/** By e-mail (case-folded when written) or by the IdP's subject: the latest version must still match. */
export const userByLogin = defineQuery({
  name: 'identity.user_by_login',
  sql: `SELECT * FROM (${USER_LATEST} GROUP BY user_id)
        WHERE ({email:String} != '' AND email = {email:String}) OR ({oidc_subject:String} != '' AND oidc_subject = {oidc_subject:String})
        ORDER BY updated_at DESC LIMIT 1`,
  params: z.object({ email: z.string().default(''), oidc_subject: z.string().default('') }),
  row: userRowSchema,
});

export const insertUser = defineInsert({ name: 'identity.insert_user', table: 'users_v1', row: userRowSchema });

export const sessionRowSchema = z.object({
  id_hash: z.string(),
  user_id: z.string(),
  method: z.enum(['local', 'sso', 'token']),
  mfa: bool,
  created_at: ms,
  last_seen_at: ms,
  expires_at: ms,
  revoked: bool,
  updated_at: ms,
});
export type SessionRow = z.infer<typeof sessionRowSchema>;

const SESSION_LATEST = `
  SELECT id_hash, argMax(s.user_id, s.updated_at) AS user_id, argMax(s.method, s.updated_at) AS method, argMax(s.mfa, s.updated_at) AS mfa,
         toUnixTimestamp64Milli(argMax(s.created_at, s.updated_at)) AS created_at, toUnixTimestamp64Milli(max(s.last_seen_at)) AS last_seen_at,
         toUnixTimestamp64Milli(argMax(s.expires_at, s.updated_at)) AS expires_at, max(s.revoked) AS revoked,
         toUnixTimestamp64Milli(max(s.updated_at)) AS updated_at
  FROM {{db}}.sessions_v1 AS s`;

export const sessionByHash = defineQuery({
  name: 'identity.session',
  sql: `${SESSION_LATEST} WHERE s.id_hash = {id_hash:String} GROUP BY id_hash`,
  params: z.object({ id_hash: z.string() }),
  row: sessionRowSchema,
});

/** A user's sessions not yet revoked (to end them all at once). */
export const liveSessionsOf = defineQuery({
  name: 'identity.live_sessions',
  sql: `SELECT * FROM (${SESSION_LATEST} WHERE s.user_id = {user_id:String} GROUP BY id_hash) WHERE NOT revoked`,
  params: z.object({ user_id: z.string() }),
  row: sessionRowSchema,
});

export const insertSession = defineInsert({ name: 'identity.insert_session', table: 'sessions_v1', row: sessionRowSchema });

export const serviceTokenRowSchema = z.object({
  token_id: z.string(),
  name: z.string(),
  token_hash: z.string(),
  roles: z.array(z.string()),
  all_wabas: bool,
  wabas: z.array(z.string()),
  expires_at: ms,
  revoked: bool,
  created_by: z.string(),
  created_at: ms,
  updated_at: ms,
});
export type ServiceTokenRow = z.infer<typeof serviceTokenRowSchema>;

const TOKEN_LATEST = `
  SELECT token_id, argMax(t.name, t.updated_at) AS name, argMax(t.token_hash, t.updated_at) AS token_hash, argMax(t.roles, t.updated_at) AS roles,
         argMax(t.all_wabas, t.updated_at) AS all_wabas, argMax(t.wabas, t.updated_at) AS wabas,
         toUnixTimestamp64Milli(argMax(t.expires_at, t.updated_at)) AS expires_at, max(t.revoked) AS revoked,
         argMax(t.created_by, t.updated_at) AS created_by, toUnixTimestamp64Milli(min(t.created_at)) AS created_at,
         toUnixTimestamp64Milli(max(t.updated_at)) AS updated_at
  FROM {{db}}.service_tokens_v1 AS t`;

export const allServiceTokens = defineQuery({
  name: 'identity.service_tokens',
  sql: `${TOKEN_LATEST} GROUP BY token_id ORDER BY name`,
  params: z.object({}),
  row: serviceTokenRowSchema,
});

export const serviceTokenByHash = defineQuery({
  name: 'identity.service_token',
  sql: `SELECT * FROM (${TOKEN_LATEST} WHERE token_id IN (SELECT token_id FROM {{db}}.service_tokens_v1 WHERE token_hash = {token_hash:String}) GROUP BY token_id)
        WHERE token_hash = {token_hash:String}`,
  params: z.object({ token_hash: z.string() }),
  row: serviceTokenRowSchema,
});

export const insertServiceToken = defineInsert({ name: 'identity.insert_service_token', table: 'service_tokens_v1', row: serviceTokenRowSchema });

export const personActivitySchema = z.object({
  actor: z.string(),
  email: z.string(),
  display_name: z.string(),
  sign_in_methods: z.string(),
  sign_ins: z.coerce.number(),
  sign_ins_without_mfa: z.coerce.number(),
  failed_sign_ins: z.coerce.number(),
  lockouts: z.coerce.number(),
  sessions_ended: z.coerce.number(),
  report_runs: z.coerce.number(),
  refused: z.coerce.number(),
  first_at: z.string(),
  last_at: z.string(),
});
export type PersonActivity = z.infer<typeof personActivitySchema>;

/**
 * The access audit by person: per actor (a user id, a service token, an API_TOKENS holder, the
 * system) their sign-ins and how, failures and lockouts, and what they ran; people's names from
 * their accounts.
 */
export const auditByPerson = defineQuery({
  name: 'identity.audit_by_person',
  sql: `SELECT a.actor AS actor, any(p.email) AS email, any(p.display_name) AS display_name,
               arrayStringConcat(arraySort(groupUniqArrayIf(JSONExtractString(a.params_json, 'signed_in'), JSONExtractString(a.params_json, 'signed_in') != '')), ',') AS sign_in_methods,
               countIf(a.action = 'identity.sign_in') AS sign_ins,
               countIf(a.action = 'identity.sign_in' AND NOT JSONExtractBool(a.params_json, 'mfa')) AS sign_ins_without_mfa,
               countIf(a.action IN ('identity.sign_in_failed', 'identity.sign_in_refused')) AS failed_sign_ins,
               countIf(a.action = 'identity.lockout') AS lockouts,
               countIf(a.action = 'identity.sign_out') AS sessions_ended,
               countIf(NOT startsWith(a.action, 'identity.') AND JSONExtractInt(a.params_json, 'status') < 400) AS report_runs,
               countIf(NOT startsWith(a.action, 'identity.') AND JSONExtractInt(a.params_json, 'status') >= 400) AS refused,
               toString(min(a.at)) AS first_at, toString(max(a.at)) AS last_at
        FROM {{db}}.access_audit_v1 AS a
        LEFT JOIN (SELECT u.user_id AS user_id, argMax(u.email, u.updated_at) AS email, argMax(u.display_name, u.updated_at) AS display_name
                   FROM {{db}}.users_v1 AS u GROUP BY u.user_id) AS p ON p.user_id = a.actor
        WHERE a.at >= {from:DateTime64(3)} AND a.at < {to:DateTime64(3)}
        GROUP BY a.actor ORDER BY a.actor`,
  params: z.object({ from: z.string(), to: z.string() }),
  row: personActivitySchema,
});
