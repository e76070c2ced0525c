/**
 * SLA benchmark. Generates traffic with the generator (docs/TRUTH.md), loads it into a fresh
 * DATA_DIR in a child process through the ingest path (`replay`), and measures:
 *  - the waits job: a full pass over every chat, then incremental passes as the last tenth of the
 *    simulated time arrives in ten slices (events/s, against the ingest rate of the same run);
 *  - the reports in a second, fresh process: aggregates and the wait export, cold (first query of
 *    the process) and warm (median of 5), against computing response times straight from the events
 *    with window functions (the yardstick the reports avoid);
 *  - with --probe-waits N, aggregates over a synthetic waits table of N rows (the size ~3 N events
 *    give), laid out as the job leaves it: merged after a full pass, plus recent small parts.
 *
 *   node bin/run-ts.mjs bench/sla.ts [--events 200000] [--days 30] [--seed bench] [--probe-waits 3200000]
 *   node bin/run-ts.mjs bench/sla.ts --store <dir> [--runs 5]  # a benchmark store (bench/store.ts), e.g. 10 M events:
 *                                                      # its load figures, and the report phase on it
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { buildDeps } from '../app/server.ts';
import { replay } from '../ingest/replay.ts';
import { openIngest } from '../ingest/pipeline.ts';
import { generateSync, simulationConfig } from '../simulate/engine.ts';
import { openWarehouse, type Warehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrate.ts';
import { eventTotals } from '../warehouse/queries/sla/events.ts';
import { fillSyntheticWaits, responseTimesFromEvents, rewriteRecentWaits } from '../warehouse/queries/sla/reference.ts';
import { WAITS_TABLE } from '../warehouse/queries/sla/store.ts';
import { mergeTable } from '../warehouse/queries/parts.ts';
import { encode } from '../reports/format.ts';
import { refreshWaits } from '../reports/sla/job.ts';
import { parseReportParams, type ReportKind } from '../reports/sla/params.ts';
import { runReport } from '../reports/sla/report.ts';
import { slaSettings } from '../reports/sla/settings.ts';
import { readStore } from './store.ts';
import { opt, ms, median, timed } from './lib.ts';

/** Items (messages, statuses, echoes) the generator makes per unit of scale per day, measured. */
const ITEMS_PER_SCALE_DAY = 24.5;



const CHUNKS = 10;
/** Warm runs of each report (the median is reported); fewer at 10 M, where one wait export takes a minute. */
const WARM_RUNS = Number(opt('runs', '5'));

/**
 * Child 1: load the first 90 % of the bodies and run a full job pass; then load the rest in ten
 * slices in time order, with a job run after each (as the scheduled job would see them arrive).
 */
async function loadPhase(dir: string): Promise<Record<string, number>> {
  const config = loadConfig();
  const log = createLogger('bench', 'warn');
  const wh = await openWarehouse(config);
  await migrate(wh);
  const settings = slaSettings(config.file);
  const ingest = await openIngest({ settings: config.ingest, warehouse: wh, logger: log });
  const [a, loadA] = await timed(() => replay(join(dir, 'bodies-a.ndjson'), ingest));
  const eventsA = await events(wh);
  const [full, fullMs] = await timed(() => refreshWaits(wh, settings));
  let bodiesB = 0;
  let loadB = 0;
  let incMs = 0;
  let incChats = 0;
  let incWritten = 0;
  for (let k = 0; k < CHUNKS; k++) {
    const [b, ms] = await timed(() => replay(join(dir, `bodies-b${k}.ndjson`), ingest));
    bodiesB += b.bodies;
    loadB += ms;
    const [inc, jobMs] = await timed(() => refreshWaits(wh, settings));
    incMs += jobMs;
    incChats += inc.chats;
    incWritten += inc.written;
  }
  const eventsAll = await events(wh);
  const [idle, idleMs] = await timed(() => refreshWaits(wh, settings));
  await ingest.close();
  await wh.close();
  const eventsB = eventsAll - eventsA;
  return {
    bodies: a.bodies + bodiesB, events: eventsAll, load_ms: loadA + loadB, ingest_events_per_s: Math.round((eventsAll / (loadA + loadB)) * 1000),
    full_ms: fullMs, full_chats: full.chats, full_waits: full.waits, full_events_per_s: Math.round((eventsA / fullMs) * 1000),
    incremental_events: eventsB, incremental_load_ms: loadB, incremental_job_ms: incMs, incremental_chats: incChats, incremental_written: incWritten,
    incremental_events_per_s: Math.round((eventsB / incMs) * 1000), again_ms: idleMs, again_written: idle.written,
  };
}

