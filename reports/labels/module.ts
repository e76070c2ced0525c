import type { ServiceModule } from '../../app/modules.ts';
import { mountReports } from '../endpoint.ts';
import { addLabelsCli } from './cli.ts';
import { labelFollower } from './follow.ts';
import { labelRoutes } from './routes.ts';
import { tagsJob } from './tags-job.ts';

/** Labels from the business's systems: POST /api/labels, `lb=` tags, `labels import`, timeline reports. */
export default {
  name: 'labels',
  routes(router, deps) {
    mountReports(router, deps, labelRoutes());
  },
  jobs(deps) {
    return [tagsJob(deps)];
  },
  followers(deps) {
    return [labelFollower(deps.warehouse, deps.log.child({ module: 'labels' }), deps.now)];
  },
  cli(program, open) {
    addLabelsCli(program, open);
  },
} satisfies ServiceModule;
