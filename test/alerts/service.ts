import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../../app/server.ts';
import { alertEngine } from '../../reports/alerts/module.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { startTestService } from '../helpers/service.ts';
import { openTestWarehouse, truncateAll } from '../helpers/warehouse.ts';
import { startHttpReceiver } from './receivers.ts';

export type Hook = (path: string) => { url: string; secret: string };
export type HttpReceiver = Awaited<ReturnType<typeof startHttpReceiver>>;

/**
 * The real service on an emptied warehouse, with a CONFIG_FILE built around a real HTTP receiver
 * (`hook(path)` names one of its endpoints as a signed webhook channel) and the test's clock.
 */
export async function startAlertService(config: (hook: Hook) => unknown, now: () => number) {
  const wh: Warehouse = await openTestWarehouse();
  await truncateAll(wh);
  const hooks: HttpReceiver = await startHttpReceiver();
  const hook: Hook = (path) => ({ url: `${hooks.url}/${path}`, secret: `secret-of-${path}-0123456789` });
  const tmp = mkdtempSync(join(tmpdir(), 'wa-alerts-'));
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config(hook)));
  const svc: Service = await startTestService(wh, { CONFIG_FILE: join(tmp, 'config.json') }, { now: () => new Date(now()) });
  return {
    wh, svc, hooks,
    async stop() {
      await svc.stop();
      await hooks.close();
      await wh.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** The JSON payloads that reached one endpoint, in order. */
export function saidTo<P>(hooks: HttpReceiver, path: string): P[] {
  return hooks.all.filter((h) => h.path === `/${path}`).map((h) => JSON.parse(h.body) as P);
}

/** One evaluation of every rule, resolved once its deliveries are done. */
export async function evaluateAlerts(svc: Service): Promise<void> {
  await alertEngine(svc.deps).evaluate();
  await alertEngine(svc.deps).idle();
}