async function events(wh: Warehouse): Promise<number> {
  const [t] = await eventTotals(wh, {});
  return t?.rows ?? 0;
}

/** Child 2, a fresh process: reports cold then warm, and the from-events yardstick. */
async function reportPhase(): Promise<Record<string, number>> {
  const config = loadConfig();
  const log = createLogger('bench', 'warn');
  const wh = await openWarehouse(config);
  const { deps } = await buildDeps(config, wh, log, () => new Date('2030-01-01T00:00:00Z'));
  const settings = slaSettings(config.file);
  const query = { from: '2020-01-01', to: '2030-01-01', tz: 'America/Sao_Paulo' };
  const run = async (kind: ReportKind, q: Record<string, string>, format: 'json' | 'parquet' = 'json') => {
    const p = parseReportParams(kind, { ...query, ...q }, { ...settings, maxRangeDays: 10_000 }, deps.now(), 'all');
    const r = await runReport(deps, kind, p, false);
    await encode(wh, r.rows, r.columns, format);
    return r.rows.length;
  };
  const out: Record<string, number> = {};
  const measure = async (name: string, f: () => Promise<number>) => {
    const [rows, cold] = await timed(f);
    const warm: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) warm.push((await timed(f))[1]);
    Object.assign(out, { [`${name}_rows`]: rows, [`${name}_cold_ms`]: cold, [`${name}_warm_ms`]: median(warm) });
  };
  await measure('aggregates_day_kind', () => run('aggregates', { period: 'day', group_by: 'kind' }));
  await measure('aggregates_month_agent', () => run('aggregates', { period: 'month', group_by: 'agent,team' }));
  await measure('aggregates_hour_of_week', () => run('aggregates', { period: 'none', group_by: 'hour_of_week' }));
  // The wait export over the whole store, or over the range given (a store of 10 M events holds more
  // waits than one export may return: sla.max_export_rows).
  const [from, to] = opt('export-range', '').split(',');
  const range: Record<string, string> = from && to ? { from, to } : {};
  await measure('waits_json', () => run('waits', range));
  await measure('waits_parquet', () => run('waits', range, 'parquet'));
  await measure('live', () => run('live', {}));
  await measure('from_events', async () => (await responseTimesFromEvents(wh, {}))[0]?.waits ?? 0);
  await wh.close();
  return out;
}

/** Child 3 (optional): aggregates over a synthetic waits table of the size a larger store gives. */
async function probePhase(rows: number): Promise<Record<string, number>> {
  const config = loadConfig();
  const wh = await openWarehouse(config);
  await migrate(wh);
  const [filled, fillMs] = await timed(async () => {
    for (let first = 0; first < rows; first += 500_000) await fillSyntheticWaits(wh, { first, rows: Math.min(500_000, rows - first) });
    await mergeTable(wh, WAITS_TABLE);
    for (let slice = 0; slice < 10; slice++) await rewriteRecentWaits(wh, { slice, rows: 5000 });
    return rows;
  });
  const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'), () => new Date('2025-04-01T00:00:00Z'));
  const settings = { ...slaSettings(config.file), maxRangeDays: 10_000 };
  const out: Record<string, number> = { probe_waits: filled, probe_fill_ms: fillMs };
  for (const [name, q] of Object.entries({ day_kind: { period: 'day', group_by: 'kind' }, month_agent: { period: 'month', group_by: 'agent,team' }, hour_of_week: { period: 'none', group_by: 'hour_of_week' } })) {
    const p = parseReportParams('aggregates', { from: '2025-02-01', to: '2025-04-01', tz: 'America/Sao_Paulo', ...q }, settings, deps.now(), 'all');
    const f = () => runReport(deps, 'aggregates', p, false);
    const [, cold] = await timed(f);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await timed(f))[1]);
    Object.assign(out, { [`probe_${name}_cold_ms`]: cold, [`probe_${name}_warm_ms`]: median(warm) });
  }
  await wh.close();
  return out;
}

function child(phase: string, dir: string, env: Record<string, string>, extra: string[] = []): Record<string, number> {
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/sla.ts', '--phase', phase, '--dir', dir, '--probe-waits', opt('probe-waits', '0'), '--runs', String(WARM_RUNS), ...extra], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${phase} phase failed (${r.status})`);
  return JSON.parse(r.stdout.toString().trim().split('\n').pop()!) as Record<string, number>;
}

