import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import type { AppDeps, Job } from './deps.ts';
import { loadModules, type ServiceModule } from './modules.ts';
import { createHttpApp } from './http.ts';
import { createPseudonymizer } from './pseudonym.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate, MigrationError } from '../warehouse/migrate.ts';
import { registerWarehouseMetrics } from '../warehouse/metrics.ts';
import { createIngestMetrics } from '../ingest/metrics.ts';
import { IngestWriter } from '../ingest/writer.ts';
import { createWebhookReceiver } from '../ingest/receiver.ts';
import { createAccessAudit } from '../reports/compliance/audit.ts';
import { subjectScreen } from '../reports/compliance/suppression.ts';
import { startScheduler } from '../reports/scheduler.ts';

export interface Service {
  deps: AppDeps;
  server: Server;
  writer: IngestWriter;
  jobs: Job[];
  url(): string;
  stop(): Promise<void>;
}

/** Builds everything a running service has, given an open warehouse (tests share one per process). */
export async function buildDeps(config: Config, warehouse: Warehouse, log: Logger, now: () => Date = () => new Date()): Promise<{ deps: AppDeps; modules: ServiceModule[] }> {
  const deps: AppDeps = {
    config,
    warehouse,
    log,
    audit: createAccessAudit(warehouse),
    pseudonyms: createPseudonymizer(config.piiKey),
    now,
  };
  return { deps, modules: await loadModules() };
}

/** The composition root: config → warehouse → ingest + API → scheduler → listening server. */
export async function startService(
  config: Config,
  opts: { warehouse?: Warehouse; log?: Logger; scheduler?: boolean; now?: () => Date } = {},
): Promise<Service> {
  const log = opts.log ?? createLogger('service', config.logLevel);
  const warehouse = opts.warehouse ?? (await openWarehouse(config));
  const ownsWarehouse = !opts.warehouse;
  // A ClickHouse server may be down when the service starts: serve anyway (webhooks answer 503 with
  // Retry-After, /healthz 503, Meta retries) and migrate as soon as it answers. The embedded engine
  // is always there, so a failure there is a real error.
  let ready = false;
  let retry: NodeJS.Timeout | undefined;
  const migrateNow = async (): Promise<void> => {
    try {
      const m = await migrate(warehouse);
      if (m.applied.length) log.info({ applied: m.applied }, 'migrations applied');
      ready = true;
    } catch (e) {
      if (warehouse.mode === 'embedded' || e instanceof MigrationError) throw e;
      log.error({ err: e }, 'warehouse unreachable; retrying in 5 s');
      retry = setTimeout(() => void migrateNow(), 5_000);
    }
  };
  await migrateNow();
  const { deps, modules } = await buildDeps(config, warehouse, log, opts.now);
  const metrics = createIngestMetrics();
  registerWarehouseMetrics(metrics.registry);
  const writer = new IngestWriter(warehouse, config.ingest, metrics, log.child({ component: 'writer' }));
  const suppression = subjectScreen(warehouse, deps.pseudonyms, log);
  await suppression.ready;
  const webhook = createWebhookReceiver({ appSecrets: config.appSecrets, verifyToken: config.verifyToken, writer, metrics, log, screen: suppression.screen });
  const app = createHttpApp(deps, modules, metrics);
  let active = 0;
  let closing = false;
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    active++;
    res.once('close', () => active--);
    // While shutting down, answer what was received and let the client reconnect elsewhere.
    if (closing) res.shouldKeepAlive = false;
    const url = req.url ?? '/';
    if (!ready && url !== '/healthz' && url !== '/metrics') {
      res.writeHead(503, { 'Retry-After': '5', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('warehouse not ready; retry later');
      return;
    }
    if (url === '/webhook' || url.startsWith('/webhook?')) return webhook(req, res);
    app(req, res);
  });
  if (config.appSecrets.length === 0) log.warn('WHATSAPP_APP_SECRET is not set: every webhook POST will be refused');
  const jobs = modules.flatMap((mod) => mod.jobs?.(deps) ?? []);
  const scheduler = (opts.scheduler ?? config.jobs) ? startScheduler(jobs, log.child({ component: 'jobs' }), deps.now) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = () => server.address() as AddressInfo;
  log.info({ port: address().port, host: config.host, warehouse: warehouse.mode, modules: modules.map((x) => x.name) }, 'listening');
  let stopping: Promise<void> | undefined;
  return {
    deps,
    server,
    writer,
    jobs,
    url: () => `http://${config.host}:${address().port}`,
    stop() {
      stopping ??= (async () => {
        // Stop taking connections, answer every request already received (their bodies commit),
        // then stop the writer and close the warehouse.
        closing = true;
        clearTimeout(retry);
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        for (let waited = 0; active > 0 && waited < 30_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
        server.closeAllConnections();
        await writer.drain();
        await scheduler?.stop();
        await closed;
        if (ownsWarehouse) await warehouse.close();
      })();
      return stopping;
    },
  };
}
