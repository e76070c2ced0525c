import { z } from 'zod';
import type { Role } from './config.ts';

/**
 * The API as an OpenAPI 3.1 document, built from what the route tables declare: each module
 * documents the routes it mounts (report routes by the endpoint, from their own table), and
 * `/api/openapi.json` turns them into the document. Parameter schemas are the zod schemas the
 * routes check with, converted by zod's own JSON Schema output.
 */

/** Who may call a route: some roles (admin always may), anyone signed in, anyone, or Meta (signed body). */
export type Access = { roles: readonly Role[] } | 'signed-in' | 'public' | 'meta-signature';

export interface ApiRouteDoc {
  method: 'get' | 'post';
  /** As express writes it (`/dashboards/:dashboard/data`). */
  path: string;
  summary: string;
  access: Access;
  /** `all`: only a principal who may see every WABA (403 otherwise). Default: answers within the caller's WABA scope. */
  wabas?: 'all';
  query?: z.ZodObject;
  body?: { contentType: string; schema?: z.ZodType };
  /** Content types of a successful answer, and its status (default 200). */
  answers: readonly string[];
  status?: number;
  /** The access audit's action for a call, when it is audited. */
  action?: string;
}

const documented = new WeakMap<object, ApiRouteDoc[]>();

/** Records routes mounted on `router` for the OpenAPI document. */
export function documentRoutes(router: object, docs: readonly ApiRouteDoc[]): void {
  const list = documented.get(router) ?? [];
  list.push(...docs);
  documented.set(router, list);
}

export function documentedRoutes(router: object): readonly ApiRouteDoc[] {
  return documented.get(router) ?? [];
}

/** `/a/:b/c` → `/a/{b}/c`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parameters(doc: ApiRouteDoc): object[] {
  const path = [...doc.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (!doc.query) return path;
  const schema = jsonSchema(doc.query) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  const query = Object.entries(schema.properties ?? {}).map(([name, s]) => {
    const { description, ...rest } = s;
    return { name, in: 'query', required: schema.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) };
  });
  return [...path, ...query];
}

function accessText(a: Access): string {
  if (a === 'public') return 'No credential needed.';
  if (a === 'meta-signature') return "Meta's X-Hub-Signature-256 over the body.";
  if (a === 'signed-in') return 'Any signed-in principal.';
  return `Roles: ${[...new Set(['admin', ...a.roles])].join(', ')}.`;
}

const ERROR = { description: 'refused', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

function responses(doc: ApiRouteDoc): Record<string, unknown> {
  const ok = String(doc.status ?? 200);
  const out: Record<string, unknown> = {
    [ok]: { description: 'answered', content: Object.fromEntries(doc.answers.map((t) => [t.split(';')[0]!.trim(), {}])) },
    '400': { ...ERROR, description: 'a parameter is wrong (the answer names it)' },
  };
  if (doc.access === 'meta-signature') out['401'] = { description: 'missing or wrong signature' };
  else if (doc.access !== 'public') {
    out['401'] = { ...ERROR, description: 'no valid credential' };
    out['403'] = { ...ERROR, description: doc.wabas === 'all' ? 'role not allowed, or the WABA scope is not all WABAs' : 'role not allowed, or a waba_id outside the WABA scope' };
  }
  return out;
}

function operation(doc: ApiRouteDoc): Record<string, unknown> {
  const secured = doc.access !== 'public' && doc.access !== 'meta-signature';
  const scope = doc.wabas === 'all' ? ' Needs a scope of every WABA.' : secured ? " Answers only rows of the caller's WABAs." : '';
  return {
    summary: doc.summary,
    description: `${accessText(doc.access)}${scope}${doc.action ? ` Audited as \`${doc.action}\`.` : ''}`,
    ...(secured ? { security: [{ bearer: [] }, { session: [] }] } : { security: [] }),
    'x-roles': typeof doc.access === 'object' ? [...new Set(['admin', ...doc.access.roles])] : doc.access,
    'x-waba-scope': doc.wabas === 'all' ? 'all' : secured ? 'caller' : 'none',
    ...(doc.action ? { 'x-audit-action': doc.action } : {}),
    parameters: parameters(doc),
    ...(doc.body ? { requestBody: { required: true, content: { [doc.body.contentType]: doc.body.schema ? { schema: jsonSchema(doc.body.schema) } : {} } } } : {}),
    responses: responses(doc),
  };
}

/** The OpenAPI 3.1 document of these routes. */
export function openApiDocument(docs: readonly ApiRouteDoc[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const d of docs) {
    const p = (paths[openApiPath(d.path)] ??= {});
    p[d.method] = operation(d);
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'Analytics and compliance reports for the WhatsApp Business Platform.' },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token' },
        session: { type: 'apiKey', in: 'cookie', name: 'wa_session' },
      },
      schemas: { Error: { type: 'object', properties: { error: { type: 'string' }, parameter: { type: 'string' } }, required: ['error'] } },
    },
  };
}
