import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppDeps } from './deps.ts';
import type { ServiceModule } from './modules.ts';
import type { IngestMetrics } from '../ingest/metrics.ts';
import type { IngestPipeline } from '../ingest/pipeline.ts';
import { authenticate, hasRole, sessionCookie } from './auth.ts';
import { loginPage } from './login-page.ts';
import { sameOriginOnly } from './identity/csrf.ts';
import { clearSession } from './identity/cookies.ts';
import { createLocalLogin } from './identity/local-login.ts';
import { identityRoutes } from './identity/admin-api.ts';
import { oidcRoutes } from './identity/oidc.ts';
import { asHttpError } from './http-error.ts';

/** The express app for everything but the webhook: health, metrics, login, API and dashboards. */
export function createHttpApp(deps: AppDeps, modules: ServiceModule[], metrics: IngestMetrics, ingest: IngestPipeline): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a proxy that terminates TLS, its X-Forwarded-* headers say the scheme and client address.
  app.set('trust proxy', deps.config.identity.trustProxy ? 1 : false);
  app.use(securityHeaders);
  app.use(sameOriginOnly);

  // Degraded (503) when the warehouse does not answer, loads fail, or the ingest log cannot take
  // webhooks; the body says which, and how far behind the warehouse is.
  app.get('/healthz', async (_req, res) => {
    const reachable = await deps.warehouse.ping();
    const loader = ingest.loader.status();
    const logError = ingest.log.writeError;
    const room = deps.config.ingest.maxLogBytes - ingest.log.bytesOnDisk;
    const accepting = !logError && !ingest.log.full;
    const ok = reachable && accepting && loader.loading === 'ok';
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      warehouse: deps.warehouse.mode,
      warehouse_reachable: reachable,
      ingest: { accepting, log_bytes: ingest.log.bytesOnDisk, log_room_bytes: Math.max(0, room), ...loader },
    });
  });
  // Node version, memory and ingest counters: for a scraper's token (or admin) unless configured open.
  app.get('/metrics', async (req, res) => {
    if (deps.config.identity.metricsAccess === 'token') {
      const p = await authenticate(deps, req);
      if (!p) return void res.status(401).json({ error: 'authentication required' });
      if (!hasRole(p, 'scraper')) return void res.status(403).json({ error: 'metrics need a scraper token' });
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  const sso = deps.config.identity.oidc !== undefined;
  app.get('/login', (_req, res) => {
    res.type('html').send(loginPage(undefined, { sso }));
  });
  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), createLocalLogin(deps, sso));
  // Ends the session server-side: the cookie's id signs no one in afterwards, wherever it was copied.
  app.post('/logout', async (req, res) => {
    const id = sessionCookie(req);
    const ended = id ? await deps.identity?.sessions.end(id) : undefined;
    if (ended) await deps.audit.record({ actor: ended.user_id.replace(/^token:/, ''), role: 'none', action: 'identity.sign_out', params: { signed_in: ended.method } });
    clearSession(req, res);
    res.redirect(303, '/login');
  });
  if (sso) oidcRoutes(app, deps);
  app.get('/', (_req, res) => res.redirect(302, '/dashboards'));

  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));
  for (const m of modules) m.routes?.(router, deps);
  identityRoutes(router, deps);
  app.use(router);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const known = asHttpError(err);
    if (!known || known.status >= 500) deps.log.error({ err }, 'request failed');
    if (res.headersSent) return;
    if (!known) return void res.status(500).json({ error: 'internal error' });
    for (const [k, v] of Object.entries(known.extra.headers ?? {})) res.setHeader(k, v);
    res.status(known.status).json(known.json());
  });
  return app;
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: under no-referrer a browser's form POST says `Origin: null`, and
  // the CSRF check needs the real origin of our own forms. Other sites still get no referrer.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  next();
}
