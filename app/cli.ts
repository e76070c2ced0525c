import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startService, buildDeps } from './server.ts';
import { MODULES, type ServiceModule } from './modules.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate, migrateDown, MigrationError } from '../warehouse/migrate.ts';
import { openIngest } from '../ingest/pipeline.ts';
import { replay } from '../ingest/replay.ts';
import { runAllOnce } from '../reports/scheduler.ts';
import { createFollowDispatcher } from '../reports/follow.ts';
import { subjectScreen } from '../reports/compliance/suppression.ts';
import type { AppDeps } from './deps.ts';
import { droppedThisProcess } from '../reports/compliance/arrivals.ts';
import { identityCli } from './identity/cli.ts';

/**
 * `wa-analytics <command>`: serve, migrate, replay, jobs, simulate, and the commands each report
 * module adds (report …, dsar, erase, audit …).
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('wa-analytics').description('WhatsApp Business Platform analytics and compliance').showHelpAfterError();

  program.command('serve').description('run the webhook receiver, API, dashboards and scheduled jobs').action(async () => {
    const config = loadConfig();
    const service = await startService(config);
    const stop = async (signal: string) => {
      service.deps.log.info({ signal }, 'shutting down');
      await service.stop();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  });

  program
    .command('migrate [direction]')
    .description('apply pending warehouse migrations; `migrate down` undoes the latest one with its .down.sql')
    .action(async (direction: string | undefined) => {
      if (direction !== undefined && direction !== 'down') throw new ConfigError(`migrate: unknown direction ${direction} (only "down")`);
      const config = loadConfig();
      const wh = await openWarehouse(config);
      try {
        if (direction === 'down') console.log(`undid ${await migrateDown(wh)}`);
        else {
          const r = await migrate(wh);
          console.log(`applied ${r.applied.length} migration(s)${r.applied.length ? ': ' + r.applied.join(', ') : ''}; ${r.skipped.length} already applied`);
        }
      } finally {
        await wh.close();
      }
    });

  program
    .command('replay <path>')
    .description('load archived webhook bodies (NDJSON file, one body per line; a folder of files; or kept ingest-log segments)')
    .action(async (path: string) => {
      if (!existsSync(path)) throw new ConfigError(`replay: ${path} does not exist`);
      const config = loadConfig();
      const log = createLogger('replay', config.logLevel === 'info' ? 'warn' : config.logLevel);
      const wh = await openWarehouse(config);
      await migrate(wh);
      const { deps, modules } = await buildDeps(config, wh, log);
      // The same log, loader, erasure screen and derivations as `serve`.
      const suppression = subjectScreen(wh, deps.pseudonyms, log);
      await suppression.ready;
      const followers = createFollowDispatcher(modules.flatMap((m) => m.followers?.(deps) ?? []), log);
      const ingest = await openIngest({ settings: config.ingest, warehouse: wh, logger: log, screen: suppression.screen, onBatch: (b) => followers.notify(b) });
      const bar = new SingleBar({ format: 'replay [{bar}] {value} bodies', stream: process.stderr }, Presets.shades_classic);
      bar.start(0, 0);
      const r = await replay(path, ingest, (p) => bar.update(p.bodies));
      bar.stop();
      await followers.settled();
      await followers.stop();
      await ingest.close();
      await wh.close();
      console.log(`replayed ${r.bodies} bodies (${r.notJson} not JSON, kept in quarantine; ${r.unknown} unknown items; ${r.redacted} without an erased person's items)`);
      const dropped = await droppedThisProcess();
      if (dropped.length) console.log(`not stored, past retention on arrival (billing facts still derived): ${dropped.map((d) => `${d.table} ${d.rows}`).join(', ')}`);
    });

  const jobs = program.command('jobs').description('scheduled jobs');
  jobs.command('run-once').description('run every scheduled job once and exit').action(async () => {
    const { deps, close, modules } = await openDeps();
    const all = modules.flatMap((m) => m.jobs?.(deps) ?? []);
    const r = await runAllOnce(all, deps.log);
    console.log(`jobs: ${r.ok.length} ok${r.ok.length ? ' (' + r.ok.join(', ') + ')' : ''}, ${r.failed.length} failed${r.failed.length ? ' (' + r.failed.join(', ') + ')' : ''}`);
    await close();
    if (r.failed.length) process.exitCode = 1;
  });
  jobs.command('list').description('list the scheduled jobs').action(async () => {
    const { deps, close, modules } = await openDeps();
    for (const j of modules.flatMap((m) => m.jobs?.(deps) ?? [])) console.log(`${j.name}\t${j.schedule}`);
    await close();
  });

  program
    .command('simulate')
    .description('generate realistic webhook traffic with known answers (see docs/TRUTH.md)')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const sim = (await import('../simulate/cli.ts')) as { main(a: string[]): Promise<void> };
      await sim.main(args);
    });

  for (const m of MODULES) m.cli?.(program, openDeps);
  identityCli(program, openDeps);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`configuration error: ${e.message}`);
      process.exit(2);
    }
    if (e instanceof MigrationError) {
      console.error(`migration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
}

/** Opens config, warehouse and the module dependencies for a one-shot command. */
export async function openDeps(): Promise<{ deps: AppDeps; modules: ServiceModule[]; close(): Promise<void> }> {
  const config = loadConfig();
  const log = createLogger('cli', config.logLevel === 'info' ? 'warn' : config.logLevel);
  const wh = await openWarehouse(config);
  await migrate(wh);
  const { deps, modules } = await buildDeps(config, wh, log);
  return { deps, modules, close: () => wh.close() };
}
