import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { auditRole, authenticate, mayCall, signInOf, type Principal } from '../app/auth.ts';
import type { Role } from '../app/config.ts';
import type { AppDeps } from '../app/deps.ts';
import { asHttpError, badParameter, HttpError } from '../app/http-error.ts';
import { documentRoutes, type ApiRouteDoc } from '../app/openapi.ts';
import { CONTENT_TYPES, encode, FORMATS, type ColumnSpec, type ExportFormat } from './format.ts';
import { requireAllWabas, requireInScope, scopeAudit, wabaIdsOf } from './scope.ts';

/**
 * The one path of a report endpoint: role → parameters (checked once) → run → encode → hash →
 * audit → send. Answered and refused calls alike are in the access audit, before anything leaves:
 * if the audit cannot be written, nothing is handed out. Route files are tables of `ReportRoute`s.
 */

type Query = Record<string, unknown>;

/** What the parameter check of a route sees. */
export interface ParamInput {
  query: Query;
  body: unknown;
  path: Record<string, string>;
  deps: AppDeps;
  principal: Principal;
  now: Date;
}

export interface ReportContext<P> {
  deps: AppDeps;
  principal: Principal;
  params: P;
  req: Request;
  now: Date;
}

/**
 * What a route answers: rows, encoded in the asked format with the route's columns, or a JSON
 * document. `audit` adds fields to the access audit entry (never raw identifiers).
 */
export type ReportAnswer =
  | { rows: readonly object[]; columns?: readonly ColumnSpec[]; audit?: Record<string, unknown> }
  | { json: unknown; status?: number; rows?: number; audit?: Record<string, unknown> }
  | { file: Buffer; contentType: string; headers?: Record<string, string>; audit?: Record<string, unknown> };

export interface ReportRoute<P = Query> {
  method?: 'get' | 'post';
  path: string;
  /** Who may call it (admin always may); a list when several roles share a report. */
  role: Role | readonly Role[];
  /**
   * `all`: only a principal who may see every WABA may call it (operations on a person or on the
   * whole store, which no WABA scope can bound); others 403. Default: any scope, the run passes the
   * principal's scope to its queries.
   */
  wabas?: 'all';
  /** The query parameters, for the OpenAPI document (the route's `params` checks them). */
  query?: z.ZodObject;
  /** What the route is for, in a sentence (the OpenAPI summary). */
  summary?: string;
  /** The request body, for the OpenAPI document (the route's `params` checks it). */
  body?: { contentType: string; schema?: z.ZodType };
  /** What a successful answer is when not rows or JSON (a zip), and its status when not 200 (OpenAPI). */
  answers?: { contentType?: string; status?: number };
  /** The access audit action: `<module>.<report>`. */
  action: string;
  /** The route answers rows in these columns (json, csv, arrow or parquet, by `format`). */
  columns?: readonly ColumnSpec[] | ((p: P) => readonly ColumnSpec[]);
  /** Checks the request once; a bad value throws a 400 naming the parameter. Default: the query as is. */
  params?: (input: ParamInput) => P;
  run(ctx: ReportContext<P>): Promise<ReportAnswer>;
  /** The checked parameters as written to the access audit. Default: the query's known parameters. */
  audit?: (p: P) => Record<string, unknown>;
  /** The export's file name without extension. Default: the action after its module. */
  filename?: (p: P, now: Date) => string;
  /** Reads `format` when the module answers a bad one in its own words. Default: `formatParam`. */
  format?: (q: Query) => ExportFormat;
  /** Request handlers before the endpoint (body parsers). */
  before?: RequestHandler[];
  /**
   * The run writes its own audit entry (an operation the CLI and jobs share, e.g. an erasure):
   * the endpoint then records only refusals.
   */
  selfAudited?: boolean;
}

/**
 * A route of a table whose routes have different parameter types; each route's own `params` and
 * `run` agree on its type, which `route()` checks where the route is declared.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyReportRoute = ReportRoute<any>;

/** Declares a route with its parameter type inferred from `params`. */
export function route<P = Query>(r: ReportRoute<P>): ReportRoute<P> {
  return r;
}

export function mountReports(router: Router, deps: AppDeps, routes: ReadonlyArray<AnyReportRoute>): void {
  for (const r of routes) {
    router[r.method ?? 'get'](r.path, signedIn(deps), ...(r.before ?? []), (req, res) => serve(deps, r, req, res));
  }
  documentRoutes(router, routes.map(reportDoc));
}

const formatQuery = z.object({ format: z.enum(FORMATS).optional().describe('json (default), csv, arrow or parquet') });

/** A report route as the OpenAPI document describes it. */
export function reportDoc(r: AnyReportRoute): ApiRouteDoc {
  const query = r.columns ? formatQuery.extend(r.query?.shape ?? {}) : r.query;
  return {
    method: r.method ?? 'get',
    path: r.path,
    summary: r.summary ?? r.action,
    access: { roles: typeof r.role === 'string' ? [r.role] : r.role },
    ...(r.wabas ? { wabas: r.wabas } : {}),
    ...(query ? { query } : {}),
    ...(r.body ? { body: r.body } : {}),
    answers: r.columns ? Object.values(CONTENT_TYPES) : [r.answers?.contentType ?? 'application/json'],
    ...(r.answers?.status ? { status: r.answers.status } : {}),
    action: r.action,
  };
}

/** 401 without a valid token: nobody to write into the audit, the only answer not recorded. */
function signedIn(deps: AppDeps): RequestHandler {
  return (req, res, next) => {
    authenticate(deps, req).then((principal) => {
      if (!principal) return void res.status(401).json({ error: 'authentication required' });
      next();
    }, next);
  };
}

