import type { ServiceModule } from '../../app/modules.ts';
import { mountReports } from '../endpoint.ts';
import { csatRoutes } from './routes.ts';

/** CSAT: surveys tagged `cs=`, quick-reply ratings credited to the agent and team who answered. */
export default {
  name: 'csat',
  routes(router, deps) {
    mountReports(router, deps, csatRoutes());
  },
} satisfies ServiceModule;
