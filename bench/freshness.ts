/**
 * Freshness: how long from a webhook's POST until its event shows in the reports people read — the
 * SLA live list (`/api/reports/sla/live`), the waits (`/api/reports/sla/waits`), the month's
 * conversations (`/api/reports/conversations`) and the managers dashboard's data — idle, then under
 * sustained signed load at a fixed rate (by default half of the rate the service takes at
 * concurrency 32, measured first in the same run). The service runs with its scheduled jobs off, so
 * what is seen is what the loads' derivations made visible. Beside them, the SLA follower's lag (from
 * a batch stored to its waits written, `wa_follow_lag_seconds`) over each phase.
 *
 *   npm run bench:freshness -- [--probes 30] [--rate N] [--seconds-load 5]
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBody } from '../ingest/signature.ts';
import { followLag, lagBetween, lagOf, metricsText, waitFollowed } from './follow-lag.ts';
import { freePort, opt, pct, startProcess, stopProcess, waitFor, waitLoaded } from './lib.ts';

const SECRET = 'bench-secret';
const TOKEN = 'bench-admin-token';
/** The load's business; probes write to another, so the probe's chat is among the few waiting there. */
const WABA = '102290129340398';
const PROBE_WABA = '102290129340399';
const PHONE = '106540352242922';
const probes = Number(opt('probes', '30'));
const loadSeconds = Number(opt('seconds-load', '5'));

const envelope = (value: object, waba = WABA) => JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: waba, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: PHONE }, ...value } }] }] });

async function post(base: string, body: string): Promise<number> {
  const r = await fetch(`${base}/webhook`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, body) } });
  await r.arrayBuffer();
  return r.status;
}

async function getJson(base: string, path: string): Promise<unknown> {
  const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
  return r.json();
}

