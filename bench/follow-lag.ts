/**
 * The SLA follower's lag, from a batch stored to its waits written, as the service's `/metrics`
 * counts it (`wa_follow_lag_seconds`, a histogram). Benchmarks take two readings and report the
 * quantiles of the batches followed between them, as the upper bound of their bucket.
 */

/** Cumulative count of batches per bucket bound (seconds; Infinity for +Inf). */
export type LagReading = Map<number, number>;

export async function followLag(base: string, follower = 'sla.waits'): Promise<LagReading | undefined> {
  const text = await fetch(`${base}/metrics`).then((r) => (r.ok ? r.text() : undefined), () => undefined);
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
