import { createHash } from 'node:crypto';
import type { SlaWaitRow } from '../../warehouse/schema/sla.ts';
import type { SlaSettings } from './config.ts';
import { applyPolicy, dueAt, storedStatus } from './policy.ts';
import { chatWaits, type ChatMessage, type Wait } from './waits.ts';

/**
 * A chat's waits as rows of `sla_waits_v1`: timing in calendar and business seconds, the policy and
 * its deadline, the customer-service window, delivery and read times of the reply. Everything here
 * depends only on the chat's events and the configuration, never on the clock, so any instance that
 * computes a chat writes the same rows.
 */

const WINDOW_MS = 24 * 3_600_000;

export interface ChatKey {
  waba_id: string;
  phone_number_id: string;
  wa_id: string;
}

/**
 * A row of `sla_waits_v1` as declared (warehouse/schema/sla.ts): `version` and `content_hash` (the
 * first 64 bits of SHA-256 over every other column but the version) are UInt64 as text.
 */
export type WaitRecord = SlaWaitRow;

/** Deterministic id: the same wait gets the same id on every run and every instance. */
export function waitId(chat: ChatKey, family: string, startWamid: string): string {
  return createHash('sha256')
    .update([chat.waba_id, chat.phone_number_id, chat.wa_id, family, startWamid].join('\0'))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Row version: the chat's latest `received_at`, then its number of events, so a computation that
 * saw more of the chat wins over one that saw less (a batch caught half-committed).
 */
export function chatVersion(maxReceivedAt: number, events: number): string {
  return (BigInt(maxReceivedAt) * 1_048_576n + BigInt(Math.min(events, 1_048_575))).toString();
}

export function waitRecords(chat: ChatKey, messages: readonly ChatMessage[], settings: SlaSettings, version: string): WaitRecord[] {
  return recordsOf(chat, chatWaits(messages, settings.idleMs), settings, version);
}

/** Rows of waits already computed (the follower computes a chat from one of its threads on). */
export function recordsOf(chat: ChatKey, waits: readonly Wait[], settings: SlaSettings, version: string): WaitRecord[] {
  const calendar = settings.calendarFor(chat.waba_id, chat.phone_number_id);
  return waits.map((w) => toRecord(chat, w, settings, calendar, version));
}

function contentHash(r: Omit<WaitRecord, 'content_hash' | 'version'>): string {
  return createHash('sha256').update(JSON.stringify(r)).digest().readBigUInt64BE(0).toString();
}

function toRecord(
  chat: ChatKey,
  w: Wait,
  settings: SlaSettings,
  calendar: ReturnType<SlaSettings['calendarFor']>,
  version: string,
): WaitRecord {
  const r = w.response;
  const respondedAt = r?.at ?? null;
  const windowExpiresAt = w.lastInboundAt + WINDOW_MS;
  const applied = applyPolicy(settings.policies, {
    wabaId: chat.waba_id, phoneNumberId: chat.phone_number_id, team: w.ownerTeam, entryPoint: w.entryPoint,
    kind: w.kind, startedAt: w.startedAt,
  });
  const target = applied?.target ?? null;
  const due = target ? dueAt(target, w.startedAt, calendar) : null;
  const delivered = r ? (r.deliveredAt ?? r.readAt) : null;
  const seconds = (a: number | null | undefined, b: number | null | undefined) => (a != null && b != null && b >= a ? (b - a) / 1000 : null);
  const record = {
    waba_id: chat.waba_id,
    phone_number_id: chat.phone_number_id,
    wa_id: chat.wa_id,
    wait_id: waitId(chat, w.family, w.startWamid),
    family: w.family,
    kind: w.kind,
    seq: w.seq,
    thread_started_at: w.threadStartedAt,
    initiator: w.initiator,
    entry_point: w.entryPoint,
    start_wamid: w.startWamid,
    started_at: w.startedAt,
    last_inbound_at: w.lastInboundAt,
    window_expires_at: windowExpiresAt,
    responded_at: respondedAt,
    response_wamid: r?.wamid ?? '',
    response_seconds: seconds(w.startedAt, respondedAt),
    business_response_seconds:
      respondedAt === null ? null : calendar ? calendar.businessSeconds(w.startedAt, respondedAt) : (respondedAt - w.startedAt) / 1000,
    responder: r?.sender ?? '',
    agent: r?.agent ?? '',
    team: r?.team ?? '',
    owner_team: w.ownerTeam,
    response_template: r?.template ?? false,
    replied_in_window: respondedAt === null ? null : respondedAt < windowExpiresAt,
    time_to_deliver_seconds: r ? seconds(r.sentAt, delivered) : null,
    time_to_read_seconds: r ? seconds(r.sentAt, r.readAt) : null,
    calendar_id: calendar?.id ?? '',
    calendar_version: calendar?.versionAt(w.startedAt) ?? '',
    sla_policy: applied?.policy ?? '',
    sla_target_seconds: target?.seconds ?? null,
    sla_mode: target?.mode ?? '',
    due_at: due,
    sla_status: storedStatus(due, respondedAt),
    is_deleted: 0,
  };
  return { ...record, version, content_hash: contentHash(record) };
}
