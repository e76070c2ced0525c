/**
 * Alerts benchmark, two figures the issue sets:
 *  (a) latency: an alert reaches its channel ≤ 5 s after its condition becomes true in the data. A
 *      service runs on a fresh DATA_DIR (in a child process) with one rule, "anyone waiting" per WABA
 *      (`sla_waiting_now`, max_count 0), and a webhook recipient: an HTTP receiver in the same
 *      process. Each probe POSTs a signed customer message of a new WABA and times its arrival at
 *      the receiver (signal → load → SLA follower → alert follower → signed webhook); p50/p99.
 *  (b) cost: evaluating 1,000 rules over a store (`--store <dir>`, bench/store.ts) in one cycle, a
 *      first (cold, every firing sent) and then warm cycles (median), ≤ 1 s a cycle; and the cycle
 *      that follows each load, of the SLA and template rules only (the others run on the schedule);
 *      and every rule right after a load of new traffic through the service (the tables changed, so
 *      nothing is kept from the cycle before).
 * Prints a markdown table.
 *
 *   node bin/run-ts.mjs bench/alerts.ts --store <dir> [--probes 20] [--rules 1000] [--runs 5] [--advance-s 60] [--answer-oldest 20]
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { buildDeps, startService } from '../app/server.ts';
import { createAlertEngine } from '../reports/alerts/engine.ts';
import { alertEngine } from '../reports/alerts/module.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { forgetOtherInstances, forgetRuleItems, forgetRuleStates } from '../warehouse/queries/alerts/store.ts';
import { migrate } from '../warehouse/migrate.ts';
import { openWaits, type OpenWait } from '../warehouse/queries/alerts/open-waits.ts';
import { ALL_WABAS } from '../warehouse/scope.ts';
import { queryDuration } from '../warehouse/metrics.ts';
import { readStore, storeConfig } from './store.ts';
import { median, opt, pct, timed } from './lib.ts';

const SECRET = 'bench-secret';
const HOOK_SECRET = 'bench-hook-secret-0123456789';

/** A receiver standing in for the webhook channel: resolves each probe's wait when its WABA's alert arrives. */
async function receiver(): Promise<{ url: string; arrival(waba: string): Promise<number>; close(): Promise<void> }> {
  const waiting = new Map<string, (at: number) => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200).end('ok');
      const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { state: string; items: Array<{ waba_id?: string }> };
      if (m.state !== 'firing') return;
      for (const i of m.items) if (i.waba_id) waiting.get(i.waba_id)?.(at);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrival: (waba) => new Promise((resolve) => waiting.set(waba, resolve)),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Child (a): probes on a fresh service. */
