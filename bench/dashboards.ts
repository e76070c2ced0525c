/**
 * Dashboards benchmark: time until every chart of each dashboard has rendered in headless Chromium
 * (Debian's /usr/bin/chromium), over generated traffic loaded through the ingest path and the
 * report jobs. The page script's performance marks split the time: page and scripts (navigation →
 * script start), the data request (→ payload parsed: every report read, every spec built; the page
 * preloads it while the scripts load, so this is the part left once the script asks) and drawing
 * (→ every chart drawn). The `/data` call timed from Node in the same run is the reference.
 * Each dashboard is opened cold (first visit of a fresh browser context: scripts not cached) and
 * warm (median of 5 visits in that context). The data is a benchmark store (bench/store.ts): built
 * here at the asked size, or an existing one with `--store <dir>` (10 M events take long to load).
 *
 *   node bin/run-ts.mjs bench/dashboards.ts [--events 100000] [--days 28] [--seed bench-dashboards] [--runs 5] [--store <dir>]
 *     [--dashboards managers,finance,privacy,templates]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { createLogger } from '../app/logger.ts';
import { startService } from '../app/server.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { DASHBOARDS as CATALOG } from '../dashboards/catalog.ts';
import { buildStore, readStore, storeConfig, STORE_TOKEN } from './store.ts';
import { opt, ms, median } from './lib.ts';

const RUNS = Number(opt('runs', '5'));
const TOKEN = STORE_TOKEN;
const DASHBOARDS = opt('dashboards', 'managers,finance,privacy,templates').split(',');
const CHART_COUNT = Object.fromEntries(CATALOG.map((d) => [d.id, d.charts.length]));

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

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
  const given = opt('store', '');
  const dir = given || mkdtempSync(join(tmpdir(), 'wa-bench-dashboards-'));
  try {
    const t0 = performance.now();
    if (!given) await buildStore(dir, { events: Number(opt('events', '100000')), days: Number(opt('days', '28')), seed: opt('seed', 'bench-dashboards') });
    const store = readStore(dir);
    const range = `from=${store.sim.start}&to=${day(0)}`;
    const config = storeConfig(dir);
    const warehouse = await openWarehouse(config);
    const service = await startService(config, { warehouse, log: createLogger('bench', 'warn'), scheduler: false });
    const jobsMs = Object.values(store.jobs_ms).reduce((a, b) => a + b, 0);
    console.log(
      `data: ${store.events.toLocaleString('en')} events in ${store.bodies.toLocaleString('en')} bodies over ${store.sim.days} days (scale ${store.sim.scale}); ` +
        `ingested in ${store.load_ms} ms, jobs ${jobsMs} ms${given ? ` (store ${given})` : `, store built in ${ms(t0)} ms`}\n`,
    );

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
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
    if (!given) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
