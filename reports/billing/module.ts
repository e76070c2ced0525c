import type { ServiceModule } from '../../app/modules.ts';
import { billingCli } from './cli.ts';
import { billingConfig } from './config.ts';
import { billingEnv, factsJob } from './facts-job.ts';
import { billingFollower } from './follow.ts';
import { rekeyBillingRecords } from './rekey.ts';
import { mountBillingRoutes } from './routes.ts';
import { BillingReports } from './service.ts';

/**
 * Billing: conversations and charged messages against the free tier, charges from Meta's rate
 * cards, the month-end forecast, and reconciliation with Meta's analytics. See docs/BILLING.md.
 */
export default {
  name: 'billing',
  async start(deps) {
    // Once per store: facts keyed, ledger filled. A server not reachable yet is tried at the next start.
    const log = deps.log.child({ module: 'billing' });
    await rekeyBillingRecords(billingEnv(deps), log).catch((e: unknown) => log.error({ err: e }, 'billing records could not be keyed yet'));
  },
  routes: mountBillingRoutes,
  jobs(deps) {
    const cfg = billingConfig(deps.config);
    const reports = new BillingReports(deps);
    return [
      factsJob(deps),
      {
        name: 'billing.forecast_snapshot',
        schedule: cfg.forecast.snapshot_schedule,
        async run(now) {
          await reports.snapshotForecasts(now);
        },
      },
    ];
  },
  followers(deps) {
    return [billingFollower(billingEnv(deps))];
  },
  cli: billingCli,
} satisfies ServiceModule;
