import type { LoadedBatch } from '../../app/deps.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { surveyedChats, writeSurveyCredits } from '../../warehouse/queries/csat/credits.ts';
import type { ChatId } from '../../warehouse/queries/sla/events.ts';
import { chatKey } from '../sla/messages.ts';
import { readJobState, writeJobState } from '../../warehouse/queries/sla/store.ts';

/**
 * Keeps the CSAT credits (warehouse/queries/csat/credits.ts) current: a chat's credits are written
 * again after its waits, by the SLA job for the chats with rows loaded since its watermark, and by
 * the `csat.credits` follower for the chats each loaded batch touches (after the SLA follower, whose
 * waits they read). Every credit is written when the table has never been filled by this version of
 * the rules (a new or upgraded store) and after the waits were recomputed whole.
 */

export const CREDITS_JOB = 'csat.credits';
/** The rules credits are written by; a change writes them all again. */
const CREDITS_VERSION = 'credits-1';

/** Writes every credit and records that it was done. */
export async function writeAllCredits(wh: Warehouse, now = Date.now()): Promise<void> {
  await writeSurveyCredits(wh, { all: true });
  await writeJobState(wh, CREDITS_JOB, { watermark: now, config_hash: CREDITS_VERSION }, now);
}

/**
 * Writes every credit if the table was never filled whole under these rules (one small read a call:
 * a store upgraded while another instance runs is found by either). True when it did.
 */
async function ensureCredits(wh: Warehouse): Promise<boolean> {
  const [state] = await readJobState(wh, { job: CREDITS_JOB });
  if (state?.config_hash === CREDITS_VERSION) return false;
  await writeAllCredits(wh);
  return true;
}

/** The credits of the chats with rows loaded in (`since`, `until`] (epoch ms), after the SLA job wrote their waits. */
export async function writeLoadedCredits(wh: Warehouse, since: number, until: number): Promise<void> {
  if (!(await ensureCredits(wh))) await writeSurveyCredits(wh, { loadedSince: since, loadedUntil: until });
}

/** The chats of a batch's messages, statuses and echoes, by customer number or, without one, user id (no group chats). */
export function chatsOfBatches(batches: readonly LoadedBatch[]): ChatId[] {
  const chats = new Map<string, ChatId>();
  const add = (waba_id: string, phone_number_id: string, wa_id: string) => {
    if (wa_id) chats.set(chatKey({ waba_id, phone_number_id, wa_id }), { waba_id, phone_number_id, wa_id });
  };
  for (const { rows } of batches) {
    for (const m of rows.messages) add(m.waba_id, m.phone_number_id, m.wa_id || m.from_user_id);
    for (const s of rows.statuses) if (s.recipient_type !== 'group') add(s.waba_id, s.phone_number_id, s.recipient_id || s.recipient_user_id);
    for (const e of rows.echoes) add(e.waba_id, e.phone_number_id, e.to_wa_id);
  }
  return [...chats.values()];
}

/**
 * The credits of the chats loaded batches touch, written after their waits: of those that were ever
 * sent a survey (a batch's survey status is stored before this runs), so a load without surveys
 * costs one small read.
 */
export async function followCredits(wh: Warehouse, batches: readonly LoadedBatch[]): Promise<void> {
  if (!(await ensureCredits(wh))) await writeSurveyCredits(wh, { chats: await surveyedChats(wh, chatsOfBatches(batches)) });
}
