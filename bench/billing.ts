/**
 * Billing benchmark. Writes status events (the typed rows ingest makes of Meta's webhooks) straight
 * into a fresh DATA_DIR — five months, two WABAs in different zones, CBP then PMP — and measures:
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
import { STATUS, type StatusRow } from '../warehouse/tables.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const ms = (t0: number) => Math.round(performance.now() - t0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, ms(t0)];
}

const WABAS = [
  { waba_id: '900000000000001', name: 'Bench BR', time_zone: 'America/Sao_Paulo', share: 0.6, phones: ['91001', '91002', '91003'] },
  { waba_id: '900000000000002', name: 'Bench UK', time_zone: 'Europe/London', share: 0.4, phones: ['92001', '92002', '92003'] },
];
const FIRST_DAY = Date.parse('2025-05-01T12:00:00Z');
const DAYS = 153; // 2025-05-01 … 2025-09-30
const COUNTRIES = ['55', '55', '55', '91', '91', '62', '52', '44', '49', '1415', '1809', '234'];
const WEEK = [0.3, 1.25, 1.15, 1.05, 1.0, 0.95, 0.45]; // Sunday … Saturday

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Statuses of one outbound message, as the normalizer writes them (pricing on sent and one of delivered/read). */
function messageRows(r: () => number, seq: number, waba: (typeof WABAS)[number], ts: number, receivedAt: number, conversation: { id: string; category: string; billable: boolean } | null): StatusRow[] {
  const wamid = `wamid.bench${seq}`;
  const recipient = COUNTRIES[Math.floor(r() * COUNTRIES.length)]! + String(Math.floor(r() * 1e9)).padStart(9, '0');
  const phone = waba.phones[Math.floor(r() * waba.phones.length)]!;
  let pricing: Partial<StatusRow>;
  if (conversation) {
    pricing = { pricing_model: 'CBP', pricing_category: conversation.category, pricing_billable: conversation.billable, conversation_id: conversation.id, conversation_origin_type: conversation.category };
  } else {
    const x = r();
    const [category, type] = x < 0.3 ? ['marketing', 'regular'] : x < 0.45 ? ['utility', 'regular'] : x < 0.6 ? ['utility', 'free_customer_service'] : x < 0.7 ? ['authentication', 'regular'] : x < 0.95 ? ['service', 'free_customer_service'] : ['referral_conversion', 'free_entry_point'];
    pricing = { pricing_model: 'PMP', pricing_category: category, pricing_type: type, pricing_billable: type === 'regular' };
  }
  const base = { ...STATUS, waba_id: waba.waba_id, phone_number_id: phone, wamid, recipient_id: recipient, received_at: receivedAt };
  const rows: StatusRow[] = [{ ...base, ...pricing, status: 'sent', ts }];
  const fate = r();
  if (fate < 0.02) rows.push({ ...base, status: 'failed', ts: ts + 30_000, error_code: 131026 });
  else if (fate < 0.92) {
    rows.push({ ...base, ...pricing, status: 'delivered', ts: ts + 3_000 });
    if (r() < 0.6) rows.push({ ...base, status: 'read', ts: ts + 120_000 });
  }
  return rows;
}

/** About `events` status rows over five months; returns the number written. */
async function writeEvents(wh: Warehouse, events: number, seed: number, receivedAt: number, from = 0): Promise<number> {
  const r = rng(seed);
  const perDay = events / DAYS / 2.4;
  let batch: StatusRow[] = [];
  let written = 0;
  let seq = from;
  const flush = async () => {
    if (batch.length) await wh.writer.insert({ table: `${wh.database}.statuses_v1`, values: batch, format: 'JSONEachRow' });
    written += batch.length;
    batch = [];
  };
  for (let d = 0; d < DAYS && written + batch.length < events; d++) {
    const day = FIRST_DAY + d * 86_400_000;
    const weekday = new Date(day).getUTCDay();
    const pmp = day >= Date.parse('2025-07-01T03:00:00Z');
    for (const waba of WABAS) {
      const n = Math.round(perDay * waba.share * WEEK[weekday]! * (0.9 + 0.2 * r()));
      let conv: { id: string; category: string; billable: boolean; left: number } | null = null;
      let free = 0;
      for (let i = 0; i < n; i++) {
        const ts = day - 12 * 3_600_000 + Math.floor(r() * 86_400_000);
        if (!pmp && (!conv || conv.left === 0)) {
          const x = r();
          const category = x < 0.35 ? 'marketing' : x < 0.55 ? 'utility' : x < 0.65 ? 'authentication' : x < 0.97 ? 'service' : 'referral_conversion';
          const billable = category === 'referral_conversion' ? false : category === 'service' ? free++ >= 33 : true;
          conv = { id: `conv.bench${seq}`, category, billable, left: 1 + Math.floor(r() * 3) };
        }
        if (conv) conv.left--;
        batch.push(...messageRows(r, seq++, waba, ts, receivedAt, pmp ? null : conv));
        if (batch.length >= 200_000) await flush();
      }
    }
  }
  await flush();
  return written;
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
  const [added] = await timed(() => writeEvents(wh, extra, seed + 1, now + 1_000, 1e9));
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
  const measure = async (name: string, f: () => Promise<number>) => {
    const [rows, cold] = await timed(f);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await timed(f))[1]);
    Object.assign(out, { [`${name}_rows`]: rows, [`${name}_cold_ms`]: cold, [`${name}_warm_ms`]: median(warm) });
  };
  await measure('conversations_pmp_month', async () => (await reports.conversations({ month: '2025-09' })).length);
  await measure('conversations_cbp_month', async () => (await reports.conversations({ month: '2025-06' })).length);
  await measure('charges_month', async () => (await reports.charges({ month: '2025-09' })).length);
  await measure('charges_by_day', async () => (await reports.charges({ month: '2025-09', groupBy: ['day', 'category', 'market'] })).length);
  await measure('forecast_live', async () => (await reports.forecast({ month: '2025-09' })).length);
  await measure('forecast_as_of', async () => (await reports.forecast({ month: '2025-09', asOf: '2025-09-10' })).length);
  await measure('from_statuses', async () => {
    // The month's charged messages by category × type straight from the raw statuses (UTC month, no markets).
    const rs = await wh.reader.query({
      query: `SELECT waba_id, pricing_category, pricing_type, uniqExact(wamid) AS n FROM ${wh.database}.statuses_v1 FINAL
              WHERE pricing_model = 'PMP' AND ts >= '2025-09-01' AND ts < '2025-10-01' GROUP BY waba_id, pricing_category, pricing_type`,
      format: 'JSONEachRow',
    });
    return (await rs.json()).length;
  });
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
  if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
  console.log(`billing benchmark: ${load.events} status events (seed ${seed}), 2 WABAs, 2025-05 … 2025-09`);
  console.log(`\n| measure | value |\n|---|---|`);
  for (const [k, v] of Object.entries({ ...load, ...reports })) console.log(`| ${k} | ${v} |`);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(1) : 'n/a');
  console.log(`\nfacts backfill runs at ×${ratio(load.facts_full_events_per_s!, load.insert_events_per_s!)} the raw insert rate`);
  console.log(`month report warm is ×${ratio(reports.from_statuses_warm_ms!, reports.conversations_pmp_month_warm_ms!)} faster than counting the month straight from the statuses; forecast warm ×${ratio(reports.from_statuses_warm_ms!, reports.forecast_as_of_warm_ms!)}`);
}

await main();
