/**
 * Billing benchmark. Writes status events (the typed rows ingest makes of Meta's webhooks; ClickHouse
 * generates them) into a fresh DATA_DIR — five months, two WABAs in different zones, CBP then PMP,
 * a weekly pattern, 2 % failures — and measures:
 *  - the facts job: the full backfill (events/s) and an incremental run after 1 % more events;
 *  - in a second, fresh process: the month report (conversations), charges and the forecast, cold
 *    (first query of the process) and warm (median of 5), against the same month's counts taken
 *    straight from the raw statuses (the yardstick the rollup avoids).
 *
 *   node bin/run-ts.mjs bench/billing.ts [--events 1000000] [--seed 1] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { buildDeps } from '../app/server.ts';
import { billingEnv, runFacts } from '../reports/billing/facts-job.ts';
import { DEFAULT_CALLING_CODES } from '../reports/billing/markets.ts';
import { loadRateCard } from '../reports/billing/rate-cards.ts';
import { BillingReports } from '../reports/billing/service.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrate.ts';
import { countStatuses, monthFromStatuses, writeBenchStatuses } from '../warehouse/queries/billing/bench.ts';
import { median, opt, timed } from './lib.ts';



const WABAS = [
  { waba_id: '900000000000001', name: 'Bench BR', time_zone: 'America/Sao_Paulo', phones: ['91001', '91002', '91003'] },
  { waba_id: '900000000000002', name: 'Bench UK', time_zone: 'Europe/London', phones: ['92001', '92002', '92003'] },
];
const FROM_MS = Date.parse('2025-05-01T03:00:00Z'); // 2025-05-01 … 2025-09-30, five local months
const SPAN_MS = 153 * 86_400_000;

/** About `events` status rows (ClickHouse generates them; see warehouse/queries/billing/bench.ts). */
async function writeEvents(wh: Warehouse, events: number, seed: number, receivedAt: number, first = 0): Promise<number> {
  const before = (await countStatuses(wh, {}))[0]!.n;
  // Each number yields ~0.6 rows after the weekday pattern and the missing reads; write in slices.
  const numbers = Math.round(events / 0.6);
  for (let done = 0; done < numbers; done += 2_000_000) {
    await writeBenchStatuses(wh, { first: first + done, count: Math.min(2_000_000, numbers - done), seed, from_ms: FROM_MS, span_ms: SPAN_MS, received_ms: receivedAt });
  }
  return (await countStatuses(wh, {}))[0]!.n - before;
}

