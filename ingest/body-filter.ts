import { businessNumbers, changeIds, idsInError, idsInValue, phoneDigits, threadIds } from './subject-ids.ts';

/**
 * Filters the items of a webhook body (Meta's `object/entry/changes` envelope) by the people they
 * name. Erasure keeps everyone but the erased subject; an access export keeps only the subject.
 * Pure: the input is not modified. The exact shapes are those ingest/normalize.ts reads.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

const phone = (v: unknown): string => phoneDigits(str(v));

/**
 * The subject ids an item names, by the array it sits in (numbers as digits, as ingest stores them).
 * Errors name whoever their text quotes; synced contacts and calls whoever their id-like keys name.
 */
const ITEM_IDS: Record<string, (item: Obj, business: ReadonlySet<string>) => string[]> = {
  contacts: (c) => [phone(c.wa_id), str(c.user_id)],
  messages: (m) => [phone(m.from), str(m.from_user_id), phone(isObj(m.system) ? (m.system.wa_id ?? m.system.new_wa_id) : '')],
  statuses: (s) => [phone(s.recipient_id), str(s.recipient_user_id), phone(s.recipient_participant_id)],
  message_echoes: (e) => [phone(e.to)],
  user_preferences: (p) => [phone(p.wa_id), str(p.user_id)],
  errors: (e) => idsInError(e),
  state_sync: (s, business) => idsInValue(s, business),
  calls: (c, business) => idsInValue(c, business),
};
/** Arrays that count as stored items (contacts only name the senders of messages). */
const COUNTED = new Set(['messages', 'statuses', 'message_echoes', 'user_preferences', 'errors', 'state_sync', 'calls', 'history']);

export interface FilterRule {
  /** Whether an item naming these (non-empty) ids stays. */
  keep(ids: string[]): boolean;
  /** Whether items and changes naming nobody (errors, template events…) stay. */
  keepUnnamed: boolean;
}

export interface FilterResult {
  body: unknown;
  /** Items left (messages, statuses, echoes, preferences, errors, other changes). */
  items: number;
  removed: number;
}

export function filterBody(body: unknown, rule: FilterRule): FilterResult {
  const result = { items: 0, removed: 0 };
  if (!isObj(body) || !Array.isArray(body.entry)) {
    return rule.keepUnnamed ? { body, items: 0, removed: 0 } : { body: null, items: 0, removed: 0 };
  }
  const entries: unknown[] = [];
  for (const e of body.entry) {
    if (!isObj(e) || !Array.isArray(e.changes)) {
      if (rule.keepUnnamed) entries.push(e);
      continue;
    }
    const changes: unknown[] = [];
    for (const c of e.changes) {
      const kept = filterChange(c, rule, result);
      if (kept !== undefined) changes.push(kept);
    }
    if (changes.length > 0 || (rule.keepUnnamed && e.changes.length === 0)) entries.push({ ...e, changes });
  }
  return { body: { ...body, entry: entries }, ...result };
}

function filterChange(c: unknown, rule: FilterRule, result: { items: number; removed: number }): unknown {
  const value = isObj(c) && isObj(c.value) ? c.value : undefined;
  const named = value && [...Object.keys(ITEM_IDS), 'history'].some((k) => Array.isArray(value[k]));
  if (!isObj(c) || !value || !named) {
    // A change of a shape without known items: whoever its id-like keys name, else no one in
    // particular (template, account, quality events…).
    const ids = isObj(c) ? changeIds(str(c.field), c.value) : [];
    const stays = ids.length > 0 ? rule.keep(ids) : rule.keepUnnamed;
    if (!stays) {
      if (ids.length > 0) result.removed++;
      return undefined;
    }
    result.items++;
    return c;
  }
  const business = businessNumbers(value);
  const out: Obj = { ...value };
  let anyLeft = false;
  let anyRemoved = false;
  for (const [key, v] of Object.entries(value)) {
    if (!Array.isArray(v)) continue;
    if (key === 'history') {
      const h = filterHistory(v, rule, business);
      out[key] = h.kept;
      result.items += h.left;
      result.removed += h.removed;
      if (h.left > 0) anyLeft = true;
      if (h.removed > 0) anyRemoved = true;
      continue;
    }
    const idsOf = ITEM_IDS[key];
    const kept = v.filter((item) => {
      const ids = idsOf && isObj(item) ? idsOf(item, business).filter(Boolean) : [];
      const stays = ids.length > 0 ? rule.keep(ids) : rule.keepUnnamed;
      if (!stays && COUNTED.has(key)) result.removed++;
      if (!stays) anyRemoved = true;
      return stays;
    });
    out[key] = kept;
    if (COUNTED.has(key)) {
      result.items += kept.length;
      if (kept.length > 0) anyLeft = true;
    }
  }
  if (!anyLeft && anyRemoved) return undefined;
  return { ...c, value: out };
}

