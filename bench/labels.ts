/**
 * Label benchmark: the label-filtered SLA, charges-by-label and charges reports over a benchmark store
 * (bench/store.ts; its generated traffic labels customers through the order system's `lb=` tags,
 * docs/TRUTH.md), warm: one cold run, then the median and p95 of N warm runs each, as a markdown
 * table. The goal: ≤ 0.5 s warm at 10 M events.
 *
 *   node bin/run-ts.mjs bench/labels.ts --store <dir> [--runs 9] [--label order]
 */
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { buildDeps } from '../app/server.ts';
import { encode } from '../reports/format.ts';
import { parseReportParams, type ReportKind } from '../reports/sla/params.ts';
import { runReport } from '../reports/sla/report.ts';
import { slaSettings } from '../reports/sla/settings.ts';
import { BillingReports } from '../reports/billing/service.ts';
import { billingByLabel } from '../warehouse/queries/labels/billing.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrate.ts';
import { billingEnv } from '../reports/billing/facts-job.ts';
import { rekeyBillingRecords } from '../reports/billing/rekey.ts';
import { scopeOf } from '../warehouse/scope.ts';
import { readStore } from './store.ts';
import { median, opt, pct, timed } from './lib.ts';

interface Figure {
  report: string;
  rows: number;
  cold_ms: number;
  warm_median_ms: number;
  warm_p95_ms: number;
}

async function main(): Promise<void> {
  const store = opt('store', '');
  if (!store) throw new Error('--store <dir> is required (build one with bench/store.ts)');
  const runs = Number(opt('runs', '9'));
  const label = opt('label', 'order');
  const info = readStore(store);
  const config = loadConfig({ ...process.env, DATA_DIR: join(store, 'data'), CONFIG_FILE: join(store, 'config.json'), PII_KEY: 'bench', LOG_LEVEL: 'warn' });
  const wh = await openWarehouse(config);
  await migrate(wh);
  const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'), () => new Date('2030-01-01T00:00:00Z'));
  // A store from before billing_message_customers_v1 gets it filled once, as the service does at start.
  const [fill, fillMs] = await timed(() => rekeyBillingRecords(billingEnv(deps), deps.log));
  if (fill.customers) process.stderr.write(`labels: who each message went to filled once: ${fill.customers.toLocaleString('en')} statuses in ${fillMs} ms\n`);
  const settings = { ...slaSettings(config.file), maxRangeDays: 10_000 };
  // The store's last simulated month (UTC): the charges reports read one month.
  const end = Date.parse(`${info.sim.start}T00:00:00Z`) + ((info.sim.days ?? 1) - 1) * 86_400_000;
  const month = new Date(end).toISOString().slice(0, 7);

  const sla = (kind: ReportKind, q: Record<string, string>) => async () => {
    const p = parseReportParams(kind, { from: '2020-01-01', to: '2030-01-01', tz: 'UTC', ...q }, settings, deps.now(), 'all');
    const r = await runReport(deps, kind, p, false);
    await encode(wh, r.rows, r.columns, 'json');
    return r.rows.length;
  };
  const charges = (labels: string[], match: 'any' | 'all' = 'any') => async () =>
    (await billingByLabel(wh, { month, labels, label_match: match, ...scopeOf('all') })).length;

  const figures: Figure[] = [];
  const measure = async (report: string, f: () => Promise<number>) => {
    const [rows, cold] = await timed(f);
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) warm.push((await timed(f))[1]);
    warm.sort((a, b) => a - b);
    figures.push({ report, rows, cold_ms: cold, warm_median_ms: median(warm), warm_p95_ms: pct(warm, 0.95) });
  };
  await measure(`SLA aggregates, label=${label}, by day and kind`, sla('aggregates', { period: 'day', group_by: 'kind', label }));
  await measure('SLA aggregates, group_by=label', sla('aggregates', { period: 'none', group_by: 'label' }));
  await measure(`SLA aggregates, label=${label}/paid,${label}/shipped (all)`, sla('aggregates', { period: 'none', group_by: 'kind', label: `${label}/paid,${label}/shipped`, label_match: 'all' }));
  await measure(`charges by label ${month}, label=${label}`, charges([label]));
  await measure(`charges by label ${month}, every label`, charges([]));
  // The charges report itself, filtered and grouped by label (facts read per WABA, priced).
  const reports = new BillingReports(deps);
  const report = (labels: string[], grouped: boolean) => async () =>
    (await reports.labelledCharges({ scope: 'all', month, groupBy: ['category'], label: { labels, label_match: 'any', grouped } })).length;
  await measure(`charges report ${month}, label=${label}`, report([label], false));
  await measure(`charges report ${month}, group_by=label,category`, report([], true));
  await wh.close();

  console.log(`store ${store}: ${info.events} events, seed ${String(info.sim.seed)}, ${info.sim.days} days from ${info.sim.start}, scale ${info.sim.scale}; ${runs} warm runs\n`);
  console.log('| report | rows | cold ms | warm median ms | warm p95 ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const f of figures) console.log(`| ${f.report} | ${f.rows} | ${f.cold_ms} | ${f.warm_median_ms} | ${f.warm_p95_ms} |`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
