import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import type { AppDeps, Job } from './deps.ts';
import { MODULES, type ServiceModule } from './modules.ts';
import { createHttpApp } from './http.ts';
import { createPseudonymizer } from './pseudonym.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate, MigrationError } from '../warehouse/migrate.ts';
import { registerWarehouseMetrics } from '../warehouse/metrics.ts';
import { engineMemory } from '../warehouse/queries/memory.ts';
import { createIngestMetrics } from '../ingest/metrics.ts';
import { openIngest, type IngestPipeline } from '../ingest/pipeline.ts';
import { createWebhookReceiver } from '../ingest/receiver.ts';
import { ingestLogStore } from '../ingest/log-erasure.ts';
import { snapshotStore } from '../dashboards/snapshots.ts';
import { createAccessAudit } from './audit.ts';
import { createAnchorPublisher } from './audit-anchor.ts';
import { auditKey as createAuditKey } from './audit-key.ts';
import { createIdentity } from './identity/index.ts';
import { subjectScreen } from '../reports/compliance/suppression.ts';
import { registerRetentionMetrics } from '../reports/compliance/arrivals.ts';
import { registerSlaMetrics } from '../reports/sla/follow.ts';
import { createJobMetrics, startScheduler } from '../reports/scheduler.ts';
import { createFollowDispatcher } from '../reports/follow.ts';

export interface Service {
  deps: AppDeps;
  server: Server;
  ingest: IngestPipeline;
  jobs: Job[];
  /** Resolves once every body acknowledged before the call is loaded and its reports derived. */
  settle(): Promise<void>;
  url(): string;
  stop(): Promise<void>;
}

/** Builds everything a running service has, given an open warehouse (tests share one per process). */
export async function buildDeps(config: Config, warehouse: Warehouse, log: Logger, now: () => Date = () => new Date()): Promise<{ deps: AppDeps; modules: ServiceModule[] }> {
  const auditKey = createAuditKey(config.audit.key);
  if (config.audit.keyGeneratedAt) log.warn({ key_file: config.audit.keyGeneratedAt }, 'access audit key generated: keep a copy apart from the data (without it the audit cannot be verified)');
  const auditAnchors = createAnchorPublisher(warehouse, config.audit, auditKey, log.child({ component: 'audit-anchor' }));
  const deps: AppDeps = {
    config,
    warehouse,
    log,
    audit: createAccessAudit(warehouse, config.instanceId, { key: auditKey, anchors: auditAnchors }),
    auditKey,
    auditAnchors,
    pseudonyms: createPseudonymizer(config.piiKey),
    now,
    fileStores: [snapshotStore(config.dataDir)],
    identity: createIdentity(config, warehouse, () => now()),
  };
  return { deps, modules: [...MODULES] };
}

