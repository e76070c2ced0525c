/**
 * A benchmark store: generated traffic (simulate/) loaded through the ingest path into a kept
 * DATA_DIR, with every job run, for the report benchmarks to measure at sizes that take long to
 * load (10 M events): `bench/sla.ts`, `bench/compliance.ts` and `bench/dashboards.ts` take
 * `--store <dir>` and read it instead of loading their own.
 *
 * The traffic ends yesterday (so retention keeps it and the dashboards' default range shows it). It
 * is streamed in time order straight into the group-commit writer (normalise, encode, commit, as
 * the webhook does); the SLA waits job runs once the first 90 % of the time is in (a full pass), then
 * after each tenth of the rest (incremental passes, as the scheduled job sees traffic arrive); then
 * every job runs once; then the ingest tables are merged (a store at rest).
 *
 *   node bin/run-ts.mjs bench/store.ts --dir /var/tmp/wa-store [--events 10000000] [--days 28] [--seed bench-store] [--follow]
 *   node bin/run-ts.mjs bench/store.ts --dir /var/tmp/wa-store --finish --start 2026-11-06 [--events …]   # a build stopped during its jobs
 *
 * Writes `<dir>/store.json` (what was loaded, how fast, and the people the compliance benchmark picks).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../app/config.ts';
import { createLogger, type Logger } from '../app/logger.ts';
import { startService, type Service } from '../app/server.ts';
import { BillingReports } from '../reports/billing/service.ts';
import { openRequest } from '../reports/compliance/rights.ts';
import { runAllOnce } from '../reports/scheduler.ts';
import { refreshWaits } from '../reports/sla/job.ts';
import { slaSettings } from '../reports/sla/settings.ts';
import { generateSync, simulationConfig, type SimOptions } from '../simulate/engine.ts';
import type { TruthRecord } from '../simulate/truth.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrate.ts';
import { eventTotals } from '../warehouse/queries/sla/events.ts';
import { ms, opt } from './lib.ts';

/** Items (messages, statuses, echoes) the generator makes per unit of scale per day, measured. */
export const ITEMS_PER_SCALE_DAY = 24.5;
export const STORE_TOKEN = 'bench-admin-token';
/** The generator's scale that makes about `events` events over `days`. */
const scaleFor = (opts: { events: number; days: number }) => Math.max(1, Math.round(opts.events / (ITEMS_PER_SCALE_DAY * opts.days)));
const SLICES = 10;
/** Bodies between waits for the loader and the followers to catch up (see the load loop). */
const SETTLE_EVERY = Number(opt('settle-every', '40000'));
/** Rounds of people kept for the compliance benchmark (two of each kind a round). */
const ROUNDS = 6;

export interface Person {
  wa_id: string;
  body_count: number;
}

/** A truth listener that collects the people the generator names, with the bodies naming them. */
export function collectPeople(into: Person[]): (t: TruthRecord) => void {
  return (t) => {
    if (t.kind === 'subject') into.push({ wa_id: t.wa_id, body_count: t.body_count });
  };
}

/** The people of a store, ranked by bodies that name them (as the generator's truth counts them). */
export function rankPeople(people: Person[]): Pick<StoreInfo, 'people' | 'median_people' | 'third_people'> {
  const ranked = [...people].sort((a, b) => b.body_count - a.body_count || a.wa_id.localeCompare(b.wa_id));
  const at = (i: number) => ranked.slice(i, i + 2 * ROUNDS);
  return { people: at(0), median_people: at(Math.floor(ranked.length / 2)), third_people: at(Math.floor(ranked.length / 3)) };
}

