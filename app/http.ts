import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppDeps } from './deps.ts';
import type { ServiceModule } from './modules.ts';
import type { IngestMetrics } from '../ingest/metrics.ts';
import type { IngestPipeline } from '../ingest/pipeline.ts';
import { SESSION_COOKIE, findPrincipal } from './auth.ts';
import { loginPage } from './login-page.ts';
import { asHttpError } from './http-error.ts';

/** The express app for everything but the webhook: health, metrics, login, API and dashboards. */
export function createHttpApp(deps: AppDeps, modules: ServiceModule[], metrics: IngestMetrics, ingest: IngestPipeline): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders);

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
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  app.get('/login', (_req, res) => {
    res.type('html').send(loginPage());
  });
  app.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : '';
    const principal = findPrincipal(deps.config.apiTokens, token);
    if (!principal) {
      res.status(401).type('html').send(loginPage('That token is not valid.'));
      return;
    }
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: 12 * 3600 * 1000 });
    res.redirect(303, '/dashboards');
  });
  app.post('/logout', (_req, res) => {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(303, '/login');
  });
  app.get('/', (_req, res) => res.redirect(302, '/dashboards'));

  const router = express.Router();
  router.use(express.json({ limit: '1mb' }));
  for (const m of modules) m.routes?.(router, deps);
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
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  next();
}
