import { beforeEach, describe, expect, it } from 'vitest';
import JSZip from 'jszip';
import { subjectScreen } from '../../reports/compliance/suppression.ts';
import { backfillTraceText } from '../../reports/compliance/trace-backfill.ts';
import { rows, truncateAll } from '../helpers/warehouse.ts';
import { authHeader, http, postSigned, useTestService } from '../helpers/service.ts';
import { DORA, DORA_NAME, DORA_TEXTS, DORA_WRITTEN, ELI, ELI_NAME, ELI_TEXTS, NOT_JSON, TRACE_BODIES } from './trace-fixtures.ts';
import { scanFor } from './scan.ts';

/**
 * A person named outside the fields of ordinary messages (Coexistence history and contact sync,
 * calls, group statuses, errors quoting the number, bodies that are not JSON, fields not yet known,
 * an echo whose `to` has a plus sign): the access export holds every record, erasure leaves nothing
 * in any table, a re-delivery stores nothing of her, and the echo answers her wait.
 */

const ctx = useTestService();

async function deliverAll(): Promise<void> {
  for (const b of Object.values(TRACE_BODIES)) expect((await postSigned(ctx.svc, JSON.stringify(b))).status).toBe(200);
  for (const t of Object.values(NOT_JSON)) expect((await postSigned(ctx.svc, t)).status).toBe(400);
  await ctx.svc.settle();
}

beforeEach(async () => {
  await truncateAll(ctx.wh);
  await subjectScreen(ctx.wh, ctx.svc.deps.pseudonyms).refresh();
  await deliverAll();
});