export interface StoreInfo {
  sim: SimOptions & { scale: number };
  bodies: number;
  events: number;
  load_ms: number;
  ingest_events_per_s: number;
  sla_full_ms: number;
  sla_full_events: number;
  sla_full_events_per_s: number;
  sla_incremental_events: number;
  sla_incremental_ms: number;
  sla_incremental_chats: number;
  sla_incremental_events_per_s: number;
  jobs_ms: Record<string, number>;
  optimize_ms: number;
  /**
   * People by bodies naming them, for the compliance benchmark (which erases them, so each run takes
   * the next round): the busiest, those just past the median, and those a third of the way down.
   */
  people: Person[];
  median_people: Person[];
  third_people: Person[];
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The service configuration of a store directory (the same for loading and for every benchmark). */
export function storeConfig(dir: string, extra: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    DATA_DIR: join(dir, 'data'),
    CONFIG_FILE: join(dir, 'config.json'),
    API_TOKENS: `admin:${STORE_TOKEN}`,
    WHATSAPP_APP_SECRET: 'bench-secret',
    PII_KEY: 'bench',
    LOG_LEVEL: 'warn',
    JOBS: 'off',
    PORT: '0',
    ...extra,
  });
}

export function readStore(dir: string): StoreInfo {
  return JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as StoreInfo;
}

/**
 * Merges what a load left in the ingest tables and waits for background merges, so timed work
 * (mutations above all) does not compete with them: a store at rest.
 */
