/**
 * Dashboards benchmark: time until every chart of each dashboard has rendered in headless Chromium
 * (Debian's /usr/bin/chromium), over generated traffic loaded through the ingest path and the
 * report jobs. The page script's performance marks split the time: page and scripts (navigation →
 * script start), the data request (→ payload parsed: every report read, every spec built) and
 * drawing (→ every chart drawn). The `/data` call timed from Node in the same run is the reference.
 * Each dashboard is opened cold (first visit of a fresh browser context: scripts not cached) and
 * warm (median of 5 visits in that context).
 *
 *   node bin/run-ts.mjs bench/dashboards.ts [--days 28] [--scale 150] [--seed bench-dashboards] [--runs 5]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { startService, type Service } from '../app/server.ts';
import { IngestWriter } from '../ingest/writer.ts';
import { createIngestMetrics } from '../ingest/metrics.ts';
import { replay } from '../ingest/replay.ts';
import { runAllOnce } from '../reports/scheduler.ts';
import { BillingReports } from '../reports/billing/service.ts';
import { openRequest } from '../reports/compliance/rights.ts';
import { generateSync, simulationConfig } from '../simulate/engine.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrate.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const DAYS = Number(opt('days', '28'));
const SCALE = Number(opt('scale', '150'));
const SEED = opt('seed', 'bench-dashboards');
const RUNS = Number(opt('runs', '5'));
const TOKEN = 'bench-admin-token';
const DASHBOARDS = ['managers', 'finance', 'privacy'] as const;
const CHART_COUNT = { managers: 10, finance: 6, privacy: 5 };

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: number) => Math.round(performance.now() - t0);

/** Generated bodies to an NDJSON file (ending yesterday, so retention keeps them); returns the item count. */
function generate(dir: string, start: string): { file: string; items: number; bodies: number } {
  const file = join(dir, 'bodies.ndjson');
  const lines: string[] = [];
  let items = 0;
  for (const p of generateSync({
    seed: SEED,
    start,
    days: DAYS,
    scale: SCALE,
    onTruth: (t) => {
      if (t.kind === 'summary') items = Number(t.items ?? 0);
    },
  })) {
    lines.push(p.body);
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, items, bodies: lines.length };
}

/** Loads the bodies through the ingest writer, the example rate card, then runs every job once. */
async function load(service: Service, file: string): Promise<{ ingestMs: number; jobsMs: number }> {
  const log = createLogger('bench', 'warn');
  let t0 = performance.now();
  const writer = new IngestWriter(service.deps.warehouse, service.deps.config.ingest, createIngestMetrics(), log);
  await replay(file, writer);
  await writer.drain();
  const ingestMs = ms(t0);
  const card = join('reports', 'billing', 'rate-cards', 'EXAMPLE-rates-USD-2025-07-01.csv');
  await new BillingReports(service.deps).loadRateCard(readFileSync(card, 'utf8'), {
    currency: 'USD',
    effectiveFrom: '2025-07-01',
    sourceName: 'EXAMPLE-rates-USD-2025-07-01.csv',
    loadedBy: 'bench',
  });
  // Meta's figures for two days (reconciliation) and two rights requests (the register).
  const waba = service.deps.config.file.tenants[0]!.waba_id;
  const first = Date.parse(`${day(-DAYS - 1)}T03:00:00Z`) / 1000;
  await new BillingReports(service.deps).importAnalytics(
    {
      id: waba,
      pricing_analytics: {
        data: [
          {
            data_points: [
              { start: first, end: first + 86_400, volume: 7, pricing_category: 'MARKETING', pricing_type: 'REGULAR', country: 'BR' },
              { start: first + 86_400, end: first + 172_800, volume: 3, pricing_category: 'UTILITY', pricing_type: 'REGULAR', country: 'BR' },
            ],
          },
        ],
      },
    },
    waba,
    'bench',
  );
  for (const [type, jurisdiction, ago] of [['access', 'lgpd', DAYS - 1], ['erasure', 'gdpr', 2]] as const) {
    await openRequest(service.deps, { type, jurisdiction, subjectHash: service.deps.pseudonyms.subject(`55119999${ago}`), receivedAt: new Date(Date.now() - ago * 86_400_000), handledBy: 'bench' });
  }
  t0 = performance.now();
  // Jobs page by when rows were received: run them a minute "later" so nothing is too recent.
  const r = await runAllOnce(service.jobs, log, () => new Date(Date.now() + 60_000));
  if (r.failed.length) console.log(`(jobs that failed: ${r.failed.join(', ')})`);
  return { ingestMs, jobsMs: ms(t0) };
}

