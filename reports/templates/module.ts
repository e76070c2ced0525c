import type { ServiceModule } from '../../app/modules.ts';
import { templatesCli } from './cli.ts';
import { templatesConfig } from './config.ts';
import { mountTemplateRoutes } from './routes.ts';
import { sendsEnv, sendsFollower, sendsJob } from './sends.ts';

/**
 * Templates, campaigns and ads: what each template achieves and costs (funnel, replies, clicks,
 * failures, opt-outs, charges), its status, quality and category history. See docs/TEMPLATES.md.
 */
export default {
  name: 'templates',
  routes: mountTemplateRoutes,
  jobs(deps) {
    return [sendsJob(deps, templatesConfig(deps.config).sends_schedule)];
  },
  followers(deps) {
    return [sendsFollower(sendsEnv(deps))];
  },
  cli: templatesCli,
} satisfies ServiceModule;
