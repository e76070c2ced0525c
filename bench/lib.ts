import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { queryDuration } from '../warehouse/metrics.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(url).then((r) => r.status < 500, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

export function startProcess(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Resident set size of a process in MiB (Linux), for peak-RSS sampling. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The service's JavaScript heap in use and the memory its warehouse engine tracks (MiB), from `/metrics` text. */
export function memoryOf(text: string | undefined): { heap: number; engine: number } | undefined {
  if (!text) return undefined;
  const mib = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1_048_576;
  return { heap: mib('nodejs_heap_size_used_bytes'), engine: mib('wa_warehouse_memory_bytes') };
}

export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
  await done;
  clearTimeout(t);
}

export function pct(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The service's ingest backlog, from its health answer (undefined while it does not answer). */
export async function backlog(base: string): Promise<{ bytes: number; ageSeconds: number } | undefined> {
  const h = await fetch(`${base}/healthz`).then((r) => r.json() as Promise<{ ingest?: { backlog_bytes: number; backlog_age_seconds: number } }>, () => undefined);
  return h?.ingest ? { bytes: h.ingest.backlog_bytes, ageSeconds: h.ingest.backlog_age_seconds } : undefined;
}

/** Waits until the service has loaded its whole ingest log into the warehouse. */
export async function waitLoaded(base: string, timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await backlog(base))?.bytes === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} did not load its ingest log`);
}

/** `--name value` from the command line, or the default. */
export function opt(name: string, dflt: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
}

/** Milliseconds since `t0` (a `performance.now()`), rounded. */
export const ms = (t0: number) => Math.round(performance.now() - t0);

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `f` and returns its result with the milliseconds it took. */
export async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, ms(t0)];
}

/** Warehouse time (s) and calls per declared query of this process so far (`wa_warehouse_query_seconds`), every outcome. */
export async function warehouseTimes(): Promise<Map<string, { s: number; n: number }>> {
  const out = new Map<string, { s: number; n: number }>();
  for (const v of (await queryDuration.get()).values) {
    const e = out.get(String(v.labels.query)) ?? { s: 0, n: 0 };
    if (v.metricName?.endsWith('_sum')) e.s += v.value;
    else if (v.metricName?.endsWith('_count')) e.n += v.value;
    out.set(String(v.labels.query), e);
  }
  return out;
}
