import { describe, expect, it } from 'vitest';
import { changeIds, idsInError, idsInText, idsInValue, itemIds, phoneDigits, splitItem, threadIds } from '../../ingest/subject-ids.ts';
import { normalizeBody } from '../../ingest/normalize.ts';
import { NOT_JSON, TRACE_BODIES, DORA, ELI } from '../compliance/trace-fixtures.ts';

const BUSINESS = new Set(['15550783881']);

describe('who a piece of a webhook names', () => {
  it.each([
    ['+5511987650011', '5511987650011'],
    ['+55 11 98765-0011', '5511987650011'],
    ['(11) 98765-0011', '11987650011'],
    ['5511987650011', '5511987650011'],
    ['12345', '12345'], // too short for a number: left as written
    ['1234567890123456', '1234567890123456'], // too long
    ['BR.abc123', 'BR.abc123'],
    ['120363040000000001', '120363040000000001'], // a group id (18 digits) is not a number
    ['', ''],
  ])('phoneDigits(%j) = %j', (input, expected) => expect(phoneDigits(input)).toBe(expected));

  it.each([
    ['Message undeliverable to +55 11 98765-0011', ['5511987650011']],
    ['call 5511987650011 or 4915112340003', ['5511987650011', '4915112340003']],
    ['user BR.dora0011ab wrote', ['BR.dora0011ab']],
    ['Rate limit hit', []],
    ['code 131', []],
    ['(#131056) (Business Account, Consumer Account) pair rate limit hit', []],
    ['History sync is turned off (2593109)', []],
  ])('idsInText(%j)', (text, expected) => expect(idsInText(text)).toEqual(expected));

  it('reads ids under id-like keys anywhere, never the business number or metadata', () => {
    const value = { metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' }, a: [{ from: '+55 11 98765-0011', to: '15550783881', x: { user_id: 'BR.eli0022' } }], note: '5511000000000' };
    expect(idsInValue(value, BUSINESS).sort()).toEqual(['5511987650011', 'BR.eli0022']);
  });

  it('takes an error’s people from the numbers its texts quote', () => {
    expect(idsInError({ code: 131026, title: 't', message: 'to +55 11 98765-0011', error_data: { details: 'Recipient 4915112340003' } })).toEqual(['5511987650011', '4915112340003']);
    expect(idsInError('x')).toEqual([]);
  });

  it('names nobody in the business’s own events', () => {
    expect(changeIds('account_update', { phone_number: '15550783881', event: 'VERIFIED_ACCOUNT' })).toEqual([]);
    expect(changeIds('customer_profile_update', { customer: { wa_id: DORA } })).toEqual([DORA]);
  });

  it('splits a history chunk by thread, each thread naming its user', () => {
    const chunk = (TRACE_BODIES.history.entry as any)[0].changes[0].value.history[0];
    const parts = splitItem('history', chunk);
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => itemIds('history', p, BUSINESS))).toEqual([[DORA], [ELI]]);
    expect(threadIds({ id: DORA, messages: [{ from: '15550783881', to: `+${DORA}` }] }, BUSINESS)).toEqual([DORA]);
  });
});

describe('the normalizer keys every record to the people it names', () => {
  const norm = (b: unknown) => normalizeBody(b, { bodySha256: 'x', receivedAt: 0 });

  it('history: one management row per thread, keyed to that thread’s user', () => {
    const n = norm(TRACE_BODIES.history);
    expect(n.subjectIds.sort()).toEqual([DORA, ELI].sort());
    expect(n.rows.management.map((r) => r.subject_ids)).toEqual([[DORA], [ELI]]);
    expect(n.rows.management[0]!.value_json).not.toContain(ELI);
  });

  it('contact sync and calls: rows per item, with the caller’s contact and without the business', () => {
    expect(norm(TRACE_BODIES.stateSync).rows.management.map((r) => r.subject_ids)).toEqual([[DORA], [ELI]]);
    const call = norm(TRACE_BODIES.call);
    expect(call.subjectIds).toEqual([DORA]);
    expect(JSON.parse(call.rows.management[0]!.value_json).contacts).toEqual([{ profile: { name: 'Dora Alves' }, wa_id: DORA }]);
  });

  it('group statuses name the participant; errors the number they quote; the echo’s `+` is dropped', () => {
    expect(norm(TRACE_BODIES.group).subjectIds).toEqual(expect.arrayContaining([DORA, ELI]));
    const err = norm(TRACE_BODIES.errorQuote);
    expect(err.rows.errors[0]!.subject_ids).toEqual([DORA]);
    expect(err.subjectIds).toEqual([DORA]);
    const echo = norm(TRACE_BODIES.plusEcho);
    expect(echo.rows.echoes[0]).toMatchObject({ to_wa_id: DORA, from_number: '15550783881' });
    expect(echo.rows.echoes[0]!.raw_json).toContain(`+${DORA}`);
  });

  it('an unknown field is keyed by its id-like keys; a number only in free text is left to the text search', () => {
    const u = norm(TRACE_BODIES.unknownField);
    expect(u.rows.management[0]!.subject_ids).toEqual([DORA]);
    expect(u.rows.unknown[0]!.subject_ids).toEqual([DORA]);
    expect(norm(TRACE_BODIES.unknownText).subjectIds).toEqual([]);
    expect(idsInText(NOT_JSON.number)).toEqual([DORA]);
  });
});
