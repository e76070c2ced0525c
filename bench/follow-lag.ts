/**
 * The SLA follower's lag, from a batch stored to its waits written, as the service's `/metrics`
 * counts it (`wa_follow_lag_seconds`, a histogram). Benchmarks take two readings and report the
 * quantiles of the batches followed between them, as the upper bound of their bucket.
 */

/** Cumulative count of batches per bucket bound (seconds; Infinity for +Inf). */
export type LagReading = Map<number, number>;

/** The service's `/metrics` text (undefined while it does not answer): one scrape for several readings. */
export async function metricsText(base: string): Promise<string | undefined> {
  return fetch(`${base}/metrics`).then((r) => (r.ok ? r.text() : undefined), () => undefined);
}

export async function followLag(base: string, follower = 'sla.waits'): Promise<LagReading | undefined> {
  return lagOf(await metricsText(base), follower);
}

export function lagOf(text: string | undefined, follower = 'sla.waits'): LagReading | undefined {
  if (!text) return undefined;
  const out: LagReading = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('wa_follow_lag_seconds_bucket{') || !line.includes(`follower="${follower}"`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le) out.set(le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export interface LagSummary {
  batches: number;
  p50: string;
  p99: string;
}

/** Quantiles of the batches followed between two readings, as "≤ bucket bound" in seconds. */
export function lagBetween(before: LagReading | undefined, after: LagReading | undefined): LagSummary {
  const bounds = [...(after?.keys() ?? [])].sort((a, b) => a - b);
  const delta = bounds.map((le) => (after!.get(le) ?? 0) - (before?.get(le) ?? 0));
  const n = delta.at(-1) ?? 0;
  const q = (p: number) => {
    if (n === 0) return '–';
    const i = delta.findIndex((c) => c >= p * n);
    return bounds[i] === Infinity ? `> ${bounds.at(-2)}` : `≤ ${bounds[i]}`;
  };
  return { batches: n, p50: q(0.5), p99: q(0.99) };
}

/** Chats the SLA follower computed so far, by path (`wa_sla_follow_chats_total`). */
export interface ChatPaths {
  carried: number;
  thread: number;
}

export function chatsOf(text: string | undefined): ChatPaths | undefined {
  if (!text) return undefined;
  const path = (p: string) => Number(new RegExp(`^wa_sla_follow_chats_total\\{path="${p}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { carried: path('carried'), thread: path('thread') };
}

/** The share of chats computed from carried state between two readings (percent, or '–'). */
export function carriedShare(before: ChatPaths | undefined, after: ChatPaths | undefined): string {
  const carried = (after?.carried ?? 0) - (before?.carried ?? 0);
  const all = carried + (after?.thread ?? 0) - (before?.thread ?? 0);
  return all > 0 ? `${Math.round((100 * carried) / all)} % of ${all}` : '–';
}

/** A counter's value per follower, from `/metrics` text. */
function perFollower(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const f = /follower="([^"]+)"/.exec(line)?.[1];
    if (f) out.set(f, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/**
 * Waits until every follower has followed (or left to its job) as many batches as the loader
 * stored: what a load left is derived, not only loaded. Polls `/metrics`.
 */
export async function waitFollowed(base: string, timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const text = await fetch(`${base}/metrics`).then((r) => (r.ok ? r.text() : ''), () => '');
    const loaded = Number(/^wa_ingest_batch_bodies_count (\S+)$/m.exec(text)?.[1] ?? NaN);
    const followed = perFollower(text, 'wa_follow_batches_total');
    const abandoned = perFollower(text, 'wa_follow_batches_abandoned_total');
    if (Number.isFinite(loaded) && followed.size > 0 && [...followed].every(([f, n]) => n + (abandoned.get(f) ?? 0) >= loaded)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base}: the followers did not catch up with the loads`);
}
