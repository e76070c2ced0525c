import type { ServiceModule } from '../../app/modules.ts';
import { mountReports } from '../endpoint.ts';
import { csatRoutes } from './routes.ts';
import { followCredits } from './credits.ts';
import { FOLLOWER_NAME as SLA_FOLLOWER } from '../sla/follow.ts';

/** CSAT: surveys tagged `cs=`, quick-reply ratings credited to the agent and team who answered. */
export default {
  name: 'csat',
  routes(router, deps) {
    mountReports(router, deps, csatRoutes());
  },
  followers(deps) {
    // Credits read the waits the SLA follower writes for the same batches.
    return [{ name: 'csat.credits', after: [SLA_FOLLOWER], follow: (batches) => followCredits(deps.warehouse, batches) }];
  },
} satisfies ServiceModule;
