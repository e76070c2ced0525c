/**
 * What a message is, for response-time purposes: which inbound messages make a customer wait, who
 * sent an outbound message (from its `biz_opaque_callback_data` tag), and whether a reply was a paid
 * template.
 */

export type Responder = 'human' | 'bot' | 'automation' | 'unknown';
/** Campaign and notification sends are business messages but never responses. */
export type SenderClass = Responder | 'campaign' | 'notification';
export type Family = 'human' | 'any';
export const FAMILIES: readonly Family[] = ['human', 'any'];

/** Inbound types that never open a wait: reactions, system notices, placeholders, edits and revokes. */
const NON_QUALIFYING = new Set(['reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit']);

export function isQualifyingInbound(type: string): boolean {
  return !NON_QUALIFYING.has(type);
}

const SOURCES: Record<string, SenderClass> = { h: 'human', b: 'bot', a: 'automation', c: 'campaign', n: 'notification' };

export interface SenderTag {
  sender: SenderClass;
  agent: string;
  team: string;
}

/**
 * Reads the tag convention `v1;src=<h|b|a|c|n>;ag=<agent>;tm=<team>` (extra keys allowed, any order
 * after `v1`). Anything else, including no tag, is an `unknown` sender.
 */
export function parseSenderTag(data: string): SenderTag {
  const parts = data.split(';');
  if (parts[0]?.trim() !== 'v1') return { sender: 'unknown', agent: '', team: '' };
  const kv = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const at = p.indexOf('=');
    if (at > 0) kv.set(p.slice(0, at).trim(), p.slice(at + 1).trim());
  }
  return { sender: SOURCES[kv.get('src') ?? ''] ?? 'unknown', agent: kv.get('ag') ?? '', team: kv.get('tm') ?? '' };
}

/** The keys of a `v1;…` tag (values trimmed), or an empty map for anything else. */
export function tagKeys(data: string): Map<string, string> {
  const parts = data.split(';');
  const kv = new Map<string, string>();
  if (parts[0]?.trim() !== 'v1') return kv;
  for (const p of parts.slice(1)) {
    const at = p.indexOf('=');
    if (at > 0) kv.set(p.slice(0, at).trim(), p.slice(at + 1).trim());
  }
  return kv;
}

/** Whether a sender's message closes a wait of a family. */
export function answersFor(family: Family, sender: SenderClass): boolean {
  if (family === 'human') return sender === 'human';
  return sender === 'human' || sender === 'bot' || sender === 'automation' || sender === 'unknown';
}

/**
 * A template reply is one Meta priced as anything but a free-form message: free-form replies carry
 * `service` (per-message and 2023+ conversation pricing), `user_initiated` (conversation pricing
 * before 2023-06) or `referral_conversion` (free entry point); messages without pricing (echoes,
 * statuses without pricing) are taken as free-form.
 */
const FREE_FORM_CATEGORIES = new Set(['', 'service', 'user_initiated', 'referral_conversion']);

export function isTemplateCategory(category: string): boolean {
  return !FREE_FORM_CATEGORIES.has(category);
}
