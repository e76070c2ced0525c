import { z } from 'zod';
import { authenticate } from './auth.ts';
import type { ServiceModule } from './modules.ts';
import { documentedRoutes, documentRoutes, openApiDocument, type ApiRouteDoc } from './openapi.ts';

/**
 * `GET /api/openapi.json`: the API described from the route tables the modules mounted (mounted
 * last, so it sees them all), plus the service's own routes outside the modules (app/http.ts and the
 * webhook receiver), declared here.
 */

const HTML = 'text/html';
const JSON_ = 'application/json';

export const SERVICE_ROUTES: readonly ApiRouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'health: warehouse reachable, ingest accepting, loader state', access: 'public', answers: [JSON_] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (a scraper or admin credential unless METRICS_ACCESS=open)', access: { roles: ['scraper'] }, answers: ['text/plain'] },
  { method: 'get', path: '/login', summary: 'the sign-in page', access: 'public', answers: [HTML] },
  {
    method: 'post', path: '/login', summary: 'sign in with an API token (sets the session cookie)', access: 'public', answers: [HTML], status: 303,
    body: { contentType: 'application/x-www-form-urlencoded', schema: z.object({ token: z.string() }) },
  },
  { method: 'post', path: '/logout', summary: 'sign out (clears the session cookie)', access: 'public', answers: [HTML], status: 303 },
  { method: 'get', path: '/', summary: 'redirects to the dashboards', access: 'public', answers: [HTML], status: 302 },
  {
    method: 'get', path: '/webhook', summary: "Meta's verification handshake: answers hub.challenge when hub.verify_token matches", access: 'public', answers: ['text/plain'],
    query: z.object({ 'hub.mode': z.literal('subscribe'), 'hub.verify_token': z.string(), 'hub.challenge': z.string() }),
  },
  {
    method: 'post', path: '/webhook', summary: "Meta's webhook events: 200 once the body is durably in the ingest log", access: 'meta-signature', answers: ['text/plain'],
    body: { contentType: JSON_ },
  },
];

const OPENAPI_ROUTE: ApiRouteDoc = { method: 'get', path: '/api/openapi.json', summary: 'this document (OpenAPI 3.1)', access: 'signed-in', answers: [JSON_] };

export default {
  name: 'api-docs',
  routes(router, deps) {
    documentRoutes(router, [OPENAPI_ROUTE]);
    router.get(OPENAPI_ROUTE.path, (req, res, next) => {
      authenticate(deps, req).then((principal) => {
        if (!principal) return void res.status(401).json({ error: 'authentication required' });
        res.json(openApiDocument([...SERVICE_ROUTES, ...documentedRoutes(router)], { title: 'wa-analytics', version: '0.1.0' }));
      }, next);
    });
  },
} satisfies ServiceModule;
