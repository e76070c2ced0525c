/**
 * Where a dashboard's data request spends its time: opens a benchmark store, asks each dashboard's
 * `/data` `--runs` times, and prints the warehouse time per query name (from the service's own
 * `wa_warehouse_query_seconds` histogram) per request, largest first.
 *
 *   node bin/run-ts.mjs bench/profile-data.ts --store <dir> [--runs 3] [--dashboards managers,privacy]
 */
import { createLogger } from '../app/logger.ts';
import { startService } from '../app/server.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { opt, ms, warehouseTimes } from './lib.ts';
import { storeConfig, STORE_TOKEN } from './store.ts';

const RUNS = Number(opt('runs', '3'));
const DASHBOARDS = opt('dashboards', 'managers,finance,privacy').split(',');

const config = storeConfig(opt('store', ''), { METRICS_ACCESS: 'open' });
const warehouse = await openWarehouse(config);
const service = await startService(config, { warehouse, log: createLogger('bench', 'warn'), scheduler: false });
const base = service.url();
for (const d of DASHBOARDS) {
  const get = async () => {
    const t0 = performance.now();
    const r = await fetch(`${base}/dashboards/${d}/data`, { headers: { Authorization: `Bearer ${STORE_TOKEN}` } });
    await r.arrayBuffer();
    return ms(t0);
  };
  await get();
  const before = await warehouseTimes();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await get());
  const after = await warehouseTimes();
  const rows = [...after].map(([q, a]) => ({ q, s: (a.s - (before.get(q)?.s ?? 0)) / RUNS, n: (a.n - (before.get(q)?.n ?? 0)) / RUNS })).filter((r) => r.n > 0).sort((a, b) => b.s - a.s);
  console.log(`\n## ${d}: /data ${times.map((t) => Math.round(t)).join(', ')} ms`);
  console.log('| query | calls | ms per request |\n|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.q} | ${r.n} | ${Math.round(r.s * 1000)} |`);
}
await service.stop();
await warehouse.close();
