import { z } from 'zod';
import { badParameter } from '../../app/http-error.ts';
import { dateTimeSchema } from '../range.ts';
import { parseSubjectId } from '../compliance/subject.ts';
import type { LabelEventRow } from '../../warehouse/schema/labels.ts';

/**
 * A label event as the business's systems send it (API body, CSV row), checked whole: one bad
 * field anywhere refuses the lot, so nothing is half stored. The customer is a `wa_id` (phone
 * number or BSUID) or the pseudonymous `contact` id the reports show.
 */

/** Most events one request or import carries. */
export const MAX_EVENTS = 10_000;

/**
 * A label: segments of letters, digits, single spaces and `_ - . &`, each starting with a letter or
 * digit, joined by `/` (a hierarchy: `order/paid` is under `order`), at most 100 characters.
 */
const SEGMENT = /^[\p{L}\p{N}][\p{L}\p{N}_.&-]*( [\p{L}\p{N}_.&-]+)*$/u;
export const labelSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'at most 100 characters')
  .refine((s) => s.split('/').every((seg) => SEGMENT.test(seg)), 'segments of letters, digits, single spaces and _ . & - separated by /');

export const CONTACT_ID = /^c_[0-9a-f]{16}$/;

const eventSchema = z
  .strictObject({
    wa_id: z.string().optional(),
    contact: z.string().regex(CONTACT_ID, 'expected a contact id as the reports show it (c_ and 16 hex digits)').optional(),
    waba_id: z.string().regex(/^\d{1,20}$/, 'expected digits').optional(),
    label: labelSchema,
    action: z.enum(['add', 'remove']),
    at: dateTimeSchema,
    source: z.string().trim().min(1, 'must not be empty').max(64, 'at most 64 characters').default('api'),
  })
  .superRefine((e, ctx) => {
    if ((e.wa_id === undefined) === (e.contact === undefined)) ctx.addIssue({ code: 'custom', path: ['wa_id'], message: 'give exactly one of wa_id and contact' });
    else if (e.wa_id !== undefined && !parseSubjectId(e.wa_id)) ctx.addIssue({ code: 'custom', path: ['wa_id'], message: 'expected a phone number (digits) or a business-scoped user id' });
  });

export type LabelEventInput = z.output<typeof eventSchema>;

const eventsSchema = z.array(eventSchema).min(1, 'must hold at least one event').max(MAX_EVENTS, `at most ${MAX_EVENTS} events`);

/** Checks a request body (one event or an array of them); the first problem is a 400 naming its field. */
export function parseLabelBody(body: unknown): LabelEventInput[] {
  if (body === null || typeof body !== 'object') throw badParameter('body', 'expected a JSON object or an array of them');
  const r = eventsSchema.safeParse(Array.isArray(body) ? body : [body]);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  // A single event's fields are named bare (`label`); an array's by position (`[3].label`).
  const path = Array.isArray(body) ? issue.path : issue.path.slice(1);
  throw badParameter(path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.') : 'body', issue.message);
}

/**
 * The rows to store: each customer as a wa_id (`contacts` maps the contact ids given to theirs;
 * an unknown one is refused), the time as epoch ms.
 */
export function toRows(events: readonly LabelEventInput[], origin: LabelEventRow['origin'], recordedAt: number, contacts: ReadonlyMap<string, string> = new Map()): LabelEventRow[] {
  return events.map((e, i) => {
    let waId = e.wa_id === undefined ? undefined : parseSubjectId(e.wa_id)!.id;
    if (waId === undefined) {
      waId = contacts.get(e.contact!);
      if (waId === undefined) throw badParameter(events.length > 1 ? `[${i}].contact` : 'contact', 'no known customer has this contact id');
    }
    return { waba_id: e.waba_id ?? '', wa_id: waId, label: e.label, action: e.action, at: Date.parse(e.at), source: e.source, origin, ref: '', recorded_at: recordedAt };
  });
}
