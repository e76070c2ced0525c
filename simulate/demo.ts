// `npm run demo`: a fresh service with a month of simulated traffic for two WABAs, loaded through
// the real signed webhook, jobs run once, then left running for a look at the dashboards.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Presets, SingleBar } from 'cli-progress';
import { generate, simulationConfig, type SimOptions } from './engine.ts';
import { Poster } from './post.ts';
import { LineWriter } from './sink.ts';
import { childEnv } from '../app/config.ts';

const TOKENS = { admin: 'demo-admin', manager: 'demo-manager', finance: 'demo-finance', privacy: 'demo-privacy' };
const SECRET = 'demo-secret';

interface DemoArgs {
  exit: boolean;
  port: number | null;
  days: number;
  scale: number;
  start: string | null;
  dataDir: string;
  concurrency: number;
}

function parseArgs(argv: string[]): DemoArgs {
  const a: DemoArgs = { exit: false, port: null, days: 30, scale: 28, start: null, dataDir: './data/demo', concurrency: 64 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--exit': a.exit = true; break;
      case '--port': a.port = Number(v); i++; break;
      case '--days': a.days = Number(v); i++; break;
      case '--scale': a.scale = Number(v); i++; break;
      case '--start': a.start = v ?? null; i++; break;
      case '--data-dir': a.dataDir = v ?? a.dataDir; i++; break;
      case '--concurrency': a.concurrency = Number(v); i++; break;
      default: throw new Error(`demo: unknown option ${argv[i]} (options: --exit --port --days --scale --start --data-dir --concurrency)`);
    }
  }
  return a;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  if (preferred > 0 && (await portFree(preferred))) return preferred;
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
  });
}