const post = (path: string, body: unknown) =>
  http(`${ctx.svc.url()}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeader('privacy') }, body: JSON.stringify(body) });

/** Everything that names Dora: her ids, her number as written, her name and what only she wrote. */
const DORA_TRACES = [DORA, DORA_WRITTEN, '98765-0011', DORA_NAME, ...DORA_TEXTS, 'Claro, qual tamanho?', 'wacid.D1'];

describe('records naming a person outside the known fields', () => {
  it('are keyed to her at ingest: raw bodies, management values, errors, unknown items, group statuses, the echo', async () => {
    const keyed = async (table: string) =>
      Number((await rows<{ n: string }>(ctx.wh, `SELECT count() AS n FROM {{db}}.${table} FINAL WHERE has(subject_ids, {d:String})`, { d: DORA }))[0]!.n);
    // Truth: history, contact sync, call, group status, error, unknown field, echo, inbound, and the
    // quarantined body quoting her number.
    expect(await keyed('raw_webhooks_v1')).toBe(9);
    // Her history thread, her synced contact, her call, the unknown field's value.
    expect(await keyed('management_events_v1')).toBe(4);
    expect(await keyed('webhook_errors_v1')).toBe(1);
    expect(await keyed('unknown_items_v1')).toBe(1);
    const [status] = await rows<{ recipient_participant_id: string }>(ctx.wh, `SELECT recipient_participant_id FROM {{db}}.statuses_v1 FINAL WHERE wamid = 'wamid.G1' AND status = 'delivered' ORDER BY ts LIMIT 1`);
    expect(status!.recipient_participant_id).toBe(DORA);
    const echo = await rows<{ to_wa_id: string; from_number: string }>(ctx.wh, `SELECT to_wa_id, from_number FROM {{db}}.message_echoes_v1 FINAL`);
    expect(echo).toEqual([{ to_wa_id: DORA, from_number: '15550783881' }]);
    // The raw body keeps the number as Meta wrote it.
    const raw = await rows<{ body: string }>(ctx.wh, `SELECT body FROM {{db}}.raw_webhooks_v1 FINAL WHERE position(body, 'wamid.E9') > 0`);
    expect(raw[0]!.body).toContain(`"to":"+${DORA}"`);
    // Eli's history thread and synced contact are rows of their own, keyed to him only.
    const eli = await rows<{ field: string; subject_ids: string[] }>(ctx.wh, `SELECT field, subject_ids FROM {{db}}.management_events_v1 FINAL WHERE has(subject_ids, {e:String}) ORDER BY field`, { e: ELI });
    expect(eli).toEqual([{ field: 'history', subject_ids: [ELI] }, { field: 'smb_app_state_sync', subject_ids: [ELI] }]);
  });

  it('the echo written with a plus sign answers her wait (10:00 → 10:10, 600 s)', async () => {
    const waits = await rows<{ family: string; started_at: string; responded_at: string | null; response_seconds: number | null }>(
      ctx.wh,
      `SELECT family, toString(started_at) AS started_at, toString(responded_at) AS responded_at, response_seconds FROM {{db}}.sla_waits_v1 FINAL WHERE wa_id = {d:String} ORDER BY family`,
      { d: DORA },
    );
    expect(waits).toEqual([
      { family: 'any', started_at: '2026-11-05 10:00:00.000', responded_at: '2026-11-05 10:10:00.000', response_seconds: 600 },
      { family: 'human', started_at: '2026-11-05 10:00:00.000', responded_at: '2026-11-05 10:10:00.000', response_seconds: 600 },
    ]);
  });

  it('are all in her access export, and nothing of Eli is', async () => {
    const r = await post('/api/compliance/dsar', { wa_id: DORA });
    expect(r.status).toBe(200);
    const zip = await JSZip.loadAsync(r.body);
    const events = (await zip.file('events.jsonl')!.async('string')).trim().split('\n').map((l) => JSON.parse(l));
    const count = (t: string) => events.filter((e) => e.source_table === t).length;
    // Truth: 9 keyed bodies + the body quoting her number in free text + the quarantined body with
    // her name + the body batched with Eli's message (shown with the note quoting her only).
    expect(count('raw_webhooks_v1')).toBe(12);
    // History thread, contact sync, call, unknown field (keyed) + the two free-text notes (found by the search).
    expect(count('management_events_v1')).toBe(6);
    expect(count('unknown_items_v1')).toBe(3);
    expect(count('webhook_errors_v1')).toBe(1);
    expect(count('statuses_v1')).toBe(1);
    expect(count('message_echoes_v1')).toBe(1);
    expect(count('messages_v1')).toBe(1);
    const all = JSON.stringify(events);
    for (const t of [...DORA_TEXTS, 'Claro, qual tamanho?', 'wacid.D1', NOT_JSON.name.slice(0, 20)]) expect(all, t).toContain(t);
    for (const t of [ELI, ELI_NAME, ...ELI_TEXTS]) expect(all, t).not.toContain(t);
  });

  it('leave no trace in any table after erasure, and the receipt is completed', async () => {
    expect((await scanFor(ctx.wh, DORA_TRACES)).length).toBeGreaterThan(0);
    const r = await post('/api/compliance/erasure', { wa_id: DORA, legal_ground: 'LGPD 18 VI' });
    expect(r.status).toBe(200);
    const receipt = JSON.parse(r.text);
    expect(receipt.status).toBe('completed');
    const t = Object.fromEntries(receipt.tables.map((x: { table: string }) => [x.table, x]));
    expect(t.management_events_v1).toMatchObject({ rows_before: 4, rows_after: 0, rows_after_physical: 0 });
    // The two notes quoting her number in free text (alone, and batched with Eli's message).
    expect(t['management_events_v1 (text search)']).toMatchObject({ rows_before: 2, rows_after: 0, rows_after_physical: 0 });
    expect(t['unknown_items_v1 (text search)']).toMatchObject({ rows_before: 2, rows_after: 0, rows_after_physical: 0 });
    // The note alone and the quarantined body with only her name.
    expect(t['raw_webhooks_v1 (text search)']).toMatchObject({ rows_before: 2, rows_after: 0, rows_after_physical: 0 });
    expect(t['raw_webhooks_v1 (text search, bodies kept for others)']).toMatchObject({ rows_before: 1, rows_after: 0 });

    expect(await scanFor(ctx.wh, DORA_TRACES)).toEqual([]);
    // Eli keeps his history thread, his synced contact and his group status, in the typed rows and the raw bodies.
    const eli = await scanFor(ctx.wh, [ELI_TEXTS[0]!, ELI_NAME]);
    expect(new Set(eli.map((h) => h.table))).toEqual(new Set(['management_events_v1', 'raw_webhooks_v1', 'messages_v1', 'contacts_v1']));
    // The body batched with Eli's message keeps it exactly, without the note quoting her.
    const [batched] = await rows<{ body: string }>(ctx.wh, `SELECT body FROM {{db}}.raw_webhooks_v1 FINAL WHERE position(body, 'wamid.L1') > 0`);
    expect(JSON.parse(batched!.body).entry[0].changes).toEqual([(TRACE_BODIES.batched.entry as any)[0].changes[0]]);
    expect(await rows(ctx.wh, `SELECT status FROM {{db}}.statuses_v1 FINAL WHERE recipient_participant_id = {e:String}`, { e: ELI })).toEqual([{ status: 'delivered' }]);
  });

  it('a re-delivery of every body stores nothing of her (the name-only quarantine aside: names are not on the list)', async () => {
    expect(JSON.parse((await post('/api/compliance/erasure', { wa_id: DORA, legal_ground: 'LGPD 18 VI' })).text).status).toBe('completed');
    for (const b of Object.values(TRACE_BODIES)) expect((await postSigned(ctx.svc, JSON.stringify(b))).status).toBe(200);
    expect((await postSigned(ctx.svc, NOT_JSON.number)).status).toBe(400);
    await ctx.svc.settle();
    expect(await scanFor(ctx.wh, DORA_TRACES)).toEqual([]);
    const [q] = await rows<{ body: string; reason: string }>(ctx.wh, `SELECT body, reason FROM {{db}}.raw_webhooks_v1 WHERE verdict = 'not_json'`);
    expect(q).toEqual({ body: '', reason: 'not JSON; names an erased subject: not stored' });
    // Eli's items of the same bodies are stored as before.
    expect((await scanFor(ctx.wh, [ELI_TEXTS[0]!])).length).toBeGreaterThan(0);
  });
});

describe('bodies stored before they had a trace text', () => {
  /** Stores every raw body again without its trace text, as rows written before migration 0313 read. */
  async function asBeforeTraceText(): Promise<void> {
    const cols = 'received_at, body_sha256, body, signature_valid, verdict, reason, waba_ids, subject_ids, item_count, unknown_count';
    await ctx.wh.writer.command({ query: `INSERT INTO ${ctx.wh.database}.raw_webhooks_v1 (${cols}) SELECT ${cols} FROM ${ctx.wh.database}.raw_webhooks_v1 FINAL` });
    await ctx.wh.writer.command({ query: `OPTIMIZE TABLE ${ctx.wh.database}.raw_webhooks_v1 FINAL` });
  }
  const withoutOwnTrace = async () =>
    Number((await rows<{ n: string }>(ctx.wh, `SELECT count() AS n FROM {{db}}.raw_webhooks_v1 WHERE trace_text = body AND verdict != 'not_json'`))[0]!.n);

  it('are still erased whole (their whole body is searched), then get their trace text from the backfill', async () => {
    await asBeforeTraceText();
    // 13 JSON bodies were delivered (the two not-JSON ones are quarantined apart).
    expect(await withoutOwnTrace()).toBe(Object.keys(TRACE_BODIES).length);
    const r = await backfillTraceText(ctx.svc.deps, { merge: true });
    expect(r).toMatchObject({ stored: Object.keys(TRACE_BODIES).length, skipped: 0 });
    expect(await withoutOwnTrace()).toBe(0);
    const [note] = await rows<{ trace_text: string }>(ctx.wh, `SELECT trace_text FROM {{db}}.raw_webhooks_v1 FINAL WHERE position(body, 'crm_note') > 0 AND NOT position(body, 'wamid.L1') > 0`);
    expect(note!.trace_text).toContain(DORA_TEXTS[4]);
    const receipt = JSON.parse((await post('/api/compliance/erasure', { wa_id: DORA, legal_ground: 'LGPD 18 VI' })).text);
    expect(receipt.status).toBe('completed');
    expect(await scanFor(ctx.wh, DORA_TRACES)).toEqual([]);
  });

  it('a body naming an erased subject is not stored again by the backfill', async () => {
    expect(JSON.parse((await post('/api/compliance/erasure', { wa_id: DORA, legal_ground: 'LGPD 18 VI' })).text).status).toBe('completed');
    // A copy that slipped past the erasure (as from another instance): the backfill must leave it.
    await ctx.wh.writer.command({
      query: `INSERT INTO ${ctx.wh.database}.raw_webhooks_v1 (received_at, body_sha256, body, subject_ids, item_count) VALUES (now64(3), 'slipped', {b:String}, [{d:String}], 1)`,
      query_params: { b: JSON.stringify(TRACE_BODIES.inbound), d: DORA },
    });
    const r = await backfillTraceText(ctx.svc.deps);
    expect(r.skipped).toBeGreaterThanOrEqual(1);
    expect(await rows(ctx.wh, `SELECT toString(count()) AS n FROM {{db}}.raw_webhooks_v1 WHERE body_sha256 = 'slipped'`)).toEqual([{ n: '1' }]);
  });
});