/** The composition root: config → warehouse → ingest + API → scheduler → listening server. */
export async function startService(
  config: Config,
  opts: {
    warehouse?: Warehouse; log?: Logger; scheduler?: boolean; now?: () => Date;
    /** Derive after each load (default). Off for a bulk load whose derivations are left to the jobs. */
    follow?: boolean;
  } = {},
): Promise<Service> {
  const log = opts.log ?? createLogger('service', config.logLevel);
  const warehouse = opts.warehouse ?? (await openWarehouse(config));
  const ownsWarehouse = !opts.warehouse;
  // A ClickHouse server may be down when the service starts: serve anyway (webhooks answer 503 with
  // Retry-After, /healthz 503, Meta retries) and migrate as soon as it answers. The embedded engine
  // is always there, so a failure there is a real error.
  let ready = false;
  let retry: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const migrated = new Promise<void>((r) => (markReady = r));
  const migrateNow = async (): Promise<void> => {
    try {
      const m = await migrate(warehouse);
      if (m.applied.length) log.info({ applied: m.applied }, 'migrations applied');
      ready = true;
      markReady();
    } catch (e) {
      if (warehouse.mode === 'embedded' || e instanceof MigrationError) throw e;
      log.error({ err: e }, 'warehouse unreachable; retrying in 5 s');
      retry = setTimeout(() => void migrateNow(), 5_000);
    }
  };
  await migrateNow();
  const { deps, modules } = await buildDeps(config, warehouse, log, opts.now);
  for (const m of modules) await m.start?.(deps);
  const metrics = createIngestMetrics();
  registerWarehouseMetrics(metrics.registry, () => engineMemory(warehouse));
  registerRetentionMetrics(metrics.registry);
  registerSlaMetrics(metrics.registry);
  const suppression = subjectScreen(warehouse, deps.pseudonyms, log);
  // Reports follow the loads: each stored batch updates the derived tables of what it touched.
  const followers = createFollowDispatcher(opts.follow === false ? [] : modules.flatMap((m) => m.followers?.(deps) ?? []), log.child({ component: 'follow' }), { registry: metrics.registry });
  // Webhooks are acknowledged from the ingest log, so they are taken even while a server is still
  // unreachable; the loader starts once the warehouse is migrated.
  const ingest = await openIngest({
    settings: config.ingest,
    warehouse,
    logger: log.child({ component: 'loader' }),
    metrics,
    screen: suppression.screen,
    onBatch: (batch) => followers.notify(batch),
    ready: migrated.then(() => suppression.ready),
  });
  // Erasure also clears this instance's ingest log (its kept segments hold raw bodies).
  deps.fileStores = [...(deps.fileStores ?? []), ingestLogStore(ingest)];
  deps.ingestBacklog = (now) => ingest.loader.status(now);
  const webhook = createWebhookReceiver({ appSecrets: config.appSecrets, verifyToken: config.verifyToken, ingestLog: ingest.log, metrics, log });
  const app = createHttpApp(deps, modules, metrics, ingest);
  let active = 0;
  // Shutdown waits for the last request in flight to be answered: signalled, not polled.
  let onIdle: () => void = () => undefined;
  let closing = false;
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    active++;
    res.once('close', () => {
      if (--active === 0) onIdle();
    });
    // While shutting down, answer what was received and let the client reconnect elsewhere.
    if (closing) res.shouldKeepAlive = false;
    const url = req.url ?? '/';
    if (url === '/webhook' || url.startsWith('/webhook?')) return webhook(req, res);
    if (!ready && url !== '/healthz' && url !== '/metrics') {
      res.writeHead(503, { 'Retry-After': '5', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('warehouse not ready; retry later');
      return;
    }
    app(req, res);
  });
  if (config.apiTokens.length > 0) log.warn({ tokens: config.apiTokens.length }, 'API_TOKENS is deprecated: give people accounts (`wa-analytics users add`) and API clients service tokens (`wa-analytics tokens add`)');
  if (config.appSecrets.length === 0) log.warn('WHATSAPP_APP_SECRET is not set: every webhook POST will be refused');
  const jobs = modules.flatMap((mod) => mod.jobs?.(deps) ?? []);
  const scheduler = (opts.scheduler ?? config.jobs) ? startScheduler(jobs, log.child({ component: 'jobs' }), deps.now, createJobMetrics(metrics.registry)) : undefined;
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
    ingest,
    jobs,
    async settle() {
      await ingest.settle();
      await followers.settled();
    },
    url: () => `http://${config.host}:${address().port}`,
    stop() {
      stopping ??= (async () => {
        // Stop taking connections, answer every request already received (their bodies reach the
        // log), load what the log holds while the warehouse takes it, then close everything.
        closing = true;
        clearTimeout(retry);
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        if (active > 0) {
          let limit: NodeJS.Timeout | undefined;
          await Promise.race([new Promise<void>((r) => (onIdle = r)), new Promise<void>((r) => (limit = setTimeout(r, 30_000)))]);
          clearTimeout(limit);
        }
        server.closeAllConnections();
        await ingest.close({ drainMs: 15_000 });
        await followers.stop();
        await scheduler?.stop();
        for (const m of modules) await m.stop?.(deps);
        // Entries recorded while answering are appended before the warehouse goes (none left to land later).
        await deps.audit.idle?.();
        await closed;
        if (ownsWarehouse) await warehouse.close();
      })();
      return stopping;
    },
  };
}
