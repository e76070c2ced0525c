/**
 * The personal-data classification of a column, kept with the schema as its ClickHouse COMMENT:
 *
 *   pii:direct; cat=identifier; purpose=support,delivery; src=messages[].from
 *
 * The first token is the class; `key=value` pairs follow, separated by `;`:
 * - class: `pii:direct` (names a person: phone number, user id, name), `pii:indirect` (linked to a
 *   person: timestamps, statuses, message ids, keyed hashes), `pii:content` (what people wrote or
 *   sent; may hold special-category or third-party data), `none` (business or technical data).
 * - `cat` data category, `purpose` processing-activity ids (records of processing), `basis` a legal
 *   basis overriding the activity's, `src` the webhook field it comes from, `protection` (hmac…).
 * - `find=json` marks JSON text searched for a subject's quoted id in tables without a subject key;
 *   `find=none` keeps a column out of subject searches (administrative copies, derived billing facts).
 *
 * A `pii:direct` column of category `identifier` (the default) is a subject key: access exports and
 * erasure find a person's rows through it, in every table of the database, whoever created it.
 */

export const PII_CLASSES = ['pii:direct', 'pii:indirect', 'pii:content', 'none'] as const;
export type PiiClass = (typeof PII_CLASSES)[number];

export const DATA_CATEGORIES = [
  'identifier', 'profile', 'content', 'media_ref', 'location', 'metadata', 'consent', 'staff', 'technical', 'business',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

export interface Classification {
  class: PiiClass;
  category: DataCategory | '';
  purposes: string[];
  basis: string;
  source: string;
  protection: string;
  find: 'key' | 'json' | 'none' | '';
}

const KEYS = new Set(['cat', 'purpose', 'basis', 'src', 'protection', 'find']);

export type ParseResult = { ok: true; value: Classification } | { ok: false; error: string };

export function parseClassification(comment: string): ParseResult {
  const parts = comment.split(';').map((p) => p.trim()).filter((p, i) => p !== '' || i === 0);
  const head = parts[0] ?? '';
  if (!(PII_CLASSES as readonly string[]).includes(head)) {
    return { ok: false, error: head === '' ? 'no classification' : `unknown class "${head.slice(0, 40)}"` };
  }
  const value: Classification = { class: head as PiiClass, category: '', purposes: [], basis: '', source: '', protection: '', find: '' };
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    const v = eq > 0 ? part.slice(eq + 1).trim() : '';
    if (!KEYS.has(key) || v === '') return { ok: false, error: `bad attribute "${part.slice(0, 40)}"` };
    if (key === 'cat') {
      if (!(DATA_CATEGORIES as readonly string[]).includes(v)) return { ok: false, error: `unknown category "${v}"` };
      value.category = v as DataCategory;
    } else if (key === 'purpose') value.purposes = v.split(',').map((s) => s.trim()).filter(Boolean);
    else if (key === 'basis') value.basis = v;
    else if (key === 'src') value.source = v;
    else if (key === 'protection') value.protection = v;
    else if (key === 'find') {
      if (v !== 'json' && v !== 'none' && v !== 'key') return { ok: false, error: `find must be key, json or none` };
      value.find = v;
    }
  }
  return { ok: true, value };
}

/** The column names a person (phone number or user id), so it is searched for a subject's rows. */
export function isSubjectKey(c: Classification): boolean {
  if (c.class !== 'pii:direct' || c.find === 'none') return false;
  return c.find === 'key' || c.category === '' || c.category === 'identifier';
}

export function holdsPersonalData(c: Classification): boolean {
  return c.class !== 'none';
}

/** Column types a subject id can be compared with directly, or as array elements. */
export function keyShape(type: string): 'scalar' | 'array' | undefined {
  const t = type.replace(/^LowCardinality\((.*)\)$/, '$1').replace(/^Nullable\((.*)\)$/, '$1').replace(/^LowCardinality\((.*)\)$/, '$1');
  if (t === 'String' || /^FixedString\(\d+\)$/.test(t)) return 'scalar';
  if (/^Array\((LowCardinality\()?(Nullable\()?String\)*$/.test(t)) return 'array';
  return undefined;
}