interface Timing {
  /** Navigation start → every chart drawn. */
  ms: number;
  script: number;
  data: number;
  drawing: number;
  charts: number;
  marks: number;
}

/** Milliseconds from navigation start until the page script reports every chart drawn, split by its marks. */
async function timeToRendered(page: Page, url: string): Promise<Timing> {
  await page.goto(url);
  await page.waitForSelector('main[data-state=ready]', { timeout: 120_000 });
  return page.evaluate(`(() => {
    const at = (n) => performance.getEntriesByName('dashboard:' + n).at(-1).startTime;
    return {
      ms: Math.round(at('rendered')),
      script: Math.round(at('script')),
      data: Math.round(at('data') - at('fetch')),
      drawing: Math.round(at('rendered') - at('data')),
      charts: document.querySelectorAll('figure[data-rendered=chart]').length,
      marks: document.querySelectorAll('figure svg .role-mark > *').length,
    };
  })()`) as Promise<Timing>;
}

async function timeData(base: string, path: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return ms(t0);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-bench-dashboards-'));
  const start = day(-DAYS - 1);
  const range = `from=${start}&to=${day(0)}`;
  try {
    let t0 = performance.now();
    const gen = generate(dir, start);
    const genMs = ms(t0);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...simulationConfig({ seed: SEED, start, days: DAYS }), sla: { policies: [{ effective_from: '2024-01-01', rules: [{ name: 'standard', frt: { minutes: 15 }, nrt: { minutes: 30 } }] }] } }));
    const config = loadConfig({
      DATA_DIR: join(dir, 'data'),
      CONFIG_FILE: join(dir, 'config.json'),
      API_TOKENS: `admin:${TOKEN}`,
      WHATSAPP_APP_SECRET: 'bench-secret',
      PII_KEY: 'bench',
      LOG_LEVEL: 'warn',
      JOBS: 'off',
      PORT: '0',
    });
    const warehouse = await openWarehouse(config);
    await migrate(warehouse);
    const service = await startService(config, { warehouse, log: createLogger('bench', 'warn'), scheduler: false });
    const loaded = await load(service, gen.file);
    console.log(`data: ${gen.items.toLocaleString('en')} items in ${gen.bodies.toLocaleString('en')} bodies over ${DAYS} days (scale ${SCALE}); generated in ${genMs} ms, ingested in ${loaded.ingestMs} ms, jobs ${loaded.jobsMs} ms\n`);

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const base = service.url();
    console.log('| dashboard | charts drawn | marks | cold: all drawn | warm: all drawn | warm: page + scripts | warm: data request | warm: drawing | `/data` from Node | drawing ÷ `/data` |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const d of DASHBOARDS) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` } });
      const page = await context.newPage();
      const cold = await timeToRendered(page, `${base}/dashboards/${d}?${range}`);
      const warm: Timing[] = [];
      const node: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        warm.push(await timeToRendered(page, `${base}/dashboards/${d}?${range}`));
        node.push(await timeData(base, `/dashboards/${d}/data?${range}`));
      }
      const m = (k: keyof Timing) => median(warm.map((w) => w[k]));
      const last = warm.at(-1)!;
      console.log(
        `| ${d} | ${last.charts} of ${CHART_COUNT[d]} | ${last.marks.toLocaleString('en')} | ${cold.ms} ms | ${m('ms')} ms | ${m('script')} ms | ${m('data')} ms | ${m('drawing')} ms | ${median(node)} ms | ${(m('drawing') / median(node)).toFixed(2)} |`,
      );
      await context.close();
    }
    await browser.close();
    await service.stop();
    await warehouse.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
