import { describe, expect, it } from 'vitest';
import { chatWaits, type ChatMessage } from '../../reports/sla/waits.ts';
import { parseSenderTag } from '../../reports/sla/classify.ts';

// The thread and wait rules on small hand-written chats. Times are minutes from an origin; each
// expected wait is [family, kind, start minute, response minute or null, responder].

const H = 60; // minutes per hour
const IDLE = 24 * 3_600_000;

type Step =
  | ['in', number, string?, { referral?: boolean }?]
  | ['out', number, string, { failed?: boolean; team?: string }?]
  | ['echo', number];

function chat(steps: Step[]): ChatMessage[] {
  return steps.map((s, i): ChatMessage => {
    const at = s[1] * 60_000;
    const wamid = `w${String(i).padStart(2, '0')}`;
    if (s[0] === 'in') return { dir: 'in', wamid, at, type: s[2] ?? 'text', referral: s[3]?.referral ?? false };
    const tag = s[0] === 'echo' ? { sender: 'human' as const, agent: '', team: '' } : parseSenderTag(`v1;src=${s[2]};ag=a1;tm=${s[3]?.team ?? 't1'}`);
    return {
      dir: 'out', wamid, at, sentAt: at, sender: tag.sender, agent: tag.agent, team: tag.team, failed: s[0] === 'out' && !!s[3]?.failed,
      template: false, deliveredAt: null, readAt: null, echo: s[0] === 'echo',
    };
  });
}

type Expected = [string, string, number, number | null, string];

function summary(steps: Step[]): Expected[] {
  return chatWaits(chat(steps), IDLE).map((w) => [w.family, w.kind, w.startedAt / 60_000, w.response ? w.response.at / 60_000 : null, w.response?.sender ?? '']);
}

