import { createHash } from 'node:crypto';
import { normalizeBody } from './normalize.ts';
import { jsonDepth } from './json-depth.ts';
import { idsInText } from './subject-ids.ts';
import { traceText } from './body-filter.ts';

/** Meta's bodies nest about ten levels; anything far deeper is not a webhook. */
export const MAX_JSON_DEPTH = 64;
import { RAW_WEBHOOK, emptyItemRows, type RawWebhookRow } from '../warehouse/tables.ts';
import type { IngestBatchEntry } from './store-batch.ts';

export interface BuiltEntry extends IngestBatchEntry {
  /** Set when the body is not JSON: it is stored in quarantine and answered 400. */
  notJson?: string;
}

/**
 * Given a parsed body and the subject ids it names, returns the body to store instead (without
 * the items of people who must not be stored again, e.g. erased subjects), or undefined to keep it.
 * A body that is not JSON is asked as `null`: any answer but undefined means it is not stored.
 * `text` is the body as received, for numbers quoted where no known field names them.
 */
export type BodyScreen = (parsed: unknown, subjectIds: readonly string[], text?: string) => unknown;

/** A body's JSON, or why it is not JSON (the receiver answers 400 for that before anything else). */
export function parseBody(body: Buffer, text = body.toString('utf8')): { parsed: unknown } | { notJson: string } {
  try {
    if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new Error(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    return { parsed: JSON.parse(text) as unknown };
  } catch (e) {
    return { notJson: e instanceof Error ? e.message.slice(0, 200).toWellFormed() : 'invalid JSON' };
  }
}

/** One body → its raw landing row and typed rows; shared by the webhook and `replay`. */
export function buildEntry(body: Buffer, receivedAt: number, signatureValid: boolean, screen?: BodyScreen): BuiltEntry {
  const bodySha256 = createHash('sha256').update(body).digest('hex');
  const text = body.toString('utf8');
  const raw: RawWebhookRow = { ...RAW_WEBHOOK, received_at: receivedAt, body_sha256: bodySha256, body: text, signature_valid: signatureValid };
  const p = parseBody(body, text);
  if ('notJson' in p) return { raw: quarantine(raw, text, p.notJson, screen), rows: emptyItemRows(), notJson: p.notJson };
  const parsed = p.parsed;
  let n = normalizeBody(parsed, { bodySha256, receivedAt });
  // The key stays the delivered body's SHA-256, so Meta's re-deliveries still collapse onto it.
  const screened = screen ? screen(parsed, n.subjectIds, text) : undefined;
  if (screened !== undefined) n = normalizeBody(screened, { bodySha256, receivedAt });
  Object.assign(raw, { waba_ids: n.wabaIds, subject_ids: n.subjectIds, item_count: n.itemCount, unknown_count: n.unknownCount, trace_text: traceText(screened ?? parsed) });
  if (screened !== undefined) Object.assign(raw, { body: JSON.stringify(screened), verdict: 'redacted', reason: 'items of an erased subject were not stored' });
  else if (n.unknownCount > 0) Object.assign(raw, { verdict: 'unknown_shape', reason: `${n.unknownCount} unknown item(s)` });
  return { raw, rows: n.rows };
}

/**
 * A body that is not JSON, kept whole with the numbers its text quotes as subject ids (the parser's
 * message quotes the text too). One naming an erased subject keeps neither its text nor the reason.
 */
function quarantine(raw: RawWebhookRow, text: string, why: string, screen?: BodyScreen): RawWebhookRow {
  const ids = idsInText(text);
  if (screen && ids.length > 0 && screen(null, ids) !== undefined) {
    return { ...raw, body: '', trace_text: '', verdict: 'not_json', reason: 'not JSON; names an erased subject: not stored' };
  }
  // The whole text is searched for a person quoted in it: nothing in it is a known field.
  return { ...raw, trace_text: text, verdict: 'not_json', reason: `not JSON: ${why}`, subject_ids: ids };
}
