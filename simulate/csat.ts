// CSAT surveys with known answers: the order system's survey carries `cs=<template>` in its tag
// (docs/LABELS.md); some customers answer with a score button (some twice: the last answer counts),
// some add a comment, most never answer. Answers are drawn from their own PRNG stream and posted
// with their own ids, so the rest of a seeded world draws what it drew before.
import { IdFactory } from './ids.ts';
import * as msg from './inbound.ts';
import { Rng } from './prng.ts';
import type { PlannedStatus } from './statuses.ts';
import { sendMessage } from './outbound.ts';
import type { WaitRecord } from './waits.ts';
import type { Chat, OutSpec, World } from './world.ts';

export interface CsatRecord {
  kind: 'csat';
  waba_id: string;
  survey: string;
  agent: string;
  team: string;
  surveys_sent: number;
  responses: number;
  scores: [number, number, number, number, number];
  comments: number;
}

interface Survey {
  waba: string;
  name: string;
  sentAt: number;
  score: number;
  comments: number;
  agent?: string;
  team?: string;
}

interface Answer {
  at: number;
  agent: string | null;
  team: string | null;
}

interface ChatState {
  last: Answer | null;
  pending: Survey[];
}

/** The helpdesk's survey after a chat with an agent (the order system's survey is named by its template). */
export const POST_CHAT = 'post_chat';

const COMMENTS = { pt: 'Atendimento ótimo, obrigado', en: 'Quick and friendly, thanks' } as const;

export class CsatTruth {
  private chats = new Map<string, ChatState>();
  /** Credited surveys; their answers may still come, so they are counted at the end. */
  private credited: Survey[] = [];
  private rngs = new Map<string, Rng>();
  private ids: IdFactory | null = null;

  /** The extras of a survey send: `cs=` in its tag, and its answers once Meta's statuses are planned. */
  surveySpec(world: World, chat: Chat, name: string): Partial<OutSpec> {
    return { tagExtra: `;cs=${name}`, onPlan: (wamid, plan) => this.sent(world, chat, name, wamid, plan) };
  }

  /** After an agent's answer, now and then the helpdesk sends its post-chat survey (an automation). */
  afterHumanAnswer(world: World, chat: Chat, T: number): void {
    const r = this.rng(world, chat.key.waba_id);
    if (!r.chance(0.25)) return;
    const template = chat.waba.template('survey');
    world.at(T + r.range(1800, 4 * 3600), chat.waba, () => {
      sendMessage(world, chat, world.now, { template, src: 'a', agent: 'csat-bot', team: chat.pn.team, engaged: false, rng: r, ...this.surveySpec(world, chat, POST_CHAT) });
    });
  }

  private state(key: string): ChatState {
    let s = this.chats.get(key);
    if (!s) this.chats.set(key, (s = { last: null, pending: [] }));
    return s;
  }

  /** A survey the service can see (it has a `sent` status), and the customer's answers to it. */
  private sent(world: World, chat: Chat, name: string, wamid: string, plan: readonly PlannedStatus[]): void {
    const sent = plan.find((s) => s.status === 'sent');
    if (!sent) return;
    const survey: Survey = { waba: chat.key.waba_id, name, sentAt: sent.ts, score: 0, comments: 0 };
    this.state(keyOf(chat.key)).pending.push(survey);
    const shown = plan.find((s) => s.status === 'delivered' || s.status === 'read');
    if (!shown) return;
    const r = this.rng(world, chat.key.waba_id);
    if (!r.chance(0.55)) return;
    let at = shown.ts + r.range(20, 3600);
    const answers = r.chance(0.2) ? 2 : 1;
    for (let i = 0; i < answers; i++) {
      const score = r.weighted([[5, 5], [4, 3], [3, 1], [2, 1], [1, 1]] as const);
      world.at(at, chat.waba, () => this.answer(world, chat, wamid, survey, String(score)));
      at += r.range(60, 7200);
    }
    if (r.chance(0.15)) world.at(at, chat.waba, () => this.comment(world, chat, wamid, survey));
  }

  private rng(world: World, waba: string): Rng {
    let r = this.rngs.get(waba);
    if (!r) this.rngs.set(waba, (r = Rng.derive(world.seed, 'csat', waba)));
    return r;
  }

  private id(world: World, waId: string): string {
    this.ids ??= new IdFactory(Rng.derive(world.seed, 'csat-ids'));
    return this.ids.wamid(waId, true);
  }

  /** A score button: the last answer of a survey counts (the answers come in time order). */
  private answer(world: World, chat: Chat, survey: string, s: Survey, score: string): void {
    const t = world.now;
    const label = chat.customer.lang === 'pt' ? `Nota ${score}` : `Score ${score}`;
    const obj = msg.button(chat.waId, this.id(world, chat.waId), t, { from: chat.pn.display_phone_number, id: survey }, score, label);
    world.inbound(chat, t, obj, { qualifying: true, rng: this.rng(world, chat.key.waba_id) });
    s.score = Number(score);
  }

  private comment(world: World, chat: Chat, survey: string, s: Survey): void {
    const t = world.now;
    const body = chat.customer.lang === 'pt' ? COMMENTS.pt : COMMENTS.en;
    const obj = msg.text(chat.waId, this.id(world, chat.waId), t, body, { context: { from: chat.pn.display_phone_number, id: survey } });
    world.inbound(chat, t, obj, { qualifying: true, rng: this.rng(world, chat.key.waba_id) });
    s.comments++;
  }

  /**
   * Credit: the agent and team of the chat's last human-answered wait at or before the survey's
   * `sent`. A chat's human answers come here in time order, so a survey waiting for its credit is
   * settled by the first answer after it (or at the end of the data).
   */
  observeWait(w: WaitRecord): void {
    if (w.family !== 'human' || w.response_at === null) return;
    const s = this.state(keyOf(w));
    const answer = { at: w.response_at, agent: w.agent, team: w.team };
    s.pending = s.pending.filter((sv) => {
      if (sv.sentAt >= answer.at) return true;
      this.credit(sv, s.last);
      return false;
    });
    s.last = answer;
  }

  private credit(sv: Survey, last: Answer | null): void {
    sv.agent = last === null ? '(no human reply)' : last.agent ?? '(untagged)';
    sv.team = last === null ? '(no human reply)' : last.team ?? '(untagged)';
    this.credited.push(sv);
  }

  /** At the end of the data (every wait emitted): the surveys still pending take the chat's last answer. */
  records(): CsatRecord[] {
    for (const s of this.chats.values()) for (const sv of s.pending) this.credit(sv, s.last);
    this.chats.clear();
    const cells = new Map<string, CsatRecord>();
    for (const sv of this.credited) {
      const key = `${sv.waba}|${sv.name}|${sv.agent}|${sv.team}`;
      let c = cells.get(key);
      if (!c) cells.set(key, (c = { kind: 'csat', waba_id: sv.waba, survey: sv.name, agent: sv.agent!, team: sv.team!, surveys_sent: 0, responses: 0, scores: [0, 0, 0, 0, 0], comments: 0 }));
      c.surveys_sent++;
      if (sv.score > 0) {
        c.responses++;
        c.scores[sv.score - 1]!++;
      }
      c.comments += sv.comments;
    }
    return [...cells.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, v]) => v);
  }
}

function keyOf(k: { waba_id: string; phone_number_id: string; wa_id: string }): string {
  return `${k.waba_id}|${k.phone_number_id}|${k.wa_id}`;
}
