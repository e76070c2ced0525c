import { describe, expect, it } from 'vitest';
import { onlySubjects, traceText, unnamedParts, withoutQuoting, withoutSubjects } from '../../ingest/body-filter.ts';
import { inbound, statuses, templateEvent } from './fixtures.ts';
import { namesIn, traceNeedles } from '../../reports/compliance/traces.ts';
import { idsInText } from '../../ingest/subject-ids.ts';
import { DORA, DORA_NAME, DORA_TEXTS, ELI, TRACE_BODIES } from './trace-fixtures.ts';

/** The body filter of erasure, export and the suppression screen on the shapes beyond messages. */

const value = (b: unknown) => (b as any).entry[0]?.changes[0]?.value;

describe('body filter beyond messages and statuses', () => {
  it('history: erasure keeps the other user’s thread, the export only hers', () => {
    const erased = withoutSubjects(TRACE_BODIES.history, [DORA]);
    expect(value(erased.body).history[0].threads.map((t: { id: string }) => t.id)).toEqual([ELI]);
    expect(erased).toMatchObject({ items: 1, removed: 1 });
    const mine = onlySubjects(TRACE_BODIES.history, [DORA]);
    expect(value(mine.body).history[0].threads.map((t: { id: string }) => t.id)).toEqual([DORA]);
  });

  it('contact sync, calls, group statuses and errors quoting her number', () => {
    expect(value(withoutSubjects(TRACE_BODIES.stateSync, [DORA]).body).state_sync.map((s: any) => s.contact.full_name)).toEqual(['Eli Nunes']);
    expect(withoutSubjects(TRACE_BODIES.call, [DORA]).body).toEqual({ ...TRACE_BODIES.call, entry: [] });
    expect(value(withoutSubjects(TRACE_BODIES.group, [DORA]).body).statuses.map((s: any) => s.recipient_participant_id)).toEqual([ELI]);
    expect(withoutSubjects(TRACE_BODIES.errorQuote, [DORA]).removed).toBe(1);
    expect(onlySubjects(TRACE_BODIES.errorQuote, [DORA]).items).toBe(1);
    // An error quoting someone else stays in an erasure and is not hers in an export.
    expect(withoutSubjects(TRACE_BODIES.errorQuote, [ELI]).removed).toBe(0);
    expect(onlySubjects(TRACE_BODIES.errorQuote, [ELI]).items).toBe(0);
  });

  it('a field not yet known is filtered by its id-like keys', () => {
    expect(withoutSubjects(TRACE_BODIES.unknownField, [DORA]).removed).toBe(1);
    expect(onlySubjects(TRACE_BODIES.unknownField, [DORA]).items).toBe(1);
  });

  it('withoutQuoting drops what quotes her where no field names her, and keeps what others wrote', () => {
    const quotesDora = (json: string) => idsInText(json).includes(DORA);
    expect(value(withoutQuoting(TRACE_BODIES.unknownText, quotesDora))).toBeUndefined();
    expect(withoutQuoting(TRACE_BODIES.unknownText, (json) => json.includes(ELI))).toEqual(TRACE_BODIES.unknownText);
    expect(withoutQuoting({ note: `ligar ${DORA}` }, quotesDora)).toBeNull();
    // Batched: Eli's message stays, the note quoting her goes.
    const kept = withoutQuoting(TRACE_BODIES.batched, quotesDora) as any;
    expect(kept.entry[0].changes.map((c: { field: string }) => c.field)).toEqual(['messages']);
    expect(kept.entry[0].changes[0]).toEqual((TRACE_BODIES.batched.entry as any)[0].changes[0]);
    // Eli's message quoting her number is his content: it stays.
    const his = (TRACE_BODIES.batched.entry as any)[0].changes[0];
    const hisQuote = { ...his, value: { ...his.value, messages: [{ ...his.value.messages[0], text: { body: `o numero dela e ${DORA}` } }] } };
    const body = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [hisQuote] }] };
    expect(withoutQuoting(body, quotesDora)).toEqual(body);
  });

  it('unnamedParts keeps only what names nobody', () => {
    const parts = unnamedParts(TRACE_BODIES.batched) as any;
    expect(parts.entry[0].changes.map((c: { field: string }) => c.field)).toEqual(['crm_note']);
  });
});

