/**
 * Templates benchmark: every templates route (and the templates dashboard's data request) over a
 * benchmark store (bench/store.ts) through real HTTP: one cold request, then the median and p95 of
 * N warm ones each, as a markdown table. The goal: template and campaign reports ≤ 0.5 s
 * warm at 10 M events, the dashboard ≤ 1.5 s. The first request on a store that predates the
 * derived template sends includes filling them (its cold figure).
 *
 *   node bin/run-ts.mjs bench/templates.ts --store <dir> [--runs 9]
 */
import { createLogger } from '../app/logger.ts';
import { startService } from '../app/server.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { readStore, storeConfig, STORE_TOKEN } from './store.ts';
import { median, opt, pct, timed } from './lib.ts';

async function main(): Promise<void> {
  const store = opt('store', '');
  if (!store) throw new Error('--store <dir> is required (build one with bench/store.ts)');
  const runs = Number(opt('runs', '9'));
  const info = readStore(store);
  const config = storeConfig(store);
  const warehouse = await openWarehouse(config);
  const service = await startService(config, { warehouse, log: createLogger('bench', 'warn'), scheduler: false });
  const end = new Date(Date.parse(`${info.sim.start}T00:00:00Z`) + (info.sim.days ?? 1) * 86_400_000).toISOString().slice(0, 10);
  const range = `from=${info.sim.start}&to=${end}&tz=UTC`;
  const get = (path: string) => async () => {
    const r = await fetch(service.url() + path, { headers: { authorization: `Bearer ${STORE_TOKEN}` } });
    const text = await r.text();
    if (!r.ok) throw new Error(`${path}: ${r.status} ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { rows?: unknown[] };
    return Array.isArray(body.rows) ? body.rows.length : 0;
  };
  const routes: Array<[string, string]> = [
    ['templates', `/api/reports/templates?${range}`],
    ['templates by day', `/api/reports/templates?${range}&group_by=day`],
    ['templates by campaign', `/api/reports/templates?${range}&group_by=campaign`],
    ['templates by day and campaign', `/api/reports/templates?${range}&group_by=day,campaign`],
    ['history', `/api/reports/templates/history?${range}`],
    ['risk', `/api/reports/templates/risk?${range}`],
    ['reconciliation', `/api/reports/templates/reconciliation?${range}`],
    ['ads', `/api/reports/ads?${range}`],
    ['dashboard data', `/dashboards/templates/data?from=${info.sim.start}&to=${end}`],
  ];
  const figures: string[] = [];
  for (const [name, path] of routes) {
    const [rows, cold] = await timed(get(path));
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) warm.push((await timed(get(path)))[1]);
    warm.sort((a, b) => a - b);
    figures.push(`| ${name} | ${rows} | ${cold} | ${median(warm)} | ${pct(warm, 0.95)} |`);
  }
  await service.stop();
  await warehouse.close();

  console.log(`store ${store}: ${info.events} events, seed ${String(info.sim.seed)}, ${info.sim.days} days from ${info.sim.start}, scale ${info.sim.scale}; ${runs} warm runs\n`);
  console.log('| route | rows | cold ms | warm median ms | warm p95 ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const f of figures) console.log(f);
}

await main();
