import type { ServiceModule } from '../../app/modules.ts';
import { mountReports } from '../endpoint.ts';
import { agentRoutes } from './routes.ts';

/** Agent and team performance over the SLA waits, with the credit rule explicit and a drill-down. */
export default {
  name: 'agents',
  routes(router, deps) {
    mountReports(router, deps, agentRoutes());
  },
} satisfies ServiceModule;
