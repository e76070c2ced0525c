import type { ServiceModule } from '../../app/modules.ts';
import { retentionArrivalsFollower } from './arrivals.ts';
import { addCommands } from './cli.ts';
import { privacyConfig } from './config.ts';
import { complianceJobs } from './jobs.ts';
import { applyRetention } from './retention-run.ts';
import { mountRoutes } from './routes.ts';

/** Privacy and retention compliance: PII inventory, retention, DSAR, erasure, consent, audit. */
export default {
  name: 'compliance',
  start(deps) {
    // Fails the start on a bad privacy section rather than on the first request.
    const cfg = privacyConfig(deps.config.file);
    // The instance that runs jobs also brings the TTLs in line with the configured policy; the
    // service does not wait for it (it may take a while over many tables).
    if (!deps.config.jobs) return;
    const log = deps.log.child({ module: 'compliance' });
    applyRetention(deps.warehouse, cfg)
      .then((r) => {
        if (r.changed.length || r.failed.length) log.info({ changed: r.changed, failed: r.failed.length }, 'retention TTLs applied');
      })
      .catch((e: unknown) => log.error({ err: e }, 'retention TTLs could not be applied'));
  },
  routes: mountRoutes,
  jobs: complianceJobs,
  followers: (deps) => [retentionArrivalsFollower(deps)],
  cli: addCommands,
} satisfies ServiceModule;
