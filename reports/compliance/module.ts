import type { ServiceModule } from '../../app/modules.ts';
import { addCommands } from './cli.ts';
import { privacyConfig } from './config.ts';
import { complianceJobs } from './jobs.ts';
import { applyRetention } from './retention-run.ts';
import { mountRoutes } from './routes.ts';

/** Privacy and retention compliance: PII inventory, retention, DSAR, erasure, consent, audit. */
export default {
  name: 'compliance',
  routes(router, deps) {
    privacyConfig(deps.config.file);
    mountRoutes(router, deps);
    // The instance that runs jobs also brings the TTLs in line with the configured policy at start.
    if (deps.config.jobs) {
      applyRetention(deps.warehouse, privacyConfig(deps.config.file))
        .then((r) => {
          if (r.changed.length || r.failed.length) deps.log.child({ module: 'compliance' }).info({ changed: r.changed, failed: r.failed.length }, 'retention TTLs applied');
        })
        .catch((e: unknown) => deps.log.child({ module: 'compliance' }).error({ err: e }, 'retention TTLs could not be applied'));
    }
  },
  jobs: complianceJobs,
  cli: addCommands,
} satisfies ServiceModule;
