/**
 * Sustained load: a fixed rate of signed POSTs for a fixed time against the real service; prints,
 * per window, the rate achieved, p99 acknowledgement latency, the service's RSS and the largest ingest
 * backlog seen (bytes and age of the oldest body not yet loaded), and the SLA follower's lag (from a
 * batch stored to its waits written, p50/p99 of the batches followed in the window, as bucket
 * bounds of `wa_follow_lag_seconds`), with the share of chats it went on with from carried state.
 * RSS, the backlog and the lag must stay flat. `--customers` (20,000) write in turn; `--carried-chats`
 * sets `sla.follow.carried_chats` (else its default).
 *
 *   npm run bench:soak -- [--rate 500] [--seconds 120] [--window 10] [--customers 20000] [--carried-chats N]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBody } from '../ingest/signature.ts';
import { carriedShare, chatsOf, lagBetween, lagOf, metricsText, type ChatPaths, type LagReading } from './follow-lag.ts';
import { backlog, freePort, memoryOf, opt, pct, rssMiB, startProcess, stopProcess, waitFor } from './lib.ts';

const SECRET = 'bench-secret';
const rate = Number(opt('rate', '500'));
const seconds = Number(opt('seconds', '120'));
const windowS = Number(opt('window', '10'));
const customers = Number(opt('customers', '20000'));
const carriedChats = opt('carried-chats', '');

const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-soak-'));
const configFile = join(dataDir, 'config.json');
writeFileSync(configFile, JSON.stringify(carriedChats ? { sla: { follow: { carried_chats: Number(carriedChats) } } } : {}));
const port = await freePort();
const service = startProcess(['bin/wa-analytics.mjs', 'serve'], {
  DATA_DIR: dataDir, CONFIG_FILE: configFile, PORT: String(port), WHATSAPP_APP_SECRET: SECRET, LOG_LEVEL: 'error', JOBS: 'off', API_TOKENS: '', METRICS_ACCESS: 'open',
});
await waitFor(`http://127.0.0.1:${port}/healthz`);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

let seq = 0;
function post(): Promise<{ ms: number; status: number }> {
  const i = seq++;
  const value = {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
    contacts: [{ profile: { name: 'Cliente' }, wa_id: String(5511900000000 + (i % customers)) }],
    messages: [{ from: String(5511900000000 + (i % customers)), id: `wamid.SOAK.${i}`, timestamp: String(1760000000 + i), type: 'text', text: { body: 'Oi, tudo bem? 😀' } }],
  };
  const body = Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', changes: [{ field: 'messages', value }] }] }));
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/webhook', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Hub-Signature-256': signBody(SECRET, body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0 }));
    });
    req.on('error', () => resolve({ ms: performance.now() - t0, status: 0 }));
    req.end(body);
  });
}

interface Window { ok: number; failed: number; latencies: number[]; rss: number; backlogBytes: number; backlogAge: number; lag?: LagReading; chats?: ChatPaths; heap?: number; engine?: number }
const windows: Window[] = [];
const start = performance.now();
const pending = new Set<Promise<void>>();
let next = start;
console.log(`soak: ${rate} req/s for ${seconds} s, windows of ${windowS} s, ${customers} customers, carried chats ${carriedChats || 'default'}`);
console.log('| t (s) | acked/s | failed | p50 ms | p99 ms | RSS MiB | JS heap MiB | engine MiB | backlog KiB | backlog age s | follower batches | lag p50 s | lag p99 s | chats carried |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
// The backlog, sampled once a second from the service's health answer.
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const b = await backlog(`http://127.0.0.1:${port}`);
    const w = Math.floor((performance.now() - start) / (windowS * 1000));
    const win = (windows[w] ??= { ok: 0, failed: 0, latencies: [], rss: 0, backlogBytes: 0, backlogAge: 0 });
    if (b) {
      win.backlogBytes = Math.max(win.backlogBytes, b.bytes);
      win.backlogAge = Math.max(win.backlogAge, b.ageSeconds);
    }
    // The last reading in a window (one scrape): the window's lag is what was followed since the one
    // before; where the memory is: the JavaScript heap, and what the embedded engine tracks.
    const text = await metricsText(`http://127.0.0.1:${port}`);
    win.lag = lagOf(text) ?? win.lag;
    win.chats = chatsOf(text) ?? win.chats;
    const mem = memoryOf(text);
    if (mem) [win.heap, win.engine] = [mem.heap, mem.engine];
    await new Promise((r) => setTimeout(r, 1000));
  }
})();
while (performance.now() - start < seconds * 1000) {
  // Open loop: requests leave on schedule whatever the answers do (bounded in flight).
  while (next <= performance.now() && pending.size < 2000) {
    const w = Math.floor((next - start) / (windowS * 1000));
    const p = post().then((r) => {
      const win = (windows[w] ??= { ok: 0, failed: 0, latencies: [], rss: 0, backlogBytes: 0, backlogAge: 0 });
      if (r.status === 200) win.ok++;
      else win.failed++;
      win.latencies.push(r.ms);
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
    next += 1000 / rate;
  }
  const w = Math.floor((performance.now() - start) / (windowS * 1000));
  const win = (windows[w] ??= { ok: 0, failed: 0, latencies: [], rss: 0, backlogBytes: 0, backlogAge: 0 });
  win.rss = Math.max(win.rss, rssMiB(service.pid!));
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.all(pending);
sampling = false;
await sampler;
for (let w = 0; w < windows.length; w++) {
  const win = windows[w]!;
  const l = win.latencies.sort((a, b) => a - b);
  const lag = lagBetween(windows[w - 1]?.lag, win.lag);
  console.log(`| ${(w + 1) * windowS} | ${(win.ok / windowS).toFixed(0)} | ${win.failed} | ${pct(l, 0.5).toFixed(1)} | ${pct(l, 0.99).toFixed(1)} | ${win.rss.toFixed(0)} | ${win.heap?.toFixed(0) ?? '–'} | ${win.engine?.toFixed(0) ?? '–'} | ${(win.backlogBytes / 1024).toFixed(0)} | ${win.backlogAge.toFixed(1)} | ${lag.batches} | ${lag.p50} | ${lag.p99} | ${carriedShare(windows[w - 1]?.chats, win.chats)} |`);
}
const steady = windows.slice(1).map((w) => w.rss).filter((r) => r > 0);
if (steady.length >= 2) {
  const growth = steady[steady.length - 1]! / steady[0]!;
  console.log(`\nRSS from the second window to the last: ×${growth.toFixed(2)} (${steady[0]!.toFixed(0)} → ${steady[steady.length - 1]!.toFixed(0)} MiB)`);
}
agent.destroy();
await stopProcess(service);
rmSync(dataDir, { recursive: true, force: true });
