import type { TemplateChange } from '../../warehouse/queries/templates/history.ts';
import { c, defineRows, type RowOf } from '../../warehouse/schema/columns.ts';
import type { TemplateRow } from './performance.ts';

/**
 * Quality risk: per template × language, failures and opt-outs in the range against the window of
 * the same length before it, beside the template's latest quality rating and status. Pure.
 *
 * `risk` is `high` when Meta rates the template RED or it is PAUSED/DISABLED; `rising` when the
 * failure or opt-out rate at least doubled (with at least `MIN_EVENTS` such events in the range, so
 * one opt-out among three sends is not an alarm) or the rating is YELLOW; else `ok`.
 */

export const MIN_EVENTS = 3;

export const RISK_ROWS = defineRows({
  waba_id: c.string,
  template: c.string,
  language: c.string,
  risk: c.string,
  quality: c.string,
  quality_since: c.string,
  status: c.string,
  status_since: c.string,
  sent: c.uint64,
  failed: c.uint64,
  opted_out: c.uint64,
  failure_rate: c.nullable(c.float64),
  optout_rate: c.nullable(c.float64),
  sent_before: c.uint64,
  failed_before: c.uint64,
  opted_out_before: c.uint64,
  failure_rate_before: c.nullable(c.float64),
  optout_rate_before: c.nullable(c.float64),
});
export type RiskRow = RowOf<typeof RISK_ROWS>;

interface Totals {
  sent: number;
  failed: number;
  opted_out: number;
  delivered: number;
}

const key = (r: { waba_id: string; template: string; language: string }) => `${r.waba_id}\0${r.template}\0${r.language}`;
const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 1e6) / 1e6 : null);

function totals(rows: readonly TemplateRow[]): Map<string, Totals> {
  const m = new Map<string, Totals>();
  for (const r of rows) {
    if (!r.template) continue;
    const t = m.get(key(r)) ?? { sent: 0, failed: 0, opted_out: 0, delivered: 0 };
    t.sent += r.sent;
    t.failed += r.failed;
    t.opted_out += r.opted_out;
    t.delivered += r.delivered;
    m.set(key(r), t);
  }
  return m;
}

// Failures among the sends whose fate is known (delivered or failed); opt-outs over delivered.
const failureRate = (t: Totals) => ratio(t.failed, t.delivered + t.failed);
const optoutRate = (t: Totals) => ratio(t.opted_out, t.delivered);

const rose = (now: number | null, before: number | null, events: number) =>
  now !== null && events >= MIN_EVENTS && (before === null || before === 0 || now >= 2 * before);

export function riskRows(current: readonly TemplateRow[], previous: readonly TemplateRow[], changes: readonly TemplateChange[]): RiskRow[] {
  const now = totals(current);
  const before = totals(previous);
  const latest = new Map<string, { quality: string; quality_since: string; status: string; status_since: string }>();
  for (const ch of [...changes].sort((a, b) => a.at.localeCompare(b.at))) {
    const k = key(ch);
    const l = latest.get(k) ?? { quality: '', quality_since: '', status: '', status_since: '' };
    // The imported catalogue speaks only for what no webhook of that kind ever said.
    const catalogue = ch.field === 'catalogue';
    if ((ch.field === 'message_template_quality_update' || (catalogue && ch.event === 'quality')) && ch.value) Object.assign(l, { quality: ch.value.toUpperCase(), quality_since: ch.at });
    if ((ch.field === 'message_template_status_update' || (catalogue && ch.event === 'status')) && ch.value) Object.assign(l, { status: ch.value.toUpperCase(), status_since: ch.at });
    latest.set(k, l);
  }
  const keys = new Set([...now.keys(), ...[...latest.keys()].filter((k) => now.has(k) || before.has(k))]);
  const zero: Totals = { sent: 0, failed: 0, opted_out: 0, delivered: 0 };
  const out: RiskRow[] = [];
  for (const k of [...keys].sort()) {
    const [waba_id = '', template = '', language = ''] = k.split('\0');
    const n = now.get(k) ?? zero;
    const b = before.get(k) ?? zero;
    const l = latest.get(k) ?? { quality: '', quality_since: '', status: '', status_since: '' };
    const row = {
      waba_id, template, language, ...l,
      sent: n.sent, failed: n.failed, opted_out: n.opted_out, failure_rate: failureRate(n), optout_rate: optoutRate(n),
      sent_before: b.sent, failed_before: b.failed, opted_out_before: b.opted_out, failure_rate_before: failureRate(b), optout_rate_before: optoutRate(b),
    };
    const high = l.quality === 'RED' || l.status === 'PAUSED' || l.status === 'DISABLED';
    const rising = l.quality === 'YELLOW' || rose(row.failure_rate, row.failure_rate_before, n.failed) || rose(row.optout_rate, row.optout_rate_before, n.opted_out);
    out.push({ ...row, risk: high ? 'high' : rising ? 'rising' : 'ok' });
  }
  const order = { high: 0, rising: 1, ok: 2 } as Record<string, number>;
  return out.sort((a, b) => order[a.risk]! - order[b.risk]! || a.waba_id.localeCompare(b.waba_id) || a.template.localeCompare(b.template) || a.language.localeCompare(b.language));
}
