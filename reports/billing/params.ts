import { FORMATS, type ExportFormat } from '../format.ts';
import { BOUNDS_TEXT, yearInBounds } from '../range.ts';
import { CHARGE_DIMENSIONS, type ChargeDimension } from './charges.ts';
import { BillingRequestError } from './service.ts';
import { isDate, isMonth } from './zone.ts';
import { parseLabelFilter } from '../labels/params.ts';
import type { LabelledPeriodFilter } from '../../warehouse/queries/labels/charges.ts';

/** Query parameters of the billing routes and CLI options, checked with errors that name them. */

type Query = Record<string, unknown>;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BillingRequestError(400, `${name} must be given once`);
  return v;
}

export function monthParam(q: Query, required = false): string | undefined {
  const m = one(q, 'month');
  if (m === undefined || m === '') {
    if (required) throw new BillingRequestError(400, 'month is required (YYYY-MM)');
    return undefined;
  }
  if (!isMonth(m)) throw new BillingRequestError(400, `month must be YYYY-MM, got "${m.slice(0, 20)}"`);
  if (!yearInBounds(m)) throw new BillingRequestError(400, `month must be ${BOUNDS_TEXT}, got "${m}"`);
  return m;
}

export function dateParam(q: Query, name: string): string | undefined {
  const d = one(q, name);
  if (d === undefined || d === '') return undefined;
  if (!isDate(d)) throw new BillingRequestError(400, `${name} must be a date YYYY-MM-DD, got "${d.slice(0, 20)}"`);
  if (!yearInBounds(d)) throw new BillingRequestError(400, `${name} must be ${BOUNDS_TEXT}, got "${d}"`);
  return d;
}

export function wabaParam(q: Query): string | undefined {
  const w = one(q, 'waba_id');
  return w === '' ? undefined : w;
}

export function formatParam(q: Query): ExportFormat {
  const f = one(q, 'format') ?? 'json';
  if (!(FORMATS as readonly string[]).includes(f)) throw new BillingRequestError(400, `format must be one of ${FORMATS.join('|')}`);
  return f as ExportFormat;
}

/**
 * `label=` / `label_match=` (reports/labels/params.ts) and `label` in `group_by`: undefined when
 * neither is asked, so the report reads its rollup as before.
 */
export function labelParam(q: Query): LabelledPeriodFilter | undefined {
  const f = parseLabelFilter(q);
  const grouped = (one(q, 'group_by') ?? '').split(',').some((d) => d.trim() === 'label');
  return f.labels.length > 0 || grouped ? { ...f, grouped } : undefined;
}

/** The conversations report groups by nothing but `label`. */
export function conversationGroupParam(q: Query): void {
  const g = one(q, 'group_by');
  if (g !== undefined && g !== '' && g !== 'none' && g.trim() !== 'label') throw new BillingRequestError(400, 'group_by takes label; or none');
}

export function groupByParam(q: Query): ChargeDimension[] | undefined {
  const g = withoutLabel(one(q, 'group_by'));
  if (g === undefined) return undefined;
  if (g === '' || g === 'none') return [];
  const dims = g.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = dims.filter((d) => !(CHARGE_DIMENSIONS as readonly string[]).includes(d));
  if (bad.length) throw new BillingRequestError(400, `group_by takes ${CHARGE_DIMENSIONS.join(',')}; unknown: ${bad.join(',').slice(0, 60)}`);
  return dims as ChargeDimension[];
}

/** `group_by` without its `label` (the label grouping is not a rollup dimension): `group_by=label` alone groups by label only. */
function withoutLabel(g: string | undefined): string | undefined {
  if (g === undefined) return undefined;
  const dims = g.split(',').map((s) => s.trim());
  return dims.includes('label') ? dims.filter((d) => d !== 'label' && d !== '').join(',') : g;
}

export function flagParam(q: Query, name: string): boolean {
  const v = one(q, name);
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new BillingRequestError(400, `${name} must be true or false`);
}

export function currencyParam(q: Query): string {
  const c = one(q, 'currency');
  if (!c || !/^[A-Z]{3}$/.test(c)) throw new BillingRequestError(400, 'currency must be a three-letter code such as USD');
  return c;
}