export async function mergeAtRest(wh: Warehouse): Promise<void> {
  for (const t of ['raw_webhooks_v1', 'messages_v1', 'statuses_v1', 'contacts_v1', 'message_echoes_v1', 'user_preferences_v1']) {
    await wh.writer.command({ query: `OPTIMIZE TABLE ${wh.database}.${t} FINAL` });
  }
  for (;;) {
    const rs = await wh.reader.query({ query: `SELECT count() AS n FROM system.merges WHERE database = {db:String}`, query_params: { db: wh.database }, format: 'JSONEachRow' });
    if (Number((await rs.json<{ n: string }>())[0]?.n ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function buildStore(dir: string, opts: { events: number; days: number; seed: string }): Promise<StoreInfo> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const scale = scaleFor(opts);
  const sim = { seed: opts.seed, start: day(-opts.days - 1), days: opts.days, scale };
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      ...simulationConfig(sim),
      // The loader commits before each job run, so no settle time is needed.
      sla: { job: { settle_seconds: 0 }, policies: [{ effective_from: '2020-01-01', rules: [{ name: 'standard', frt: { minutes: 15, mode: 'business' }, nrt: { hours: 1 }, reply_to_business: { hours: 4 } }] }] },
    }),
  );
  const config = storeConfig(dir);
  const log = createLogger('bench', 'warn');
  const wh = await openWarehouse(config);
  await migrate(wh);
  // Without --follow the reports do not follow each load: the jobs derive what was loaded, as after
  // a bulk import (the same rows, each derivation being exact and idempotent; several times faster
  // at 10 M events, where a follower's rebuild of each touched customer grows with the history).
  // The billing ledger the follower writes is copied by the facts job from the statuses loaded
  // since its watermark (all of them, on its first run).
  const follow = process.argv.includes('--follow');
  const service = await startService(config, { warehouse: wh, log, scheduler: false, follow });
  const settings = slaSettings(config.file);
  const events = async () => (await eventTotals(wh, {}))[0]?.rows ?? 0;

  const start = Date.parse(`${sim.start}T00:00:00Z`);
  const cutoff = start + sim.days * 0.9 * 86_400_000;
  const sliceMs = (sim.days * 0.1 * 86_400_000) / SLICES;
  const people: Person[] = [];
  let bodies = 0;
  let loadMs = 0;
  let loadT0 = performance.now();
  let phase = -1; // -1: the first 90 %; k: slice k of the rest
  let window: Promise<void>[] = [];
  const sla = { fullMs: 0, fullEvents: 0, incMs: 0, incEvents: 0, incChats: 0 };
  let eventsBefore = 0;
  let unsettled = 0;
  const flush = async () => {
    await Promise.all(window);
    window = [];
    await service.settle();
    unsettled = 0;
  };
  /** Ends a loading phase: everything committed, then the waits job as the scheduler would run it. */
  const endPhase = async () => {
    await flush();
    loadMs += ms(loadT0);
    const n = await events();
    const t0 = performance.now();
    const r = await refreshWaits(wh, settings);
    if (phase < 0) {
      sla.fullMs = ms(t0);
      sla.fullEvents = n;
    } else {
      sla.incMs += ms(t0);
      sla.incEvents += n - eventsBefore;
      sla.incChats += r.chats;
    }
    eventsBefore = n;
    process.stderr.write(`store: ${bodies.toLocaleString('en')} bodies, ${n.toLocaleString('en')} events, phase ${phase} (${r.mode}, ${r.chats} chats)\n`);
    loadT0 = performance.now();
  };
  for (const p of generateSync({ ...sim, onTruth: collectPeople(people) })) {
    const t = p.at.getTime();
    const want = t < cutoff ? -1 : Math.min(SLICES - 1, Math.floor((t - cutoff) / sliceMs));
    while (phase < want) {
      await endPhase();
      phase++;
    }
    window.push(service.ingest.append({ body: Buffer.from(p.body), receivedAt: Date.now(), signatureValid: true }));
    bodies++;
    // Appends are awaited in windows (each fsynced), loads and followers are awaited every
    // SETTLE_EVERY bodies only: generating and appending the next bodies overlaps the warehouse's
    // work on the last ones, and a follower's queue stays well under its bound.
    if (window.length >= 4_000) {
      await Promise.all(window);
      unsettled += window.length;
      window = [];
      if (unsettled >= SETTLE_EVERY) await flush();
    }
  }
  while (phase < SLICES - 1) {
    await endPhase();
    phase++;
  }
  await endPhase();
  const total = await events();

  // What the dashboards show besides traffic: the example rate card, Meta's figures for two days
  // (reconciliation) and two rights requests (the register). Then every job once, a minute "later"
  // so nothing is too recent for the jobs that page by receipt time.
  const reports = new BillingReports(service.deps);
  await reports.loadRateCard(readFileSync(join('reports', 'billing', 'rate-cards', 'EXAMPLE-rates-USD-2025-07-01.csv'), 'utf8'), {
    currency: 'USD', effectiveFrom: '2025-07-01', sourceName: 'EXAMPLE-rates-USD-2025-07-01.csv', loadedBy: 'bench', scope: 'all',
  });
  const waba = config.file.tenants[0]!.waba_id;
  const first = Date.parse(`${sim.start}T03:00:00Z`) / 1000;
  await reports.importAnalytics(
    { id: waba, pricing_analytics: { data: [{ data_points: [
      { start: first, end: first + 86_400, volume: 7, pricing_category: 'MARKETING', pricing_type: 'REGULAR', country: 'BR' },
      { start: first + 86_400, end: first + 172_800, volume: 3, pricing_category: 'UTILITY', pricing_type: 'REGULAR', country: 'BR' },
    ] }] } },
    waba,
    'bench',
    'all',
  );
  for (const [type, jurisdiction, ago] of [['access', 'lgpd', opts.days - 1], ['erasure', 'gdpr', 2]] as const) {
    await openRequest(service.deps, { type, jurisdiction, subjectHash: service.deps.pseudonyms.subject(`55119999${ago}`), receivedAt: new Date(Date.now() - ago * 86_400_000), handledBy: 'bench' });
  }
  const { optimize_ms: optimizeMs = 0, ...jobsMs } = await runJobsAtRest(service, wh, log);
  await service.stop();
  await wh.close();

  const info: StoreInfo = {
    sim,
    bodies,
    events: total,
    load_ms: loadMs,
    ingest_events_per_s: Math.round((total / loadMs) * 1000),
    sla_full_ms: sla.fullMs,
    sla_full_events: sla.fullEvents,
    sla_full_events_per_s: Math.round((sla.fullEvents / Math.max(1, sla.fullMs)) * 1000),
    sla_incremental_events: sla.incEvents,
    sla_incremental_ms: sla.incMs,
    sla_incremental_chats: sla.incChats,
    sla_incremental_events_per_s: Math.round((sla.incEvents / Math.max(1, sla.incMs)) * 1000),
    jobs_ms: jobsMs,
    optimize_ms: optimizeMs,
    ...rankPeople(people),
  };
  writeFileSync(join(dir, 'store.json'), JSON.stringify(info, null, 2));
  return info;
}