export function formatParam(q: Query): ExportFormat {
  const f = q.format;
  if (f === undefined || f === '') return 'json';
  if (typeof f !== 'string' || !(FORMATS as readonly string[]).includes(f)) {
    throw new HttpError(400, `format must be one of ${FORMATS.join(', ')}`, { body: { parameter: 'format' } });
  }
  return f as ExportFormat;
}

/**
 * Query parameters that never hold a person's identifier, and so may go into the audit of a refused
 * call as given (cut short). Others appear by name only.
 */
const PLAIN = new Set([
  'from', 'to', 'tz', 'format', 'family', 'period', 'group_by', 'list', 'kind', 'responder', 'month', 'as_of',
  'waba_id', 'phone_number_id', 'team', 'agent', 'view', 'currency', 'effective_from', 'only_differences', 'name',
  'label', 'label_match', 'credit', 'idle_hours',
]);

function plainQuery(q: Query): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) out[unnumbered(k.slice(0, 40))] = PLAIN.has(k) && typeof v === 'string' ? v.slice(0, 64) : '…';
  return out;
}

/** Text a caller wrote, for the audit: a long run of digits (a phone number typed anywhere) cut out. */
function unnumbered(text: string): string {
  return text.replace(/\d{6,}/g, '…');
}

interface Reply {
  status: number;
  rows?: number;
  sha256?: string;
  audit: Record<string, unknown>;
  send(): void;
}

async function serve(deps: AppDeps, r: AnyReportRoute, req: Request, res: Response): Promise<void> {
  const principal = req.principal!;
  const query = req.query as Query;
  const now = deps.now();
  let reply: Reply;
  let audited = r.selfAudited ?? false;
  try {
    reply = await answer(deps, r, req, res, { query, body: req.body, path: req.params as Record<string, string>, deps, principal, now });
  } catch (e) {
    const known = asHttpError(e);
    if (!known) throw e;
    // A refusal the operation recorded itself (an erasure refused under a legal hold).
    audited = (e as { audited?: boolean }).audited === true;
    const parameter = known.extra.body?.parameter;
    reply = {
      status: known.status,
      audit: {
        ...plainQuery(query), status: known.status, refused: unnumbered(known.message.slice(0, 300)),
        ...(typeof parameter === 'string' ? { parameter: unnumbered(parameter) } : {}),
      },
      send() {
        for (const [k, v] of Object.entries(known.extra.headers ?? {})) res.setHeader(k, v);
        res.status(known.status).json(known.json());
      },
    };
    if (known.status >= 500) {
      // The store that keeps the audit may be the one that cannot write: answer anyway.
      if (!audited) await record(deps, r, principal, reply).catch((err: unknown) => deps.log.warn({ err, action: r.action }, 'refusal not audited'));
      return reply.send();
    }
  }
  if (!audited) await record(deps, r, principal, reply);
  reply.send();
}

function record(deps: AppDeps, r: AnyReportRoute, principal: Principal, reply: Reply): Promise<void> {
  const params = { ...reply.audit, ...scopeAudit(principal.wabas), ...signInOf(principal) };
  return deps.audit.record({ actor: principal.actor, role: auditRole(principal), action: r.action, params, rows: reply.rows, exportSha256: reply.sha256 });
}

async function answer(deps: AppDeps, r: AnyReportRoute, req: Request, res: Response, input: ParamInput): Promise<Reply> {
  const change = (r.method ?? 'get') !== 'get';
  const refused = () => new HttpError(403, `role ${auditRole(input.principal)} may not use this route`);
  if (!mayCall(input.principal, r.role, { change, export: false })) throw refused();
  if (r.wabas === 'all') requireAllWabas(input.principal.wabas, `${r.method === 'post' ? 'POST' : 'GET'} ${r.path}`);
  // A filter naming a WABA outside the scope is refused rather than answered empty.
  requireInScope(input.principal.wabas, wabaIdsOf(input.query.waba_id));
  const format = r.columns ? (r.format ?? formatParam)(input.query) : undefined;
  // An auditor reads reports; a file in another format is an export.
  if (format !== undefined && format !== 'json' && !mayCall(input.principal, r.role, { change, export: true })) throw refused();
  const params = r.params ? r.params(input) : input.query;
  const out = await r.run({ deps, principal: input.principal, params, req, now: input.now });
  const audit = { ...(r.audit ? r.audit(params) : plainQuery(input.query)), ...(out.audit ?? {}) };
  if ('file' in out) {
    return {
      status: 200, audit: { ...audit, status: 200 }, send() {
        res.setHeader('Content-Type', out.contentType);
        for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
        res.end(out.file);
      },
    };
  }
  if ('json' in out) {
    const status = out.status ?? 200;
    return { status, rows: out.rows, audit: { ...audit, status }, send: () => res.status(status).json(out.json) };
  }
  const columns = out.columns ?? (typeof r.columns === 'function' ? r.columns(params) : r.columns) ?? [];
  const fmt = format ?? 'json';
  const bytes = await encode(deps.warehouse, out.rows as readonly Record<string, unknown>[], columns, fmt);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const filename = r.filename ? r.filename(params, input.now) : r.action.slice(r.action.indexOf('.') + 1);
  return {
    status: 200,
    rows: out.rows.length,
    sha256,
    audit: { ...audit, format: fmt, status: 200 },
    send() {
      res.setHeader('Content-Type', CONTENT_TYPES[fmt]);
      if (fmt !== 'json') res.setHeader('Content-Disposition', `attachment; filename="${filename}.${fmt}"`);
      res.setHeader('X-Export-SHA256', sha256);
      res.end(bytes);
    },
  };
}

/** Parses with a zod schema (query or body): the first problem answers 400 naming its parameter. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw badParameter(issue.path.length ? issue.path.map(String).join('.') : 'body', issue.message);
}
