import type { WabaScopeInput } from '../../warehouse/scope.ts';
import { DateTime } from 'luxon';
import { isZone } from '../billing/zone.ts';
import { FORMATS, type ExportFormat } from '../format.ts';
import { ParamError, parseBound } from '../sla/params.ts';
import { parseLabelFilter, type LabelFilter } from '../labels/params.ts';

/**
 * Query parameters of the template reports (and the CLI's options), checked once; a bad value is a
 * 400 naming the parameter. Days are local to `tz`: by default the WABA's zone when one WABA is
 * asked for, else UTC.
 */

type Query = Record<string, unknown>;

export const GROUPINGS = ['day', 'campaign', 'label'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export interface RangeParams {
  from_ms: number;
  to_ms: number;
  tz: string;
  waba?: string;
  /** The caller's WABA scope: the reports read only these WABAs (required, so no caller forgets it). */
  scope: WabaScopeInput;
}

export interface TemplateParams extends RangeParams {
  groupBy: Grouping[];
  /** Only sends whose customer had one of the labels (or all) at send time (docs/LABELS.md); none: every send. */
  label?: LabelFilter;
}

const DEFAULT_DAYS = 30;
const MAX_DAYS = 400;
const KNOWN = new Set(['from', 'to', 'tz', 'waba_id', 'group_by', 'format']);

function text(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ParamError(name, 'give it once, as text');
  return v;
}

export function formatParam(q: Query): ExportFormat {
  const f = text(q, 'format') || 'json';
  if (!(FORMATS as readonly string[]).includes(f)) throw new ParamError('format', `must be one of ${FORMATS.join(', ')}`);
  return f as ExportFormat;
}

export function rangeParams(q: Query, zoneOf: (waba: string) => string, now: Date, scope: WabaScopeInput, known = KNOWN): RangeParams {
  const unknown = Object.keys(q).find((k) => !known.has(k));
  if (unknown) throw new ParamError(unknown.slice(0, 40), `unknown parameter; expected one of ${[...known].join(', ')}`);
  const waba = text(q, 'waba_id') || undefined;
  if (waba !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(waba)) throw new ParamError('waba_id', 'must be a WhatsApp Business Account id');
  const tz = text(q, 'tz') || (waba ? zoneOf(waba) : 'UTC');
  if (!isZone(tz)) throw new ParamError('tz', `unknown time zone "${tz.slice(0, 60)}"; expected an IANA zone such as America/Sao_Paulo`);
  const toText = text(q, 'to');
  const fromText = text(q, 'from');
  const to = toText ? parseBound('to', toText, tz, true) : now.getTime();
  const from = fromText ? parseBound('from', fromText, tz) : DateTime.fromMillis(to, { zone: tz }).minus({ days: DEFAULT_DAYS }).startOf('day').toMillis();
  if (from >= to) throw new ParamError('from', `${fromText ?? 'default'} is not before to (${toText ?? 'now'})`);
  if (to - from > MAX_DAYS * 86_400_000) throw new ParamError('to', `the range is over the maximum of ${MAX_DAYS} days`);
  return { from_ms: from, to_ms: to, tz, ...(waba ? { waba } : {}), scope };
}

const TEMPLATE_KNOWN = new Set([...KNOWN, 'label', 'label_match']);

export function templateParams(q: Query, zoneOf: (waba: string) => string, now: Date, scope: WabaScopeInput): TemplateParams {
  const range = rangeParams(q, zoneOf, now, scope, TEMPLATE_KNOWN);
  const label = parseLabelFilter(q);
  const g = text(q, 'group_by') ?? '';
  const groupBy = g.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = groupBy.filter((d) => !(GROUPINGS as readonly string[]).includes(d));
  if (bad.length) throw new ParamError('group_by', `takes ${GROUPINGS.join(',')}; unknown: ${bad.join(',').slice(0, 60)}`);
  return { ...range, groupBy: [...new Set(groupBy)] as Grouping[], ...(label.labels.length > 0 ? { label } : {}) };
}