/** Streams the generated bodies to NDJSON files: the last tenth of the simulated time in ten slices. */
async function generate(sim: { seed: string; start: string; days: number; scale: number }, dir: string): Promise<number> {
  const start = Date.parse(sim.start + 'T00:00:00Z');
  const cutoff = start + sim.days * 0.9 * 86_400_000;
  const slice = (sim.days * 0.1 * 86_400_000) / CHUNKS;
  const a = createWriteStream(join(dir, 'bodies-a.ndjson'));
  const b = Array.from({ length: CHUNKS }, (_, k) => createWriteStream(join(dir, `bodies-b${k}.ndjson`)));
  let n = 0;
  for (const p of generateSync(sim)) {
    const t = p.at.getTime();
    const out = t < cutoff ? a : b[Math.min(CHUNKS - 1, Math.floor((t - cutoff) / slice))]!;
    n++;
    if (!out.write(p.body + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await Promise.all([a, ...b].map((s) => new Promise<void>((r) => s.end(() => r()))));
  return n;
}

async function main(): Promise<void> {
  const phase = opt('phase', '');
  if (phase) {
    const result = phase === 'load' ? await loadPhase(opt('dir', '')) : phase === 'probe' ? await probePhase(Number(opt('probe-waits', '0'))) : await reportPhase();
    console.log(JSON.stringify(result));
    return;
  }
  const store = opt('store', '');
  if (store) {
    // The store was loaded (and its waits job timed) by bench/store.ts; measure the reports on it.
    const info = readStore(store);
    // The export over the store's last seven days.
    const end = Date.parse(`${info.sim.start}T00:00:00Z`) + (info.sim.days ?? 0) * 86_400_000;
    const exportRange = `${new Date(end - 7 * 86_400_000).toISOString().slice(0, 10)},${new Date(end).toISOString().slice(0, 10)}`;
    const env = { DATA_DIR: join(store, 'data'), CONFIG_FILE: join(store, 'config.json'), PII_KEY: 'bench', LOG_LEVEL: 'warn' };
    const reports = child('report', store, env, ['--export-range', exportRange]);
    const load = {
      bodies: info.bodies, events: info.events, load_ms: info.load_ms, ingest_events_per_s: info.ingest_events_per_s,
      full_ms: info.sla_full_ms, full_events: info.sla_full_events, full_events_per_s: info.sla_full_events_per_s,
      incremental_events: info.sla_incremental_events, incremental_job_ms: info.sla_incremental_ms, incremental_chats: info.sla_incremental_chats,
      incremental_events_per_s: info.sla_incremental_events_per_s,
    };
    report(`store ${store}: seed ${info.sim.seed}, ${info.sim.days} days from ${info.sim.start}, scale ${info.sim.scale}`, load, reports);
    return;
  }
  const target = Number(opt('events', '200000'));
  const days = Number(opt('days', '30'));
  const seed = opt('seed', 'bench');
  const scale = Math.max(1, Math.round(target / (ITEMS_PER_SCALE_DAY * days)));
  const dir = mkdtempSync(join(tmpdir(), 'wa-sla-bench-'));
  mkdirSync(join(dir, 'data'));
  const sim = { seed, start: '2025-03-01', days, scale };
  const config = {
    ...simulationConfig(sim),
    // The loader commits before each job run, so no settle time is needed here.
    sla: { job: { settle_seconds: 0 }, policies: [{ effective_from: '2020-01-01', rules: [{ name: 'standard', frt: { minutes: 15, mode: 'business' }, nrt: { hours: 1 }, reply_to_business: { hours: 4 } }] }] },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const t0 = performance.now();
  const bodies = await generate(sim, dir);
  const genMs = ms(t0);
  const env = { DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.json'), PII_KEY: 'bench', LOG_LEVEL: 'warn' };
  const load = child('load', dir, env);
  const reports = child('report', dir, env);
  const probeWaits = Number(opt('probe-waits', '0'));
  if (probeWaits > 0) {
    mkdirSync(join(dir, 'probe'));
    Object.assign(reports, child('probe', dir, { ...env, DATA_DIR: join(dir, 'probe') }));
  }
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  report(`generated ${bodies} bodies (seed ${seed}, ${days} days, scale ${scale}) in ${genMs} ms`, load, reports);
}

function report(title: string, load: Record<string, number>, reports: Record<string, number>): void {
  console.log(title);
  console.log(`\n| measure | value |\n|---|---|`);
  for (const [k, v] of Object.entries({ ...load, ...reports })) console.log(`| ${k} | ${v} |`);
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(1) : 'n/a');
  console.log(`\njob events/s over ingest events/s: full pass ×${ratio(load.full_events_per_s!, load.ingest_events_per_s!)}, incremental ×${ratio(load.incremental_events_per_s!, load.ingest_events_per_s!)}`);
  console.log(`aggregates (day × kind) warm are ×${ratio(reports.from_events_warm_ms!, reports.aggregates_day_kind_warm_ms!)} faster than response times straight from events`);
}

await main();
