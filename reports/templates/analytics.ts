import { createHash } from 'node:crypto';
import type { AnalyticsRow } from '../../warehouse/schema/templates.ts';
import { c, defineRows, type RowOf } from '../../warehouse/schema/columns.ts';
import { CsvError } from '../billing/csv-table.ts';

/**
 * Reconciliation with Meta's `template_analytics` (Graph API `GET /<WABA_ID>/template_analytics`,
 * DAILY): a saved response is imported, then per template and UTC day Meta's sent, delivered, read,
 * clicked and amount spent are set beside ours, with the differences. Pure: parsing and comparing.
 */

export interface AnalyticsPoint {
  template_id: string;
  day: string;
  sent: number;
  delivered: number;
  read: number;
  clicked: number;
  amount_spent: number | null;
}

const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

/** `{data: [{granularity, data_points: [...]}], paging}` (or an array of such pages). */
export function parseAnalytics(text: string): { points: AnalyticsPoint[]; importId: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CsvError([`not readable JSON: ${(e as Error).message.slice(0, 200)}`]);
  }
  const pages = Array.isArray(doc) ? doc : [doc];
  const series = pages.flatMap((p) => ((p as { data?: unknown })?.data instanceof Array ? (p as { data: unknown[] }).data : []));
  const raw = series.flatMap((s) => ((s as { data_points?: unknown })?.data_points instanceof Array ? (s as { data_points: unknown[] }).data_points : []));
  if (raw.length === 0) throw new CsvError(['expected a template_analytics response: {"data": [{"data_points": [...]}]}']);
  const problems: string[] = [];
  const points: AnalyticsPoint[] = [];
  raw.forEach((item, i) => {
    const where = `data point ${i + 1}`;
    const p = (item ?? {}) as Record<string, unknown>;
    const id = typeof p.template_id === 'string' || typeof p.template_id === 'number' ? String(p.template_id) : '';
    const start = typeof p.start === 'number' ? p.start : NaN;
    const clicked = Array.isArray(p.clicked) ? p.clicked.reduce<number | null>((n, x) => (n === null ? null : count((x as { count?: unknown })?.count) === null ? null : n + (x as { count: number }).count), 0) : p.clicked === undefined ? 0 : null;
    const spent = Array.isArray(p.cost) ? (p.cost as Array<{ type?: unknown; value?: unknown }>).find((x) => x?.type === 'amount_spent')?.value : undefined;
    const fields = { sent: count(p.sent ?? 0), delivered: count(p.delivered ?? 0), read: count(p.read ?? 0) };
    const before = problems.length;
    if (!/^\d{1,30}$/.test(id)) problems.push(`${where}: template_id must be Meta's numeric id`);
    if (!Number.isInteger(start) || start < 1_262_304_000) problems.push(`${where}: start must be Unix seconds`);
    for (const [k, v] of Object.entries(fields)) if (v === null) problems.push(`${where}: ${k} must be a count`);
    if (clicked === null) problems.push(`${where}: clicked must be a list of {type, count}`);
    if (spent !== undefined && typeof spent !== 'number') problems.push(`${where}: amount_spent must be a number`);
    if (problems.length > before) return;
    points.push({ template_id: id, day: new Date(start * 1000).toISOString().slice(0, 10), sent: fields.sent!, delivered: fields.delivered!, read: fields.read!, clicked: clicked!, amount_spent: typeof spent === 'number' ? spent : null });
  });
  if (problems.length) throw new CsvError(problems.slice(0, 100));
  return { points, importId: createHash('sha256').update(text).digest('hex') };
}

export function analyticsRows(points: readonly AnalyticsPoint[], waba: string, importId: string, importedAtMs: number): AnalyticsRow[] {
  return points.map((p) => ({ ...p, waba_id: waba, import_id: importId, imported_at: importedAtMs }));
}