function cli(args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const child = spawn(process.execPath, [resolve('bin/wa-analytics.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = createWriteStream(log, { flags: 'a' });
  child.stdout!.pipe(file, { end: false });
  child.stderr!.pipe(file, { end: false });
  return child;
}

async function waitHealthy(base: string, child: ChildProcess, log: string): Promise<void> {
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  for (let i = 0; i < 480; i++) {
    if (exited !== null) throw new Error(`the service exited (code ${exited}) before it was healthy; see ${log}:\n${tail(log)}`);
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`the service did not answer /healthz within two minutes; see ${log}`);
}

async function waitLoaded(base: string): Promise<void> {
  for (;;) {
    const h = await fetch(`${base}/healthz`).then((r) => r.json() as Promise<{ ingest?: { backlog_bytes: number } }>, () => undefined);
    if (h?.ingest?.backlog_bytes === 0) return;
    await sleep(250);
  }
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done(child.exitCode);
    child.once('exit', (code) => done(code ?? 1));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const code = await Promise.race([exitOf(child), sleep(20_000).then(() => null)]);
  if (code === null) child.kill('SIGKILL');
}

/** SLA targets for the demo's dashboards: ads answered fast, the rest within business hours. */
const DEMO_SLA = {
  policies: [
    {
      effective_from: '2022-01-01',
      rules: [
        { name: 'ads', entry_point: 'ctwa', frt: { minutes: 15, mode: 'calendar' }, nrt: { hours: 1, mode: 'business' } },
        { name: 'standard', frt: { hours: 1, mode: 'business' }, nrt: { hours: 4, mode: 'business' }, reply_to_business: { hours: 8, mode: 'business' } },
      ],
    },
  ],
};

/** The shipped EXAMPLE cards (made-up prices), loaded through the API as finance would. */
async function loadExampleRateCards(base: string): Promise<void> {
  const dir = resolve(new URL('../reports/billing/rate-cards', import.meta.url).pathname);
  for (const file of readdirSync(dir).filter((f) => /^EXAMPLE-(rates|tiers)-[A-Z]{3}-\d{4}-\d\d-\d\d\.csv$/.test(f))) {
    const [, , currency, date] = /^EXAMPLE-(rates|tiers)-([A-Z]{3})-(\d{4}-\d\d-\d\d)\.csv$/.exec(file)!;
    const r = await fetch(`${base}/api/billing/rate-cards?currency=${currency}&effective_from=${date}&name=${encodeURIComponent(file)}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKENS.finance}`, 'Content-Type': 'text/csv' },
      body: readFileSync(join(dir, file)),
    });
    if (r.status !== 201) console.log(`demo: rate card ${file} not loaded (${r.status})`);
  }
  console.log('demo: example rate cards loaded (made-up prices, USD; not Meta\'s)');
}

export async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  // A month ending yesterday, so "now" views of the dashboards have something to show.
  const today = new Date().toISOString().slice(0, 10);
  const start = a.start ?? new Date(Date.parse(today) - a.days * 86_400_000).toISOString().slice(0, 10);
  const sim: SimOptions = { seed: 'demo', start, days: a.days, scale: a.scale, secret: SECRET };

  const dataDir = resolve(a.dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ ...simulationConfig(sim), sla: DEMO_SLA }, null, 2) + '\n');
  const log = join(dataDir, 'service.log');
  const port = await freePort(a.port ?? 3000);
  const base = `http://127.0.0.1:${port}`;
  const env = childEnv({
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    WHATSAPP_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: 'demo-verify',
    API_TOKENS: Object.entries(TOKENS).map(([role, token]) => `${role}:${token}`).join(','),
    CONFIG_FILE: configFile,
  });

  console.log(`demo: data in ${dataDir}, service log in ${log}`);
  let service = cli(['serve'], env, log);
  const onSignal = () => void stop(service).then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await waitHealthy(base, service, log);
  console.log(`demo: service healthy at ${base}; loading ${a.days} days from ${start} (two WABAs, scale ${a.scale})`);
  await loadExampleRateCards(base);

  const truth = new LineWriter(join(dataDir, 'truth.ndjson'));
  const poster = new Poster({ url: `${base}/webhook`, secret: SECRET, concurrency: a.concurrency, rate: 0 });
  const bar = new SingleBar({ format: 'demo [{bar}] day {value}/{total} | {bodies} bodies', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  const tty = process.stderr.isTTY;
  if (tty) bar.start(a.days, 0, { bodies: 0 });
  const began = Date.now();
  let bodies = 0;
  for await (const p of generate({ ...sim, onTruth: (r) => truth.push(JSON.stringify(r)), onDay: (d) => tty && bar.update(d.index + 1, { bodies }) })) {
    await poster.post(p.body, p.signature);
    if (++bodies % 256 === 0) {
      await truth.ready();
      if (tty) bar.update({ bodies });
    }
  }
  await poster.drain();
  await truth.close();
  if (tty) bar.stop();
  console.log(`demo: ${bodies} bodies posted in ${((Date.now() - began) / 1000).toFixed(1)} s (${poster.retries} retries); truth in ${join(dataDir, 'truth.ndjson')}`);

  // Every acknowledged body is in the ingest log; wait until the loader has moved it all into the
  // warehouse, then give the jobs the data directory while the service rests.
  await waitLoaded(base);
  await stop(service);
  const jobs = cli(['jobs', 'run-once'], env, log);
  let out = '';
  jobs.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  jobs.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await exitOf(jobs);
  const summary = out.trim().split('\n').filter((l) => !l.startsWith('{')).pop() ?? '';
  if (code === 0) console.log(`demo: ${summary || 'jobs ran once'}`);
  else if (/unknown command/i.test(out)) console.log('demo: this build has no "jobs run-once" command; skipped');
  else console.log(`demo: jobs run-once exited with ${code}${summary ? ` (${summary})` : ''}; details in ${log}`);

  if (a.exit) {
    console.log('demo: loaded (--exit): not restarting the service');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    return;
  }
  service = cli(['serve'], env, log);
  await waitHealthy(base, service, log);
  console.log(`
Open ${base}/dashboards (sign in with a token below), or call the API with "Authorization: Bearer <token>":
  ${base}/dashboards/managers      ${base}/api/reports/sla        ${base}/api/reports/sla/live
  ${base}/dashboards/finance       ${base}/api/reports/conversations   ${base}/api/reports/charges
  ${base}/dashboards/privacy       ${base}/api/reports/forecast
Tokens: ${Object.entries(TOKENS).map(([role, token]) => `${role}=${token}`).join('  ')}
Press Ctrl-C to stop.`);
  await exitOf(service);
}

const invoked = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (invoked) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