async function latencyPhase(probes: number): Promise<Record<string, number | Record<string, number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-bench-alerts-'));
  const hooks = await receiver();
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    sla: { policies: [{ effective_from: '2020-01-01', rules: [{ name: 'all', frt: { minutes: 10 } }] }] },
    alerts: {
      recipients: [{ id: 'ops', role: 'manager', wabas: 'all', webhook: { url: `${hooks.url}/ops`, secret: HOOK_SECRET } }],
      rules: [{ id: 'anyone-waiting', kind: 'sla_waiting_now', max_count: 0 }],
    },
  }));
  const config = loadConfig({ ...process.env, DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.json'), WHATSAPP_APP_SECRET: SECRET, PII_KEY: 'bench', LOG_LEVEL: 'warn', JOBS: 'off', PORT: '0' });
  const svc = await startService(config, { scheduler: false });
  const times: number[] = [];
  try {
    for (let i = 0; i < probes; i++) {
      const waba = String(9_100_000_000_000 + i);
      const waId = String(5511_900_000_000 + i);
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: waba, changes: [{ field: 'messages', value: {
          messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: `p${i}` },
          contacts: [{ profile: { name: 'Cliente' }, wa_id: waId }],
          messages: [{ from: waId, id: `wamid.bench.${i}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Olá' } }],
        } }] }],
      });
      const arrived = hooks.arrival(waba);
      const t0 = performance.now();
      const r = await fetch(`${svc.url()}/webhook`, {
        method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex') },
      });
      if (r.status !== 200) throw new Error(`webhook answered ${r.status}`);
      times.push((await arrived) - t0);
    }
  } finally {
    // The last delivery's log and audit rows are written after the receiver answered.
    await alertEngine(svc.deps).idle();
    await svc.stop();
    await hooks.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { probes, p50_ms: Math.round(pct(sorted, 0.5)), p99_ms: Math.round(pct(sorted, 0.99)), max_ms: Math.round(sorted.at(-1)!) };
}

/** The bench's rule ids: their state is forgotten at each start, so the first cycle fires as on a new deployment. */
const RULE_PREFIX = 'bench-r';

/** 1,000 rules of every kind, spread over the store's WABAs (SLA rules the most, as a deployment would have). */
function manyRules(n: number, wabas: readonly string[]): unknown[] {
  const one = (i: number) => {
    const scope = { wabas: i % 3 === 0 ? [] : [wabas[i % wabas.length]!] };
    const id = `${RULE_PREFIX}${i}`;
    switch (i % 10) {
      case 0: case 1: case 2: return { id, kind: 'sla_at_risk', percent: 50 + (i % 50), scope };
      case 3: case 4: return { id, kind: 'sla_breached', scope, family: i % 2 ? 'human' : 'any' };
      case 5: return { id, kind: 'sla_waiting_now', max_count: i % 20, scope };
      case 6: return { id, kind: 'sla_window_closing', within_minutes: 60 * (1 + (i % 4)), scope };
      case 7: return { id, kind: 'forecast_over_budget', budget: 10 * i, scope };
      case 8: return { id, kind: 'template_quality', quality: 'YELLOW', scope };
      // The tenth: the finance, privacy and service rules a deployment has a few of each.
      default:
        switch (Math.floor(i / 10) % 5) {
          case 0: return { id, kind: 'free_tier_running_out', within_days: 3, scope };
          case 1: return { id, kind: 'spend_rise', rise_percent: 10 + (i % 90), scope };
          case 2: return { id, kind: 'rights_request_due', days_before: 1 + (i % 30) };
          case 3: return { id, kind: 'retention_breach' };
          default: return { id, kind: 'audit_chain_broken' };
        }
    }
  };
  return Array.from({ length: n }, (_, i) => one(i));
}

/** Warehouse time (s) and calls by read or write, summed over some cycles. */
type Spent = Map<string, { s: number; calls: number }>;

/** Adds what was spent since the last reset to `into`, then starts over. */
async function spentSinceReset(into: Spent): Promise<void> {
  for (const v of (await queryDuration.get()).values) {
    const name = `${v.labels.query}/${v.labels.outcome}`;
    const e = into.get(name) ?? { s: 0, calls: 0 };
    if (v.metricName?.endsWith('_sum')) e.s += v.value;
    else if (v.metricName?.endsWith('_count')) e.calls += v.value;
    into.set(name, e);
  }
  queryDuration.reset();
}

/** Each warehouse read and write's time (ms) and calls per cycle since the last call, by name, the costliest first; then starts over. */
async function warehouseTime(cycles: number, spent: Spent = new Map()): Promise<Record<string, string>> {
  await spentSinceReset(spent);
  return Object.fromEntries([...spent]
    .filter(([, e]) => e.s > 0)
    .sort((a, b) => b[1].s - a[1].s).slice(0, 8)
    .map(([name, e]) => [name.split('/')[0]!, `${Math.round((1000 * e.s) / cycles)} ms in ${Math.round(e.calls / cycles)}`]));
}

/** Child (b): evaluation cycles of many rules over the store. */
async function rulesPhase(store: string, n: number, runs: number, advanceS: number, answerOldest: number) {
  const config = storeConfig(store, { INSTANCE_ID: 'bench-alerts' });
  const wh = await openWarehouse(config);
  await migrate(wh);
  const hooks = await receiver();
  const info = readStore(store);
  // The store's last simulated instant: its waits are as live as they were then.
  const end = new Date(Date.parse(info.sim.start + 'T00:00:00Z') + (info.sim.days ?? 7) * 86_400_000);
  // Warm cycles move the clock on by `advanceS` each (waits age, some pass a threshold: what a live
  // deployment's cycles see), or not at all.
  let clock = end.getTime();
  const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'), () => new Date(clock));
  const wabas = config.file.tenants.map((t) => t.waba_id);
  const file = {
    ...config.file,
    alerts: {
      retry: { attempts: 1, backoff_ms: 1 },
      // The rules' own audiences (SLA: manager; forecast: finance; templates: both): an admin alone is told nothing.
      recipients: (['manager', 'finance'] as const).map((role) => ({ id: role, role, wabas: 'all', webhook: { url: `${hooks.url}/${role}`, secret: HOOK_SECRET } })),
      rules: manyRules(n, wabas.length ? wabas : ['none']),
    },
  };
  await forgetRuleStates(wh, { prefix: RULE_PREFIX });
  await forgetRuleItems(wh, { prefix: RULE_PREFIX });
  // The clock stands at the store's end, so every earlier run's instance would look alive and own rules.
  await forgetOtherInstances(wh, { keep: config.instanceId });
  const engine = createAlertEngine({ ...deps, config: { ...config, file } });
  const [first, coldMs] = await timed(() => engine.evaluate());
  await engine.idle();
  const warm: number[] = [];
  let failed = first.failed.length;
  // Where the warm cycles wait on the warehouse: each read and write's time per cycle, by name.
  queryDuration.reset();
  for (let i = 0; i < runs; i++) {
    clock += advanceS * 1000;
    const [s, t] = await timed(() => engine.evaluate());
    failed += s.failed.length;
    warm.push(t);
  }
  const warmWarehouse = await warehouseTime(runs);
  // The cycle that follows each load evaluates the SLA and template rules only (the rest run on the schedule).
  const follow: number[] = [];
  let followRules = 0;
  for (let i = 0; i < runs; i++) {
    clock += advanceS * 1000;
    const [s, t] = await timed(() => engine.evaluate({ loadsOnly: true }));
    failed += s.failed.length;
    followRules = s.rules;
    follow.push(t);
  }
  const followWarehouse = await warehouseTime(runs);
  // A cycle of every rule right after a load, as a live deployment's scheduled cycle meets one: new
  // customers write in and priced statuses arrive, through the ingest log, the loader and its
  // followers (waits, billing facts, template sends); then every rule is evaluated. What the cycles
  // above kept (the open waits, the forecast) is read again because its tables changed.
  const svc = await startService(config, { warehouse: wh, scheduler: false, now: () => new Date(clock) });
  // `--answer-oldest`: each load also answers some waits of the oldest month (late in a month, answers
  // land in a month that holds most of the open waits, so its open waits are read again).
  const oldest = answerOldest ? await oldestMonthWaits(wh, answerOldest * runs) : [];
  const live: number[] = [];
  const liveMessages: number[] = [];
  // The cycles' own reads and writes, not the load's derivations before them.
  const liveSpent: Spent = new Map();
  try {
    for (let i = 0; i < runs; i++) {
      clock += advanceS * 1000;
      for (const body of [...liveLoad(config.file.tenants, clock, i), ...answers(oldest.slice(i * answerOldest, (i + 1) * answerOldest), clock, i)]) {
        const r = await fetch(`${svc.url()}/webhook`, {
          method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': 'sha256=' + createHmac('sha256', 'bench-secret').update(body).digest('hex') },
        });
        if (r.status !== 200) throw new Error(`webhook answered ${r.status}`);
      }
      await svc.settle();
      queryDuration.reset();
      const [s, t] = await timed(() => engine.evaluate());
      await spentSinceReset(liveSpent);
      failed += s.failed.length;
      live.push(t);
      liveMessages.push(s.messages);
    }
  } finally {
    await engine.idle();
    await svc.stop();
  }
  queryDuration.reset();
  const liveWarehouse = await warehouseTime(runs, liveSpent);
  await hooks.close();
  await wh.close();
  return {
    warehouse_warm: warmWarehouse, warehouse_follow: followWarehouse, warehouse_live: liveWarehouse, rules: first.rules, events: info.events, first_cycle_ms: coldMs,
    first_cycle_messages: first.messages, warm_cycle_ms: median(warm), follow_rules: followRules, follow_cycle_ms: median(follow), live_cycle_ms: median(live), live_cycles_ms: live, live_messages: liveMessages, failed_rules: failed,
  };
}

/** Open waits of the oldest month in the store (the customers a late answer goes to). */
async function oldestMonthWaits(wh: Awaited<ReturnType<typeof openWarehouse>>, n: number): Promise<OpenWait[]> {
  const all = await openWaits(wh, { families: ['any'], waba_ids: [], phone_number_ids: [], teams: [], row_limit: 200_000, ...ALL_WABAS });
  const first = all.reduce((m, w) => (w.partition < m ? w.partition : m), '999999');
  return all.filter((w) => w.partition === first).slice(0, n);
}

/** A business reply (a sent status) to each wait's customer, from its phone number. */
function answers(waits: readonly OpenWait[], at: number, round: number): string[] {
  const ts = String(Math.floor(at / 1000));
  return waits.map((w, k) => JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: w.waba_id, changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: w.phone_number_id },
      statuses: [{ id: `wamid.late.${round}.${k}`, status: 'sent', timestamp: ts, recipient_id: w.wa_id, biz_opaque_callback_data: 'v1;src=h;ag=bench;tm=care' }],
    } }] }],
  }));
}

/** One load of a live minute: per phone number, ten new customers writing in and ten priced template sends delivered (signed bodies). */
function liveLoad(tenants: ReadonlyArray<{ waba_id: string; phone_numbers?: ReadonlyArray<{ phone_number_id: string }> }>, at: number, round: number): string[] {
  const ts = String(Math.floor(at / 1000));
  const bodies: string[] = [];
  tenants.forEach((t, w) => (t.phone_numbers ?? []).forEach((p, n) => {
    const value = (v: Record<string, unknown>) => JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: t.waba_id, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550000000', phone_number_id: p.phone_number_id }, ...v } }] }],
    });
    const ids = Array.from({ length: 10 }, (_, k) => String(5519_700_000_000 + ((round * 97 + w * 13 + n) * 10 + k)));
    bodies.push(value({
      contacts: ids.map((id) => ({ profile: { name: 'Cliente' }, wa_id: id })),
      messages: ids.map((id) => ({ from: id, id: `wamid.live.${id}.${round}`, timestamp: ts, type: 'text', text: { body: 'Olá' } })),
    }));
    const pricing = { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' };
    bodies.push(value({
      statuses: ids.flatMap((id) => [
        { id: `wamid.live.out.${id}.${round}`, status: 'sent', timestamp: ts, recipient_id: id, pricing },
        { id: `wamid.live.out.${id}.${round}`, status: 'delivered', timestamp: ts, recipient_id: id },
      ]),
    }));
  }));
  return bodies;
}

function child(phase: string, extra: string[]): Record<string, number | Record<string, string>> {
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/alerts.ts', '--phase', phase, ...extra], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${phase} phase failed (${r.status})`);
  return JSON.parse(r.stdout.toString().trim().split('\n').pop()!) as Record<string, number | Record<string, string>>;
}

async function main(): Promise<void> {
  const phase = opt('phase', '');
  const probes = Number(opt('probes', '20'));
  const rules = Number(opt('rules', '1000'));
  const runs = Number(opt('runs', '5'));
  const store = opt('store', '');
  if (phase === 'latency') return void console.log(JSON.stringify(await latencyPhase(probes)));
  if (phase === 'rules') return void console.log(JSON.stringify(await rulesPhase(store, rules, runs, Number(opt('advance-s', '0')), Number(opt('answer-oldest', '0')))));
  if (!store) throw new Error('give --store <dir> (a store built by bench/store.ts)');
  const lat = child('latency', ['--probes', String(probes)]);
  const cost = child('rules', ['--store', store, '--rules', String(rules), '--runs', String(runs), '--advance-s', opt('advance-s', '0')]);
  console.log(`\n## Alerts (${new Date().toISOString().slice(0, 10)}, store ${store}: ${cost.events} events)\n`);
  console.log('| measure | value | target |');
  console.log('|---|---|---|');
  console.log(`| condition true → webhook arrives, p50 over ${lat.probes} probes | ${lat.p50_ms} ms | |`);
  console.log(`| … p99 (max ${lat.max_ms} ms) | ${lat.p99_ms} ms | ≤ 5000 ms |`);
  console.log(`| ${cost.rules} rules, first cycle (${cost.first_cycle_messages} messages sent) | ${cost.first_cycle_ms} ms | |`);
  console.log(`| ${cost.rules} rules, a cycle (median of ${runs}) | ${cost.warm_cycle_ms} ms | ≤ 1000 ms |`);
  console.log(`| the ${cost.follow_rules} of them evaluated after each load (SLA, templates), a cycle (median of ${runs}) | ${cost.follow_cycle_ms} ms | |`);
  console.log(`| ${cost.rules} rules right after a load of new traffic (median of ${runs}) | ${cost.live_cycle_ms} ms | |`);
  console.log(`\nWarehouse time of a cycle by read or write (ms in calls; deliveries run beside the cycles):\n- all rules: ${JSON.stringify(cost.warehouse_warm)}\n- after a load: ${JSON.stringify(cost.warehouse_follow)}\n- all rules after a load of new traffic: ${JSON.stringify(cost.warehouse_live)}`);
  if (cost.failed_rules) console.log(`\n${cost.failed_rules} rule evaluations failed (see the log).`);
}

await main();