/** Polls `seen` every 10 ms from the POST's start; returns the milliseconds until it holds. */
async function visibleAfter(send: () => Promise<number>, seen: () => Promise<boolean>, limitMs = 60_000): Promise<number> {
  const t0 = performance.now();
  const status = await send();
  if (status !== 200) throw new Error(`webhook answered ${status}`);
  while (!(await seen())) {
    if (performance.now() - t0 > limitMs) return Infinity;
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t0;
}

type Rows = { columns: string[]; rows: Array<Record<string, unknown>> };
const rowsOf = (x: unknown) => (x as Rows).rows;

interface Probe { live: number; waits: number; conversations: number; dashboard: number }

async function probe(base: string, k: number, tag: string): Promise<Probe> {
  const now = Date.now();
  const waId = String(5511970000000 + Math.floor(Math.random() * 1e6) * 10 + (k % 10));
  const ts = String(Math.floor(now / 1000));
  const month = new Date(now).toISOString().slice(0, 7);
  const day = new Date(now).toISOString().slice(0, 10);
  const inbound = envelope({
    contacts: [{ profile: { name: 'Cliente' }, wa_id: waId }],
    messages: [{ from: waId, id: `wamid.FRESH.${tag}.${k}`, timestamp: ts, type: 'text', text: { body: 'Oi' } }],
  }, PROBE_WABA);
  // A new chat waiting now: the live list, the waits of today, the dashboard's waiting-now chart.
  const live = await visibleAfter(() => post(base, inbound), async () => rowsOf(await getJson(base, `/api/reports/sla/live?list=waiting_now&waba_id=${PROBE_WABA}`)).some((r) => r.contact === waId));
  const waits = await visibleAfter(async () => 200, async () => rowsOf(await getJson(base, `/api/reports/sla/waits?from=${day}&to=${day}&waba_id=${PROBE_WABA}`)).some((r) => r.contact === waId));
  const dashboard = await visibleAfter(async () => 200, async () => JSON.stringify(await getJson(base, `/dashboards/managers/data?waba=${PROBE_WABA}`)).includes(waId));
  // A new charged message (charged once delivered, docs/BILLING.md): the month's conversations count goes up by one.
  const count = async () => rowsOf(await getJson(base, `/api/reports/conversations?month=${month}`)).reduce((n, r) => n + Number(r.count ?? 0), 0);
  const before = await count();
  const pricing = { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' };
  const status = envelope({
    statuses: (['sent', 'delivered'] as const).map((s) => ({ id: `wamid.FRESH.OUT.${tag}.${k}`, status: s, timestamp: ts, recipient_id: waId, pricing })),
  }, PROBE_WABA);
  const conversations = await visibleAfter(() => post(base, status), async () => (await count()) > before);
  return { live, waits: live + waits, conversations, dashboard: live + dashboard };
}

function summary(label: string, ps: Probe[]): void {
  for (const key of ['live', 'waits', 'dashboard', 'conversations'] as const) {
    const xs = ps.map((p) => p[key]).sort((a, b) => a - b);
    console.log(`| ${label} | ${key} | ${ps.length} | ${pct(xs, 0.5).toFixed(0)} | ${pct(xs, 0.99).toFixed(0)} | ${xs.at(-1)!.toFixed(0)} |`);
  }
}

async function background(base: string, rate: number, seconds: number, offset: number): Promise<autocannon.Result> {
  let i = offset;
  return autocannon({
    url: `${base}/webhook`,
    connections: 32,
    // No rate: as fast as the service answers.
    ...(rate > 0 ? { overallRate: rate } : {}),
    duration: seconds,
    requests: [{
      method: 'POST',
      setupRequest: (req: autocannon.Request) => {
        const k = i++;
        const waId = String(5511900000000 + (k % 50000));
        const body = envelope({
          contacts: [{ profile: { name: 'Cliente' }, wa_id: waId }],
          messages: [{ from: waId, id: `wamid.LOAD.${k}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Olá' } }],
        });
        return { ...req, body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, body) } };
      },
    }],
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-fresh-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const service = startProcess(['bin/wa-analytics.mjs', 'serve'], {
  DATA_DIR: dataDir, PORT: String(port), WHATSAPP_APP_SECRET: SECRET, LOG_LEVEL: 'error', JOBS: 'off', API_TOKENS: `admin:${TOKEN}`, METRICS_ACCESS: 'open',
});
try {
  await waitFor(`${base}/healthz`);
  // The most the service takes at 32 connections, then half of it for the sustained load.
  const max = await background(base, 0, 5, 10_000_000);
  const rate = Number(opt('rate', String(Math.round(max.requests.average / 2))));
  console.log(`maximum at 32 connections: ${max.requests.average.toFixed(0)} req/s; sustained load: ${rate} req/s`);
  // Idle means idle: the warehouse has loaded what the maximum run left in the log, and the
  // followers have derived it (else the first idle probes wait behind that backlog).
  await waitLoaded(base);
  await waitFollowed(base);
  console.log('\n| load | report | probes | p50 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|---|');
  const idle: Probe[] = [];
  const idleFrom = await followLag(base);
  for (let k = 0; k < probes; k++) idle.push(await probe(base, k, 'idle'));
  const loadFrom = await followLag(base);
  summary('idle', idle);
  const loaded: Probe[] = [];
  // Probes run while the load runs; the load restarts until every probe is done.
  let done = false;
  let offset = 20_000_000;
  const load = (async () => {
    const results: autocannon.Result[] = [];
    while (!done) {
      results.push(await background(base, rate, loadSeconds, offset));
      offset += 1_000_000;
    }
    return results;
  })();
  // Let the backlog reach its steady state before measuring.
  await new Promise((r) => setTimeout(r, 2000));
  for (let k = 0; k < probes; k++) loaded.push(await probe(base, k, 'load'));
  done = true;
  const results = await load;
  summary(`${rate} req/s`, loaded);
  // One scrape: the follower's lag and the event loop's delay over the load (the histogram restarts at each scrape).
  const after = await metricsText(base);
  const lags = [['idle', lagBetween(idleFrom, loadFrom)], [`${rate} req/s`, lagBetween(loadFrom, lagOf(after))]] as const;
  console.log('\n| load | SLA follower: batches | lag p50 s | lag p99 s |');
  console.log('|---|---|---|---|');
  for (const [label, l] of lags) console.log(`| ${label} | ${l.batches} | ${l.p50} | ${l.p99} |`);
  const non2xx = results.reduce((n, r) => n + r.non2xx, 0);
  const p99 = Math.max(...results.map((r) => r.latency.p99));
  console.log(`\nsustained load: ${results.reduce((n, r) => n + r.requests.total, 0)} requests, non-2xx ${non2xx}, ack p99 ${p99} ms`);
  const loop = (q: string) => Math.round(Number(new RegExp(`^nodejs_eventloop_lag_${q}_seconds (\\S+)`, 'm').exec(after ?? '')?.[1] ?? NaN) * 1000);
  console.log(`service event loop delay over the load: p50 ${loop('p50')} ms, p99 ${loop('p99')} ms, max ${loop('max')} ms`);
} finally {
  await stopProcess(service);
  rmSync(dataDir, { recursive: true, force: true });
}
