/**
 * Ingest benchmark: signed POSTs from a separate process (autocannon, here) at several concurrency
 * levels against (a) the real service — acknowledged once the body is fsynced to the ingest log,
 * with the loader storing it in the warehouse and the reports' derivations following, all on the
 * same machine — and (b) in the same run a bare node:http server that only verifies the HMAC and
 * parses the JSON. With `--ack-only` the loader waits (a long linger) so the figures are those of the
 * acknowledgement path alone: what the answer costs when the warehouse's work is elsewhere.
 *
 *   npm run bench:ingest -- [--seconds 10] [--levels 1,16,64] [--ack-only] [--profile]
 *
 * Without `--ack-only`, after each level's load the bench also waits until what was acknowledged is
 * loaded and derived (the log empty, every follower caught up): "drain" is that wait, and "stored
 * events/s" the events acknowledged over the load's seconds plus the drain — what the whole pipeline
 * sustains. `--profile` prints the warehouse time per declared query over each level.
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBody } from '../ingest/signature.ts';
import { metricsText, waitFollowed } from './follow-lag.ts';
import { freePort, opt, rssMiB, startProcess, stopProcess, waitFor, waitLoaded } from './lib.ts';

const SECRET = 'bench-secret';
const seconds = Number(opt('seconds', '10'));
const levels = opt('levels', '1,16,64').split(',').map(Number);

/** A realistic mix: one inbound message, or a batch of one to three statuses with pricing. */
function body(i: number): { body: string; items: number } {
  const ts = String(1760000000 + i);
  const meta = { display_phone_number: '15550783881', phone_number_id: '106540352242922' };
  if (i % 3 === 0) {
    const value = {
      messaging_product: 'whatsapp', metadata: meta,
      contacts: [{ profile: { name: 'Cliente ' + (i % 997) }, wa_id: String(5511900000000 + (i % 50000)) }],
      messages: [{ from: String(5511900000000 + (i % 50000)), id: `wamid.BENCH.IN.${i}`, timestamp: ts, type: 'text', text: { body: 'Olá, meu pedido ainda não chegou 📦' } }],
    };
    return { body: JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value }] }] }), items: 1 };
  }
  const n = 1 + (i % 3);
  const statuses = Array.from({ length: n }, (_, k) => ({
    id: `wamid.BENCH.OUT.${i}.${k}`, status: 'delivered', timestamp: ts, recipient_id: String(5511900000000 + (i % 50000)),
    conversation: { id: `conv.${i}`, origin: { type: 'utility' } },
    pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' },
    biz_opaque_callback_data: 'v1;src=h;ag=a12;tm=support',
  }));
  return { body: JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: meta, statuses } }] }] }), items: n };
}

const POOL = Array.from({ length: 4096 }, (_, i) => body(i));
const SIGNED = POOL.map((b) => ({ ...b, sig: signBody(SECRET, b.body) }));
const itemsPerBody = POOL.reduce((n, b) => n + b.items, 0) / POOL.length;

interface Result { level: number; reqPerSec: number; eventsPerSec: number; p50: number; p99: number; non2xx: number; errors: number; peakRssMiB: number }

async function load(url: string, level: number, pid: number, offset: number): Promise<Result> {
  let i = offset;
  let peak = rssMiB(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 200);
  const r = await autocannon({
    url,
    connections: level,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (req: autocannon.Request) => {
          // Fresh ids on every request so the warehouse stores new rows, not re-deliveries.
          const k = i++;
          const b = SIGNED[k % SIGNED.length]!;
          const text = k < SIGNED.length ? b.body : b.body.replaceAll('wamid.BENCH.', `wamid.B${Math.floor(k / SIGNED.length)}.`);
          const sig = k < SIGNED.length ? b.sig : signBody(SECRET, text);
          return { ...req, body: text, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } };
        },
      },
    ],
  });
  clearInterval(sampler);
  return {
    level,
    reqPerSec: r.requests.average,
    eventsPerSec: r.requests.average * itemsPerBody,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    peakRssMiB: Math.round(peak),
  };
}

