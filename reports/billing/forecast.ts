import { addDays, datesOfMonth, weekdayOf } from './zone.ts';

/**
 * Month-end forecast by run-rate with a weekday profile. Days are local dates of the WABA. The level
 * (count per "average weekday") comes from the month's complete days, each weighed by its weekday;
 * the weekday profile and the day-to-day noise come from the weeks before. The interval adds the
 * noise of the remaining days to the uncertainty of the level, never narrower than Poisson noise.
 */

export interface ForecastInput {
  month: string;
  /** Local date the forecast is made on; days before it are complete. */
  asOf: string;
  /** Count per local date: the month's days and the weeks before it (missing dates count as 0). */
  daily: ReadonlyMap<string, number>;
  /** Count so far on the as-of day (it is still running). */
  today?: number;
  /** Days before the month used for the weekday profile and the noise. */
  historyDays?: number;
  confidence?: number;
}

export interface Forecast {
  actualToDate: number;
  forecast: number;
  low: number;
  high: number;
  elapsedDays: number;
  remainingDays: number;
  /** Expected count per remaining date (the as-of day included). */
  expected: Map<string, number>;
  profile: number[];
}

/** Weekday weights, 1 = average; index 0 = Monday. */
export function weekdayProfile(days: ReadonlyArray<readonly [string, number]>): number[] {
  const sum = [0, 0, 0, 0, 0, 0, 0];
  const n = [0, 0, 0, 0, 0, 0, 0];
  for (const [date, v] of days) {
    const d = weekdayOf(date) - 1;
    sum[d]! += v;
    n[d]!++;
  }
  const total = sum.reduce((a, b) => a + b, 0);
  const count = n.reduce((a, b) => a + b, 0);
  if (total <= 0 || count === 0) return [1, 1, 1, 1, 1, 1, 1];
  const mean = total / count;
  const raw = sum.map((s, i) => (n[i]! > 0 ? s / n[i]! / mean : 1));
  // A weekday seen fewer than three times is pulled towards average rather than trusted alone.
  const shrunk = raw.map((w, i) => (n[i]! >= 3 ? w : (n[i]! * w + 1) / (n[i]! + 1)));
  const avg = shrunk.reduce((a, b) => a + b, 0) / 7;
  return shrunk.map((w) => w / avg);
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

function level(days: ReadonlyArray<readonly [string, number]>, profile: number[]): number {
  let y = 0;
  let w = 0;
  for (const [date, v] of days) {
    y += v;
    w += profile[weekdayOf(date) - 1]!;
  }
  return w > 0 ? y / w : 0;
}

/** Relative day-to-day spread of counts around level × weekday weight. */
function relativeSpread(days: ReadonlyArray<readonly [string, number]>, profile: number[], lvl: number): number {
  if (days.length < 2 || lvl <= 0) return 0;
  const r = days.map(([date, v]) => v / (lvl * profile[weekdayOf(date) - 1]!) - 1);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  return Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
}

export function forecastMonth(input: ForecastInput): Forecast {
  const dates = datesOfMonth(input.month);
  const first = dates[0]!;
  const last = dates[dates.length - 1]!;
  const asOf = input.asOf < first ? first : input.asOf > addDays(last, 1) ? addDays(last, 1) : input.asOf;
  const value = (d: string) => input.daily.get(d) ?? 0;
  const elapsed = dates.filter((d) => d < asOf).map((d) => [d, value(d)] as const);
  const remaining = dates.filter((d) => d >= asOf);
  const historyDays = input.historyDays ?? 56;
  const history = Array.from({ length: historyDays }, (_, i) => addDays(first, i - historyDays))
    .filter((d) => input.daily.has(d))
    .map((d) => [d, value(d)] as const);
  const profile = weekdayProfile([...history, ...elapsed]);
  const historyLevel = level(history, profile);
  const monthLevel = elapsed.length > 0 ? level(elapsed, profile) : historyLevel;
  // Few complete days: lean on the recent weeks' level, fading out over the first week.
  const weight = Math.min(1, elapsed.length / 7);
  const lvl = history.length > 0 ? weight * monthLevel + (1 - weight) * (level(history.slice(-14), profile) || monthLevel) : monthLevel;
  const spreadDays = elapsed.length >= 7 ? elapsed : [...history.slice(-28), ...elapsed];
  const spread = Math.max(relativeSpread(history, profile, historyLevel), relativeSpread(spreadDays, profile, lvl));
  const expected = new Map<string, number>();
  let sum = 0;
  let noise = 0;
  for (const d of remaining) {
    const e = lvl * profile[weekdayOf(d) - 1]!;
    expected.set(d, e);
    sum += e;
    noise += (e * spread) ** 2;
  }
  const today = remaining[0] === asOf ? (input.today ?? 0) : 0;
  const todayExpected = expected.get(asOf) ?? 0;
  const actualDone = elapsed.reduce((a, [, v]) => a + v, 0);
  const forecast = actualDone + sum + Math.max(0, today - todayExpected);
  const levelDays = Math.max(1, elapsed.length + (1 - weight) * Math.min(14, history.length));
  const variance = Math.max(noise, sum) + (sum * spread) ** 2 / levelDays;
  const z = normalQuantile(0.5 + (input.confidence ?? 0.9) / 2);
  const half = z * Math.sqrt(variance);
  const actualToDate = actualDone + today;
  return {
    actualToDate,
    forecast,
    low: Math.max(actualToDate, forecast - half),
    high: forecast + half,
    elapsedDays: elapsed.length,
    remainingDays: remaining.length,
    expected,
    profile,
  };
}

/**
 * The local date the free tier runs out: the day the cumulative count of conversations drawing on
 * it reaches the limit, from actual days first and then from the expected days.
 */
export function freeTierRunsOut(
  limit: number,
  dates: readonly string[],
  actual: ReadonlyMap<string, number>,
  expected: ReadonlyMap<string, number>,
): { date: string | null; projected: boolean } {
  let seen = 0;
  let projected = 0;
  for (const d of dates) {
    const a = actual.get(d) ?? 0;
    seen += a;
    projected += expected.has(d) ? Math.max(a, expected.get(d)!) : a;
    if (seen >= limit) return { date: d, projected: false };
    if (projected >= limit) return { date: d, projected: true };
  }
  return { date: null, projected: true };
}