/** Coexistence history: chunks of threads, one person per thread; a thread is the item. */
function filterHistory(chunks: unknown[], rule: FilterRule, business: ReadonlySet<string>) {
  let left = 0;
  let removed = 0;
  const kept: unknown[] = [];
  for (const chunk of chunks) {
    if (!isObj(chunk) || !Array.isArray(chunk.threads)) {
      // History errors (sharing declined) name no one.
      if (rule.keepUnnamed) kept.push(chunk);
      continue;
    }
    const threads = chunk.threads.filter((t) => {
      const ids = threadIds(t, business);
      const stays = ids.length > 0 ? rule.keep(ids) : rule.keepUnnamed;
      if (stays) left++;
      else removed++;
      return stays;
    });
    if (threads.length > 0 || (chunk.threads.length === 0 && rule.keepUnnamed)) kept.push({ ...chunk, threads });
  }
  return { kept, left, removed };
}

/** Erasure: everything except the items naming one of `ids`. */
export function withoutSubjects(body: unknown, ids: readonly string[]): FilterResult {
  const gone = new Set(ids);
  return filterBody(body, { keep: (named) => !named.some((id) => gone.has(id)), keepUnnamed: true });
}

/** Access export: only the items naming one of `ids`. */
export function onlySubjects(body: unknown, ids: readonly string[]): FilterResult {
  const mine = new Set(ids);
  return filterBody(body, { keep: (named) => named.some((id) => mine.has(id)), keepUnnamed: false });
}

/**
 * A body without the parts that quote someone (`quotes` says whether a JSON text does) where no
 * known field names them: changes naming nobody, items naming nobody, unknown keys of a value.
 * Items naming people (and history threads) stay: what others wrote is their content. Used by the
 * suppression screen for numbers in free text, and by erasure for bodies shared with other people.
 * Text that is not Meta's envelope and quotes someone: nothing stays (null).
 */
export function withoutQuoting(body: unknown, quotes: (json: string) => boolean): unknown {
  const q = (v: unknown) => quotes(JSON.stringify(v) ?? '');
  if (!isObj(body) || !Array.isArray(body.entry)) return q(body) ? null : body;
  const entry: unknown[] = [];
  for (const e of body.entry) {
    if (!isObj(e) || !Array.isArray(e.changes)) {
      if (!q(e)) entry.push(e);
      continue;
    }
    const changes = e.changes.map((c) => (q(c) ? changeWithoutQuoting(c, q) : c)).filter((c) => c !== undefined);
    if (changes.length > 0 || e.changes.length === 0) entry.push({ ...e, changes });
  }
  return { ...body, entry };
}

function changeWithoutQuoting(c: unknown, q: (v: unknown) => boolean): unknown {
  const value = isObj(c) && isObj(c.value) ? c.value : undefined;
  const named = value && [...Object.keys(ITEM_IDS), 'history'].some((k) => Array.isArray(value[k]));
  // A change of a shape not yet known is someone's record when its id-like keys name them.
  if (!isObj(c) || !value) return undefined;
  if (!named) return changeIds(str(c.field), value).length > 0 ? c : undefined;
  const business = businessNumbers(value);
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const idsOf = ITEM_IDS[k];
    if (k === 'history' || k === 'metadata') out[k] = v;
    else if (Array.isArray(v) && idsOf) out[k] = v.filter((item) => (isObj(item) && idsOf(item, business).some(Boolean)) || !q(item));
    else if (!q(v)) out[k] = v;
  }
  return { ...c, value: out };
}

/** The parts of a body that name nobody (changes and items without a person), for an access export. */
export function unnamedParts(body: unknown): unknown {
  return filterBody(body, { keep: () => false, keepUnnamed: true }).body;
}

/**
 * The parts of a body that `withoutQuoting` may drop: whatever no known field assigns to a person
 * (the body itself when it is not Meta's envelope, entries and changes of unknown shape naming
 * nobody, items naming nobody, keys of a value that are not item arrays). Everything else in a body
 * belongs to the people its fields name. Stored beside the body (`trace_text`), so the search for a
 * person quoted where no field names them reads these few bytes instead of every body.
 */
export function traceParts(body: unknown): unknown[] {
  if (!isObj(body) || !Array.isArray(body.entry)) return [body];
  const parts: unknown[] = [];
  for (const e of body.entry) {
    if (!isObj(e) || !Array.isArray(e.changes)) {
      parts.push(e);
      continue;
    }
    for (const c of e.changes) changeTraceParts(c, parts);
  }
  return parts;
}

function changeTraceParts(c: unknown, parts: unknown[]): void {
  const value = isObj(c) && isObj(c.value) ? c.value : undefined;
  if (!isObj(c) || !value) return void parts.push(c);
  const named = [...Object.keys(ITEM_IDS), 'history'].some((k) => Array.isArray(value[k]));
  if (!named) {
    if (changeIds(str(c.field), value).length === 0) parts.push(c);
    return;
  }
  const business = businessNumbers(value);
  for (const [k, v] of Object.entries(value)) {
    const idsOf = ITEM_IDS[k];
    if (k === 'history' || k === 'metadata') continue;
    if (Array.isArray(v) && idsOf) {
      for (const item of v) if (!(isObj(item) && idsOf(item, business).some(Boolean))) parts.push(item);
    } else parts.push(v);
  }
}

/** A body's trace parts as stored text ('' when every part of it names someone). */
export function traceText(body: unknown): string {
  const parts = traceParts(body);
  return parts.length === 0 ? '' : JSON.stringify(parts);
}
