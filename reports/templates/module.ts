import type { ServiceModule } from '../../app/modules.ts';
import { templatesCli } from './cli.ts';
import { mountTemplateRoutes } from './routes.ts';

/**
 * Templates, campaigns and ads: what each template achieves and costs (funnel, replies, clicks,
 * failures, opt-outs, charges), its status, quality and category history. See docs/TEMPLATES.md.
 */
export default {
  name: 'templates',
  routes: mountTemplateRoutes,
  cli: templatesCli,
} satisfies ServiceModule;
