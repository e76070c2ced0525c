/**
 * Fault benchmark: SIGKILL during sustained signed load, then restart. Every event that got a 200
 * (fsynced to the ingest log) must be in the warehouse once the restarted service has loaded its
 * log; prints acked, stored and lost (must be 0) per round.
 *
 *   npm run bench:faults -- [--rounds 3] [--seconds 4] [--concurrency 32]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBody } from '../ingest/signature.ts';
import { freePort, opt, startProcess, stopProcess, waitFor, waitLoaded } from './lib.ts';

const SECRET = 'bench-secret';
const rounds = Number(opt('rounds', '3'));
const seconds = Number(opt('seconds', '4'));
const concurrency = Number(opt('concurrency', '32'));

function post(port: number, agent: Agent, id: string): Promise<number> {
  const body = Buffer.from(JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' }, statuses: [{ id, status: 'sent', timestamp: '1760000000', recipient_id: '5511999990000' }] } }] }],
  }));
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/webhook', method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Hub-Signature-256': signBody(SECRET, body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function round(n: number, dataDir: string): Promise<{ sent: number; acked: number; stored: number; lost: number }> {
  const port = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), WHATSAPP_APP_SECRET: SECRET, LOG_LEVEL: 'error', JOBS: 'off', API_TOKENS: '' };
  const service = startProcess(['bin/wa-analytics.mjs', 'serve'], env);
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const acked: string[] = [];
  let sent = 0;
  let running = true;
  const killAt = Date.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = 0; running; i++) {
      const id = `wamid.FAULT.${n}.${w}.${i}`;
      sent++;
      if ((await post(port, agent, id)) === 200) acked.push(id);
    }
  };
  const workers = Array.from({ length: concurrency }, (_, w) => worker(w));
  while (Date.now() < killAt) await new Promise((r) => setTimeout(r, 50));
  service.kill('SIGKILL');
  await new Promise((r) => service.once('exit', r));
  running = false;
  await Promise.all(workers);
  agent.destroy();
  // Restart on the same data, let it load what its log holds, then count from outside the service.
  const again = startProcess(['bin/wa-analytics.mjs', 'serve'], env);
  await waitFor(`http://127.0.0.1:${port}/healthz`);
  await waitLoaded(`http://127.0.0.1:${port}`);
  await stopProcess(again);
  const idsFile = join(dataDir, `acked-${n}.txt`);
  writeFileSync(idsFile, acked.join('\n'));
  const out = execFileSync(process.execPath, ['bin/run-ts.mjs', 'bench/count-stored.ts', dataDir, idsFile], { encoding: 'utf8' });
  const { found } = JSON.parse(out.trim().split('\n').pop()!) as { found: number };
  return { sent, acked: acked.length, stored: found, lost: acked.length - found };
}

const dataDir = mkdtempSync(join(tmpdir(), 'wa-bench-faults-'));
let lostTotal = 0;
console.log('| round | requests sent | acknowledged (200) | acknowledged and stored | lost |');
console.log('|---|---|---|---|---|');
try {
  for (let n = 1; n <= rounds; n++) {
    const r = await round(n, dataDir);
    lostTotal += r.lost;
    console.log(`| ${n} | ${r.sent} | ${r.acked} | ${r.stored} | ${r.lost} |`);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`\nSIGKILL under load, ${rounds} rounds of ${seconds} s at concurrency ${concurrency}: ${lostTotal} acknowledged events lost`);
process.exit(lostTotal === 0 ? 0 : 1);