describe('waits and threads', () => {
  const cases: [string, Step[], Expected[]][] = [
    ['a human reply closes both families', [['in', 0], ['out', 5, 'h']], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human']]],
    ['the clock runs from the first of several customer messages', [['in', 0], ['in', 2], ['in', 3], ['out', 10, 'h']], [['human', 'first', 0, 10, 'human'], ['any', 'first', 0, 10, 'human']]],
    ['only the first of several replies counts', [['in', 0], ['out', 5, 'h'], ['out', 6, 'h']], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human']]],
    ['bot then human: any closes at the bot, human at the agent', [['in', 0], ['out', 1, 'b'], ['out', 30, 'h']], [['human', 'first', 0, 30, 'human'], ['any', 'first', 0, 1, 'bot']]],
    ['bot reply then silence leaves the human wait open', [['in', 0], ['out', 1, 'b']], [['human', 'first', 0, null, ''], ['any', 'first', 0, 1, 'bot']]],
    ['an auto-reply is automation, never human', [['in', 0], ['out', 0.5, 'a'], ['out', 10, 'h']], [['human', 'first', 0, 10, 'human'], ['any', 'first', 0, 0.5, 'automation']]],
    ['campaign and notification sends are never responses', [['in', 0], ['out', 1, 'c'], ['out', 2, 'n']], [['human', 'first', 0, null, ''], ['any', 'first', 0, null, '']]],
    ['an untagged send counts for any only', [['in', 0], ['out', 3, 'x']], [['human', 'first', 0, null, ''], ['any', 'first', 0, 3, 'unknown']]],
    ['a failed reply does not answer; the wait keeps its start', [['in', 0], ['out', 5, 'h', { failed: true }], ['in', 8], ['out', 20, 'h']], [['human', 'first', 0, 20, 'human'], ['any', 'first', 0, 20, 'human']]],
    ['an echo from the business app is a human reply', [['in', 0], ['echo', 7]], [['human', 'first', 0, 7, 'human'], ['any', 'first', 0, 7, 'human']]],
    ['a same-second reply is 0 s', [['in', 0], ['out', 0, 'h']], [['human', 'first', 0, 0, 'human'], ['any', 'first', 0, 0, 'human']]],
    ['reactions never open a wait', [['in', 0, 'reaction']], []],
    ['system, unsupported, request_welcome, revoke and edit never open a wait', [['in', 0, 'system'], ['in', 1, 'unsupported'], ['in', 2, 'request_welcome'], ['in', 3, 'revoke'], ['in', 4, 'edit'], ['in', 5, 'unknown']], []],
    ['a reaction after the reply opens nothing', [['in', 0], ['out', 5, 'h'], ['in', 6, 'reaction']], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human']]],
    ['proactive outbound before any inbound: no wait, business thread', [['out', 0, 'c'], ['in', 60], ['out', 70, 'h']], [['human', 'reply_to_business', 60, 70, 'human'], ['any', 'reply_to_business', 60, 70, 'human']]],
    ['later waits of a thread are next', [['in', 0], ['out', 5, 'h'], ['in', 23 * H], ['out', 23 * H + 30, 'h']], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human'], ['human', 'next', 23 * H, 23 * H + 30, 'human'], ['any', 'next', 23 * H, 23 * H + 30, 'human']]],
    ['24 h idle starts a new thread: first again', [['in', 0], ['out', 5, 'h'], ['in', 24 * H + 5], ['out', 24 * H + 6, 'h']], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human'], ['human', 'first', 24 * H + 5, 24 * H + 6, 'human'], ['any', 'first', 24 * H + 5, 24 * H + 6, 'human']]],
    ['a gap just under 24 h keeps the thread', [['in', 0], ['out', 5, 'h'], ['in', 24 * H + 4], ['out', 24 * H + 6, 'h']], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human'], ['human', 'next', 24 * H + 4, 24 * H + 6, 'human'], ['any', 'next', 24 * H + 4, 24 * H + 6, 'human']]],
    ['a business message after 24 h idle starts a business thread', [['in', 0], ['out', 5, 'h'], ['out', 30 * H, 'c'], ['in', 31 * H]], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human'], ['human', 'reply_to_business', 31 * H, null, ''], ['any', 'reply_to_business', 31 * H, null, '']]],
    ['a failed send is not chat activity for threads', [['in', 0], ['out', 5, 'h'], ['out', 23 * H, 'h', { failed: true }], ['in', 25 * H]], [['human', 'first', 0, 5, 'human'], ['any', 'first', 0, 5, 'human'], ['human', 'first', 25 * H, null, ''], ['any', 'first', 25 * H, null, '']]],
    // The unanswered wait stays in thread 1 across the split; the next wait is thread 2's first.
    ['an open wait survives a thread split', [['in', 0], ['in', 25 * H], ['out', 25 * H + 10, 'h'], ['in', 25 * H + 20], ['out', 25 * H + 25, 'h']], [['human', 'first', 0, 25 * H + 10, 'human'], ['any', 'first', 0, 25 * H + 10, 'human'], ['human', 'first', 25 * H + 20, 25 * H + 25, 'human'], ['any', 'first', 25 * H + 20, 25 * H + 25, 'human']]],
    // An idle wait with only a bot reply: the human wait spans the split, the any family opens anew.
    ['families keep their own waits across a split', [['in', 0], ['out', 1, 'b'], ['in', 26 * H], ['out', 26 * H + 2, 'h']], [['human', 'first', 0, 26 * H + 2, 'human'], ['any', 'first', 0, 1, 'bot'], ['any', 'first', 26 * H, 26 * H + 2, 'human']]],
  ];
  it.each(cases)('%s', (_name, steps, expected) => {
    const sort = (xs: Expected[]) => [...xs].sort((a, b) => a[2] - b[2] || a[0].localeCompare(b[0]));
    expect(sort(summary(steps))).toEqual(sort(expected));
  });

  it('order of arrival does not matter', () => {
    const steps: Step[] = [['in', 0], ['out', 5, 'h', { failed: true }], ['in', 8], ['out', 20, 'h']];
    const forward = chatWaits(chat(steps), IDLE);
    const backward = chatWaits(chat(steps).reverse(), IDLE);
    expect(backward).toEqual(forward);
  });

  it('records the thread, its entry point and the team that owned the chat at the start', () => {
    const waits = chatWaits(chat([['in', 0, 'text', { referral: true }], ['out', 5, 'h', { team: 'sales' }], ['in', 60]]), IDLE);
    const human = waits.filter((w) => w.family === 'human');
    expect(human.map((w) => [w.kind, w.seq, w.entryPoint, w.ownerTeam, w.threadStartedAt, w.initiator])).toEqual([
      ['first', 1, 'ctwa', '', 0, 'customer'],
      ['next', 2, 'ctwa', 'sales', 0, 'customer'],
    ]);
  });
});

describe('sender tags', () => {
  it.each([
    ['v1;src=h;ag=ana;tm=care', { sender: 'human', agent: 'ana', team: 'care' }],
    ['v1;src=b;ag=bot7;tm=care', { sender: 'bot', agent: 'bot7', team: 'care' }],
    ['v1;tm=sales;src=a', { sender: 'automation', agent: '', team: 'sales' }],
    ['v1;src=c', { sender: 'campaign', agent: '', team: '' }],
    ['v1;src=n;ag=otp', { sender: 'notification', agent: 'otp', team: '' }],
    ['v1;src=z;ag=x', { sender: 'unknown', agent: 'x', team: '' }],
    ['', { sender: 'unknown', agent: '', team: '' }],
    ['campaign-2024-spring', { sender: 'unknown', agent: '', team: '' }],
    ['v2;src=h', { sender: 'unknown', agent: '', team: '' }],
  ])('%s', (tag, expected) => {
    expect(parseSenderTag(tag)).toEqual(expected);
  });
});