/**
 * Every job once, snapshots last (they archive what the others computed), then the store merged at
 * rest. Answers each job's time and `optimize_ms`.
 */
async function runJobsAtRest(service: Service, wh: Warehouse, log: Logger): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const ordered = [...service.jobs].sort((a, b) => Number(a.name.endsWith('snapshots')) - Number(b.name.endsWith('snapshots')));
  for (const job of ordered) {
    const t0 = performance.now();
    const r = await runAllOnce([job], log, () => new Date(Date.now() + 60_000));
    out[job.name] = ms(t0);
    if (r.failed.length) throw new Error(`job ${job.name} failed`);
    process.stderr.write(`store: job ${job.name} ${out[job.name]} ms\n`);
  }
  const t0 = performance.now();
  await mergeAtRest(wh);
  out.optimize_ms = ms(t0);
  return out;
}

/**
 * Finishes a store whose build stopped after loading (the session ended during its jobs): every
 * job (each goes on from its own watermark), the merge, and `store.json` with the people from the
 * generator. `--start` must be the first simulated day of the build. The load's own figures are
 * unknown here and written as 0.
 */
export async function finishStore(dir: string, opts: { events: number; days: number; seed: string; start: string }): Promise<StoreInfo> {
  const scale = scaleFor(opts);
  const sim = { seed: opts.seed, start: opts.start, days: opts.days, scale };
  const config = storeConfig(dir);
  const log = createLogger('bench', 'warn');
  const wh = await openWarehouse(config);
  await migrate(wh);
  const service = await startService(config, { warehouse: wh, log, scheduler: false, follow: false });
  const { optimize_ms: optimizeMs = 0, ...jobsMs } = await runJobsAtRest(service, wh, log);
  const total = (await eventTotals(wh, {}))[0]?.rows ?? 0;
  await service.stop();
  await wh.close();
  const people: Person[] = [];
  let bodies = 0;
  for (const _ of generateSync({ ...sim, onTruth: collectPeople(people) })) bodies++;
  const info: StoreInfo = {
    sim, bodies, events: total, load_ms: 0, ingest_events_per_s: 0, sla_full_ms: 0, sla_full_events: 0, sla_full_events_per_s: 0,
    sla_incremental_events: 0, sla_incremental_ms: 0, sla_incremental_chats: 0, sla_incremental_events_per_s: 0,
    jobs_ms: jobsMs, optimize_ms: optimizeMs, ...rankPeople(people),
  };
  writeFileSync(join(dir, 'store.json'), JSON.stringify(info, null, 2));
  return info;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/store.ts')) {
  const dir = opt('dir', '');
  if (!dir) throw new Error('--dir is required');
  if (process.argv.includes('--people-only')) {
    // Re-rank the people of an existing store (the generator is deterministic): no loading.
    const info = readStore(dir);
    const people: Person[] = [];
    for (const _ of generateSync({ ...info.sim, onTruth: collectPeople(people) }));
    const { third_person: _old, ...rest } = info as StoreInfo & { third_person?: Person };
    writeFileSync(join(dir, 'store.json'), JSON.stringify({ ...rest, ...rankPeople(people) }, null, 2));
    process.exit(0);
  }
  if (process.argv.includes('--finish')) {
    const info = await finishStore(dir, { events: Number(opt('events', '10000000')), days: Number(opt('days', '28')), seed: opt('seed', 'bench-store'), start: opt('start', '') || day(-Number(opt('days', '28')) - 1) });
    console.log(JSON.stringify({ ...info, people: undefined, median_people: undefined, third_people: undefined }, null, 2));
    process.exit(0);
  }
  const t0 = performance.now();
  const info = await buildStore(dir, { events: Number(opt('events', '10000000')), days: Number(opt('days', '28')), seed: opt('seed', 'bench-store') });
  console.log(JSON.stringify({ ...info, people: undefined, median_people: undefined, third_people: undefined, total_ms: ms(t0) }, null, 2));
}