export const RECONCILIATION_ROWS = defineRows({
  waba_id: c.string,
  day: c.string,
  template_id: c.string,
  template: c.string,
  language: c.string,
  meta_sent: c.uint64, sent: c.uint64, sent_diff: c.float64,
  meta_delivered: c.uint64, delivered: c.uint64, delivered_diff: c.float64,
  meta_read: c.uint64, read: c.uint64, read_diff: c.float64,
  meta_clicked: c.uint64, clicked: c.uint64, clicked_diff: c.float64,
  meta_cost: c.nullable(c.float64), cost: c.float64, cost_diff: c.nullable(c.float64),
  /** match | differs | only_meta (no send of ours that day) | only_ours (no data point of Meta's) | unknown_template (an id we cannot name) */
  status: c.string,
});
export type ReconciliationRow = RowOf<typeof RECONCILIATION_ROWS>;

export interface OurDay {
  waba_id: string;
  day: string;
  template: string;
  language: string;
  sent: number;
  delivered: number;
  read: number;
  clicked: number;
  cost: number;
}

// Meta rounds its amounts; a cent apart is the same.
const COST_TOLERANCE = 0.01;
const KINDS = ['sent', 'delivered', 'read', 'clicked'] as const;

/**
 * Meta's points and our days, per template id and UTC day. Our days count only for templates Meta's
 * import names (by id, through the catalogue or the webhooks); `only_differences` drops matches.
 */
export function reconcile(
  meta: ReadonlyArray<AnalyticsPoint & { waba_id: string }>,
  ours: readonly OurDay[],
  names: ReadonlyArray<{ waba_id: string; template_id: string; name: string; language: string }>,
  onlyDifferences: boolean,
): ReconciliationRow[] {
  const nameOf = new Map(names.map((n) => [`${n.waba_id}\0${n.template_id}`, n]));
  const idOf = new Map(names.map((n) => [`${n.waba_id}\0${n.name}\0${n.language}`, n.template_id]));
  const imported = new Set(meta.map((m) => `${m.waba_id}\0${m.template_id}`));
  const ourByKey = new Map<string, OurDay>();
  for (const o of ours) {
    const id = idOf.get(`${o.waba_id}\0${o.template}\0${o.language}`);
    if (id === undefined || !imported.has(`${o.waba_id}\0${id}`)) continue;
    ourByKey.set(`${o.waba_id}\0${id}\0${o.day}`, o);
  }
  const out: ReconciliationRow[] = [];
  const seen = new Set<string>();
  const row = (waba: string, id: string, day: string, m: (typeof meta)[number] | undefined, o: OurDay | undefined): ReconciliationRow => {
    const n = nameOf.get(`${waba}\0${id}`);
    const r = {
      waba_id: waba, day, template_id: id, template: n?.name ?? '', language: n?.language ?? '',
      meta_cost: m ? m.amount_spent : null, cost: Math.round((o?.cost ?? 0) * 1e6) / 1e6, cost_diff: null as number | null, status: '',
    } as ReconciliationRow;
    let differs = false;
    for (const k of KINDS) {
      const mv = m?.[k] ?? 0;
      const ov = o?.[k] ?? 0;
      Object.assign(r, { [`meta_${k}`]: mv, [k]: ov, [`${k}_diff`]: ov - mv });
      if (ov !== mv) differs = true;
    }
    if (r.meta_cost !== null) {
      r.cost_diff = Math.round((r.cost - r.meta_cost) * 1e6) / 1e6;
      if (Math.abs(r.cost_diff) > COST_TOLERANCE) differs = true;
    }
    r.status = !n ? 'unknown_template' : !m ? 'only_ours' : !o ? (differs ? 'only_meta' : 'match') : differs ? 'differs' : 'match';
    return r;
  };
  for (const m of meta) {
    const k = `${m.waba_id}\0${m.template_id}\0${m.day}`;
    seen.add(k);
    out.push(row(m.waba_id, m.template_id, m.day, m, ourByKey.get(k)));
  }
  for (const [k, o] of ourByKey) if (!seen.has(k)) out.push(row(o.waba_id, k.split('\0')[1]!, o.day, undefined, o));
  out.sort((a, b) => (a.waba_id + a.template_id + a.day < b.waba_id + b.template_id + b.day ? -1 : 1));
  return onlyDifferences ? out.filter((r) => r.status !== 'match') : out;
}
