/**
 * Who a piece of a webhook names, as subject ids (`wa_id` digits or BSUID). Shared by the normalizer
 * (raw `subject_ids`, typed keys) and the body filter of erasure, export and the suppression screen,
 * so the three always agree on which items name a person. Pure.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isInteger(v) ? String(v) : '');

const MIN_TEXT_DIGITS = 8;
const PHONE_LIKE = /^\+?[\d\s().-]+$/;
const BSUID = /^[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128}$/;

/**
 * A phone number as `wa_id` is written (digits): Meta writes some fields with a `+` or spaces
 * (`smb_message_echoes.to` in its own example). Anything that is not a 6–15 digit number stays as it is.
 */
export function phoneDigits(v: string): string {
  if (!PHONE_LIKE.test(v)) return v;
  const digits = v.replace(/\D/g, '');
  return digits.length >= 6 && digits.length <= 15 ? digits : v;
}

/** Keys whose value names a person in Meta's payloads (and, by name, in shapes not yet known). */
const ID_KEYS = new Set([
  'wa_id', 'from', 'to', 'recipient_id', 'recipient_participant_id', 'participant_id', 'user_id', 'from_user_id',
  'recipient_user_id', 'parent_user_id', 'phone_number', 'phone', 'new_wa_id',
]);

/** A value at an id key that is a person's id: a phone number or a BSUID. */
function personId(v: unknown): string {
  const s = str(v).trim();
  if (BSUID.test(s)) return s;
  const d = phoneDigits(s);
  return /^\d{6,15}$/.test(d) ? d : '';
}

/**
 * Conservative: every phone number or BSUID under an id-like key anywhere in a value, except the
 * business's own numbers. For changes whose shape the normalizer does not know.
 */
export function idsInValue(value: unknown, business: ReadonlySet<string> = new Set()): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, d: number): void => {
    if (d > 32) return;
    if (Array.isArray(v)) for (const x of v) walk(x, d + 1);
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'metadata') continue;
        if (ID_KEYS.has(k)) {
          const id = personId(x);
          if (id && !business.has(id)) out.add(id);
        }
        walk(x, d + 1);
      }
    }
  };
  walk(value, 0);
  return [...out];
}

/**
 * Numbers written in free text (`+55 11 98765-4321`, `5511987654321`) and BSUIDs, as ids. At least
 * 8 digits: Meta's error codes (`(#131056)`, `2593109`) are shorter and name nobody.
 */
export function idsInText(text: string, limit = 64): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\+?\d[\d\s().-]{4,22}\d/g)) {
    const d = m[0].replace(/\D/g, '');
    if (d.length >= MIN_TEXT_DIGITS && d.length <= 15) out.add(d);
    if (out.size >= limit) break;
  }
  for (const m of text.matchAll(/\b[A-Z]{2}(?:\.ENT)?\.[A-Za-z0-9]{6,128}\b/g)) {
    if (out.size >= limit) break;
    out.add(m[0]);
  }
  return [...out];
}

/** An error object's people: numbers quoted in its title, message or details. */
export function idsInError(e: unknown): string[] {
  if (!isObj(e)) return [];
  const data = isObj(e.error_data) ? e.error_data : {};
  return idsInText([str(e.title), str(e.message), str(data.details)].join('\n'));
}

/** The business's own numbers in a change's value (`metadata.display_phone_number`), never a subject. */
export function businessNumbers(value: unknown): Set<string> {
  const md = isObj(value) && isObj(value.metadata) ? value.metadata : undefined;
  const n = md ? phoneDigits(str(md.display_phone_number)) : '';
  return new Set(n ? [n] : []);
}

/**
 * Changes whose items each name a person, by field, with the arrays that hold those items (Coexistence
 * history and contact sync, Calling). Each item becomes a row of its own, keyed to its people.
 */
export const PERSONAL_ITEM_KEYS: Record<string, readonly string[]> = {
  history: ['history'],
  smb_app_state_sync: ['state_sync'],
  calls: ['calls', 'statuses'],
};

/** Fields about the business itself (templates, numbers, account): their numbers are the business's. */
const BUSINESS_FIELDS = new Set([
  'message_template_status_update', 'message_template_quality_update', 'message_template_components_update',
  'template_category_update', 'phone_number_quality_update', 'phone_number_name_update', 'account_update',
  'account_review_update', 'account_alerts', 'business_capability_update', 'security',
]);

/** Whoever a change without personal items names: nobody for the business's own events, else any id-like key. */
export function changeIds(field: string, value: unknown): string[] {
  return BUSINESS_FIELDS.has(field) ? [] : idsInValue(value, businessNumbers(value));
}

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The people one item names; a history chunk names the people of its threads. */
export function itemIds(key: string, item: unknown, business: ReadonlySet<string>): string[] {
  if (key === 'history') return [...new Set(arr(isObj(item) ? item.threads : undefined).flatMap((t) => threadIds(t, business)))];
  return idsInValue(item, business);
}

/** A history thread's people: its id (the user's number) and whoever its messages are from or to. */
export function threadIds(thread: unknown, business: ReadonlySet<string>): string[] {
  if (!isObj(thread)) return [];
  const ids = new Set<string>();
  const own = personId(thread.id);
  if (own && !business.has(own)) ids.add(own);
  for (const id of idsInValue(thread.messages, business)) ids.add(id);
  return [...ids];
}

/** A history chunk as one chunk per thread (same metadata), so each person's history is a row of its own. */
export function splitItem(key: string, item: unknown): unknown[] {
  if (key !== 'history' || !isObj(item) || !Array.isArray(item.threads) || item.threads.length <= 1) return [item];
  return item.threads.map((t) => ({ ...item, threads: [t] }));
}