describe('what the text search looks for', () => {
  it('ids, each number with separators anchored on its last four digits, names of four letters or more', () => {
    const n = traceNeedles([DORA, 'BR.dora0011'], ['Dora Alves', 'Jo', ' ']);
    expect(n.needles).toEqual([DORA, 'BR.dora0011', 'Dora Alves']);
    expect(n.anchors).toEqual(['0011']);
    const re = new RegExp(n.patterns[0]!);
    for (const written of ['+55 11 98765-0011', '55 (11) 98765 0011', DORA]) expect(re.test(written), written).toBe(true);
    expect(re.test('5511 9876 5001 2')).toBe(false);
  });

  it('takes names from profiles, synced contacts and callers, not from what people wrote', () => {
    const rows = new Map<string, Array<Record<string, unknown>>>([
      ['contacts_v1', [{ profile_name: 'Dora Alves', username: 'dora.a' }]],
      ['management_events_v1', [
        { value_json: JSON.stringify({ state_sync: [{ contact: { full_name: 'Dora A. Alves', first_name: 'Dora' } }] }) },
        { value_json: JSON.stringify({ contacts: [{ profile: { name: 'Dorinha' } }], calls: [{ from: DORA }] }) },
        { value_json: JSON.stringify({ history: [{ threads: [{ messages: [{ text: { body: 'name: Zé' } }] }] }] }) },
      ]],
    ]);
    expect(namesIn(rows)).toEqual(['Dora A. Alves', 'Dora Alves', 'Dorinha', 'dora.a']);
  });
});

describe('trace text: the parts the search for a quoted person reads', () => {
  const leaves = (v: unknown, out: string[] = []): string[] => {
    if (typeof v === 'string' || typeof v === 'number') out.push(String(v));
    else if (Array.isArray(v)) for (const x of v) leaves(x, out);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) leaves(x, out);
    return out;
  };
  const bodies: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(TRACE_BODIES).filter(([, b]) => typeof b !== 'string')),
    ordinary: inbound({ from: DORA, id: 'wamid.O1', at: '2026-10-20T10:00:00Z', text: 'Oi', name: DORA_NAME }),
    statuses: statuses({ id: 'wamid.S1', to: ELI, status: 'delivered', at: '2026-10-20T10:00:00Z' }),
    template: templateEvent('2026-10-20T10:00:00Z'),
    notEnvelope: { note: `ligar ${DORA}` },
  };

  // Soundness: whenever erasure would remove a part of a body for quoting a text, that text is in
  // the body's trace text — so a search of the trace text alone finds every body erasure must change.
  for (const [name, body] of Object.entries(bodies)) {
    it(`${name}: every text whose quote would be removed is in the trace text`, () => {
      const trace = traceText(body);
      let removable = 0;
      for (const needle of new Set(leaves(body))) {
        if (needle.length < 2) continue;
        const changed = JSON.stringify(withoutQuoting(body, (json) => json.includes(needle))) !== JSON.stringify(body);
        if (changed) {
          removable++;
          expect(trace, `${name}: ${needle}`).toContain(needle);
        }
      }
      if (name === 'unknownText' || name === 'notEnvelope' || name === 'batched') expect(removable).toBeGreaterThan(0);
    });
  }

  it('an ordinary message or status body leaves its people’s content out of the trace text', () => {
    for (const b of [bodies.ordinary, bodies.statuses]) {
      const trace = traceText(b);
      for (const who of [DORA, ELI, DORA_NAME, 'Oi', 'wamid.O1', 'wamid.S1']) expect(trace).not.toContain(who);
    }
    expect(traceText(TRACE_BODIES.unknownText)).toContain(DORA_TEXTS[4]);
  });
});