function env(dir: string) {
  return { DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.json'), PII_KEY: 'bench', LOG_LEVEL: 'warn', JOBS: 'off' };
}

/** Child 1: events, rate cards, the facts backfill, 1 % more events and the incremental run. */
async function loadPhase(dir: string, events: number, seed: number): Promise<Record<string, number>> {
  const config = loadConfig({ ...process.env, ...env(dir) });
  const wh = await openWarehouse(config);
  await migrate(wh);
  const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'));
  const billing = billingEnv(deps);
  billing.cfg.facts.page_size = 500_000;
  const cards = join(DEFAULT_CALLING_CODES, '..');
  for (const [file, from] of [['EXAMPLE-rates-USD-2023-06-01.csv', '2023-06-01'], ['EXAMPLE-rates-USD-2025-07-01.csv', '2025-07-01'], ['EXAMPLE-tiers-USD-2025-07-01.csv', '2025-07-01']] as const) {
    await loadRateCard(wh, billing.markets, readFileSync(join(cards, file), 'utf8'), { currency: 'USD', effectiveFrom: from, sourceName: file, loadedBy: 'bench' });
  }
  const now = Date.now();
  const [written, insertMs] = await timed(() => writeEvents(wh, events, seed, now - 3_600_000));
  const [full, fullMs] = await timed(() => runFacts(billing, new Date(now)));
  const extra = Math.round(written / 100);
  const [added] = await timed(() => writeEvents(wh, extra, seed, now + 1_000, 4e9));
  const [inc, incMs] = await timed(() => runFacts(billing, new Date(now + 120_000)));
  const [, idleMs] = await timed(() => runFacts(billing, new Date(now + 180_000)));
  await wh.close();
  return {
    events: written, insert_ms: insertMs, insert_events_per_s: Math.round((written / insertMs) * 1000),
    facts_full_ms: fullMs, facts_messages: full.messages, facts_conversations: full.conversations, facts_periods: full.periods.length,
    facts_full_events_per_s: Math.round((written / fullMs) * 1000),
    incremental_events: added, facts_incremental_ms: incMs, facts_incremental_periods: inc.periods.length, facts_idle_ms: idleMs,
  };
}

/** Child 2, a fresh process: the reports cold, then warm, and the straight-from-statuses yardstick. */
async function reportPhase(dir: string): Promise<Record<string, number>> {
  const config = loadConfig({ ...process.env, ...env(dir) });
  const wh = await openWarehouse(config);
  const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'), () => new Date('2025-09-15T15:00:00Z'));
  const reports = new BillingReports(deps);
  const out: Record<string, number> = {};
  // Wall time, and CPU time of this process (the embedded engine runs in it): on a shared, busy
  // machine the CPU figure says more about the work done than the wall clock.
  const measure = async (name: string, f: () => Promise<number>) => {
    const [rows, cold] = await timed(f);
    const warm: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c0 = process.cpuUsage();
      warm.push((await timed(f))[1]);
      const c = process.cpuUsage(c0);
      cpu.push(Math.round((c.user + c.system) / 1000));
    }
    Object.assign(out, { [`${name}_rows`]: rows, [`${name}_cold_ms`]: cold, [`${name}_warm_ms`]: median(warm), [`${name}_warm_cpu_ms`]: median(cpu) });
  };
  await measure('conversations_pmp_month', async () => (await reports.conversations({ scope: 'all', month: '2025-09' })).length);
  await measure('conversations_cbp_month', async () => (await reports.conversations({ scope: 'all', month: '2025-06' })).length);
  await measure('charges_month', async () => (await reports.charges({ scope: 'all', month: '2025-09' })).length);
  await measure('charges_by_day', async () => (await reports.charges({ scope: 'all', month: '2025-09', groupBy: ['day', 'category', 'market'] })).length);
  await measure('forecast_live', async () => (await reports.forecast({ scope: 'all', month: '2025-09' })).length);
  await measure('forecast_as_of', async () => (await reports.forecast({ scope: 'all', month: '2025-09', asOf: '2025-09-10' })).length);
  await measure('from_statuses', async () => (await monthFromStatuses(wh, { from: '2025-09-01 00:00:00', to: '2025-10-01 00:00:00' })).length);
  await wh.close();
  return out;
}

function child(phase: string, extra: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/billing.ts', '--phase', phase, ...extra], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${phase} phase failed (${r.status})`);
  return JSON.parse(r.stdout.toString().trim().split('\n').pop()!) as Record<string, number>;
}

async function main(): Promise<void> {
  const phase = opt('phase', '');
  const dir = opt('dir', '');
  if (phase) {
    const result = phase === 'load' ? await loadPhase(dir, Number(opt('events', '0')), Number(opt('seed', '1'))) : await reportPhase(dir);
    console.log(JSON.stringify(result));
    return;
  }
  const events = Number(opt('events', '1000000'));
  const seed = opt('seed', '1');
  const work = mkdtempSync(join(tmpdir(), 'wa-billing-bench-'));
  mkdirSync(join(work, 'data'));
  writeFileSync(join(work, 'config.json'), JSON.stringify({
    tenants: WABAS.map((w) => ({ waba_id: w.waba_id, name: w.name, time_zone: w.time_zone, currency: 'USD', phone_numbers: w.phones.map((p) => ({ phone_number_id: p })) })),
  }));
  const load = child('load', ['--dir', work, '--events', String(events), '--seed', seed]);
  const reports = child('report', ['--dir', work]);
  if (!process.argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
  console.log(`billing benchmark: ${load.events} status events (seed ${seed}), 2 WABAs, 2025-05 … 2025-09`);
  console.log(`\n| measure | value |\n|---|---|`);
  for (const [k, v] of Object.entries({ ...load, ...reports })) console.log(`| ${k} | ${v} |`);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(1) : 'n/a');
  console.log(`\nfacts backfill runs at ×${ratio(load.facts_full_events_per_s!, load.insert_events_per_s!)} the raw insert rate`);
  console.log(`month report warm is ×${ratio(reports.from_statuses_warm_ms!, reports.conversations_pmp_month_warm_ms!)} faster than counting the month straight from the statuses; forecast warm ×${ratio(reports.from_statuses_warm_ms!, reports.forecast_as_of_warm_ms!)}`);
}

await main();
