import type { AppDeps } from '../../app/deps.ts';
import type { ServiceModule } from '../../app/modules.ts';
import { FOLLOWER_NAME as SLA_FOLLOWER } from '../sla/follow.ts';
import { createAlertEngine, type AlertEngine } from './engine.ts';
import { addAlertsCli } from './cli.ts';
import { mountAlertRoutes } from './routes.ts';

/**
 * Alerts: rules on the report outputs, evaluated after each load (after the SLA waits it depends on
 * are derived) and on a schedule, delivered by email, Slack and signed webhooks.
 */

// One engine per service (its rule state and deliveries in flight), shared by routes, job and follower.
const engines = new WeakMap<AppDeps, AlertEngine>();

export function alertEngine(deps: AppDeps): AlertEngine {
  let e = engines.get(deps);
  if (!e) engines.set(deps, (e = createAlertEngine(deps)));
  return e;
}

export default {
  name: 'alerts',
  start(deps) {
    // Fails the start on a bad alerts section rather than at the first evaluation.
    alertEngine(deps);
  },
  routes(router, deps) {
    mountAlertRoutes(router, deps, alertEngine(deps));
  },
  jobs(deps) {
    const engine = alertEngine(deps);
    // Without recipients here or rules naming person accounts there is no one to tell.
    if (!engine.active) return [];
    return [
      { name: 'alerts.evaluate', schedule: engine.config.schedule, run: async () => void (await engine.evaluate()) },
      // Every minute: a schedule names a minute of its recipient's local time ("Monday 08:00").
      { name: 'alerts.scheduled', schedule: '0 * * * * *', run: async () => void (await engine.deliverScheduled()) },
    ];
  },
  followers(deps) {
    const engine = alertEngine(deps);
    if (!engine.active) return [];
    return [{ name: 'alerts.evaluate', after: [SLA_FOLLOWER], follow: async () => void (await engine.evaluate({ loadsOnly: true })) }];
  },
  async stop(deps) {
    // Deliveries in flight, and retries already scheduled, finish (delivered or given up) before the warehouse closes.
    await engines.get(deps)?.close();
  },
  cli(program, open) {
    addAlertsCli(program, open);
  },
} satisfies ServiceModule;
