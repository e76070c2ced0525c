import type { ServiceModule } from '../../app/modules.ts';
import { addSlaCli } from './cli.ts';
import { slaFollower } from './follow.ts';
import { slaJob } from './job.ts';
import { mountReports } from '../endpoint.ts';
import { slaRoutes } from './routes.ts';
import { slaSettings } from './settings.ts';

/** Response-time SLA reports: the waits follower and job, the /api/reports/sla routes and `report sla`. */
export default {
  name: 'sla',
  routes(router, deps) {
    mountReports(router, deps, slaRoutes(slaSettings(deps.config.file)));
  },
  jobs(deps) {
    return [slaJob(deps, slaSettings(deps.config.file))];
  },
  followers(deps) {
    return [slaFollower(deps.warehouse, slaSettings(deps.config.file), deps.log)];
  },
  cli(program, open) {
    addSlaCli(program, open);
  },
} satisfies ServiceModule;