/** Warehouse seconds per declared query, summed over outcomes, from the service's `/metrics`. */
function querySeconds(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of (text ?? '').matchAll(/^wa_warehouse_query_seconds_sum\{([^}]*)\} (\S+)$/gm)) {
    const q = /query="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
    out.set(q, (out.get(q) ?? 0) + Number(m[2]));
  }
  return out;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-ingest-'));
  const servicePort = await freePort();
  const barePort = await freePort();
  const ackOnly = process.argv.includes('--ack-only');
  const service = startProcess(['bin/wa-analytics.mjs', 'serve'], {
    DATA_DIR: dataDir, PORT: String(servicePort), WHATSAPP_APP_SECRET: SECRET, LOG_LEVEL: 'warn', JOBS: 'off', API_TOKENS: '',
    METRICS_ACCESS: 'open',
    ...(ackOnly ? { INGEST_LINGER_MS: '60000', INGEST_BATCH_BYTES: String(2 ** 30) } : {}),
  });
  const bare = startProcess(['bin/run-ts.mjs', 'bench/bare-server.ts', String(barePort), SECRET], {});
  try {
    await waitFor(`http://127.0.0.1:${servicePort}/healthz`);
    await waitFor(`http://127.0.0.1:${barePort}/`);
    const rows: Array<{ target: string } & Result> = [];
    let offset = 0;
    for (const level of levels) {
      const b = await load(`http://127.0.0.1:${barePort}/webhook`, level, bare.pid!, 0);
      const base = `http://127.0.0.1:${servicePort}`;
      const before = querySeconds(await metricsText(base));
      const s = await load(`${base}/webhook`, level, service.pid!, offset);
      offset += Math.ceil(s.reqPerSec * seconds) + 10_000;
      if (!ackOnly) {
        const t0 = performance.now();
        await waitLoaded(base);
        await waitFollowed(base);
        const drainS = (performance.now() - t0) / 1000;
        console.log(`concurrency ${level}: drain ${drainS.toFixed(1)} s, stored events/s ${((s.eventsPerSec * seconds) / (seconds + drainS)).toFixed(0)}`);
      }
      if (process.argv.includes('--profile')) {
        const after = querySeconds(await metricsText(base));
        const spent = [...after].map(([q, v]) => [q, v - (before.get(q) ?? 0)] as const).filter(([, v]) => v > 0.05).sort((a, b) => b[1] - a[1]);
        for (const [q, v] of spent.slice(0, 15)) console.log(`  ${q}: ${v.toFixed(2)} s`);
      }
      rows.push({ target: 'bare node:http', ...b }, { target: 'wa-analytics', ...s });
      console.log(
        `concurrency ${level}: bare ${b.reqPerSec.toFixed(0)} req/s, service ${s.reqPerSec.toFixed(0)} req/s ` +
          `(${s.eventsPerSec.toFixed(0)} events/s), ratio ${(s.reqPerSec / b.reqPerSec).toFixed(2)}, ` +
          `service p50 ${s.p50} ms p99 ${s.p99} ms, non-2xx ${s.non2xx}, peak RSS ${s.peakRssMiB} MiB`,
      );
    }
    console.log('\n| concurrency | target | req/s | events/s | p50 ms | p99 ms | non-2xx | peak RSS MiB | ratio to bare |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (let k = 0; k < rows.length; k += 2) {
      const b = rows[k]!;
      const s = rows[k + 1]!;
      for (const r of [b, s]) {
        console.log(`| ${r.level} | ${r.target} | ${r.reqPerSec.toFixed(0)} | ${r.eventsPerSec.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.peakRssMiB} | ${(r.reqPerSec / b.reqPerSec).toFixed(2)} |`);
      }
    }
  } finally {
    await stopProcess(service);
    await stopProcess(bare);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
