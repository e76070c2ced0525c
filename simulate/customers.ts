// What customers do: start a conversation (sometimes from an ad), write in bursts of every message
// type, pick menu options, react, say thanks, disappear for days and come back.
import * as msg from './inbound.ts';
import { phoneNumber } from './people.ts';
import { Rng } from './prng.ts';
import { FOLLOW_UPS, MENU, OPENERS, REACTIONS, STOP_BY_LANG, THANKS } from './texts.ts';
import { onInbound } from './business.ts';
import type { Chat, WabaState, World } from './world.ts';
import type { Customer } from './people.ts';

export type TurnKind = 'open' | 'follow' | 'thanks' | 'menu' | 'button' | 'stop';

const H = 3600;

type MsgType = 'text' | 'image' | 'audio' | 'video' | 'document' | 'sticker' | 'location' | 'contacts' | 'order' | 'reaction' | 'unsupported';

const OPEN_TYPES: (readonly [MsgType, number])[] = [
  ['text', 70], ['image', 8], ['audio', 6], ['document', 3], ['video', 2], ['location', 2], ['order', 3], ['contacts', 1], ['sticker', 2], ['unsupported', 0.5],
];
const FOLLOW_TYPES: (readonly [MsgType, number])[] = [
  ['text', 72], ['image', 6], ['audio', 7], ['document', 3], ['video', 1.5], ['sticker', 3], ['location', 1], ['contacts', 0.5], ['reaction', 5], ['unsupported', 1],
];
const NOT_QUALIFYING = new Set(['reaction', 'system', 'unsupported', 'unknown', 'request_welcome', 'revoke', 'edit']);

/** Delay before the customer writes again: mostly minutes, sometimes hours, sometimes days. */
export function customerDelay(r: Rng): number {
  const x = r.next();
  if (x < 0.06) return r.range(26 * H, 4 * 24 * H);
  if (x < 0.14) return r.range(H, 10 * H);
  return Math.round(Math.min(3600, Math.max(4, r.lognormal(80, 1.1))));
}

/** Sends one inbound message and tells the truth whether it can open a wait. */
function send(world: World, chat: Chat, t: number, type: MsgType | 'text-body', body?: string, extra?: msg.Json): string {
  const r = chat.waba.rng;
  const id = world.ids.wamid(chat.waId, true);
  const from = chat.waId;
  let obj: msg.Json;
  switch (type) {
    case 'text':
    case 'text-body':
      obj = msg.text(from, id, t, body ?? r.pick(FOLLOW_UPS[chat.customer.lang]), extra);
      break;
    case 'image': case 'audio': case 'video': case 'document': case 'sticker':
      obj = msg.media(type, from, id, t, world.ids, r, type === 'image' && r.chance(0.08) ? { context: { forwarded: true } } : undefined);
      break;
    case 'location':
      obj = msg.location(from, id, t, chat.customer.country, r);
      break;
    case 'contacts':
      obj = msg.contacts(from, id, t, chat.customer.country, r);
      break;
    case 'order':
      obj = msg.order(from, id, t, chat.waba.spec.currency === 'GBP' ? 'GBP' : 'BRL', r);
      break;
    case 'reaction':
      obj = msg.reaction(from, id, t, chat.lastBizWamid!, r.chance(0.9) ? r.pick(REACTIONS) : null);
      break;
    case 'unsupported':
      obj = msg.unsupported(from, id, t, r);
      break;
  }
  world.inbound(chat, t, obj, { qualifying: !NOT_QUALIFYING.has(String(obj.type)) });
  return String(obj.type);
}

export function customerTurn(world: World, chat: Chat, t: number, kind: TurnKind, opts: { referral?: boolean } = {}): void {
  const r = chat.waba.rng;
  const lang = chat.customer.lang;
  const types: string[] = [];
  let at = t;
  const ctx = chat.lastBizWamid ? { from: chat.pn.display_phone_number, id: chat.lastBizWamid } : null;
  if (kind === 'open') {
    if (opts.referral) {
      chat.pricing.referralAt = t;
      types.push(send(world, chat, at, 'text-body', r.pick(OPENERS[lang]), { referral: msg.referral(world.ids, r, chat.waba.spec.name) }));
    } else {
      const first = r.weighted(OPEN_TYPES);
      types.push(send(world, chat, at, first === 'text' ? 'text-body' : first, r.pick(OPENERS[lang])));
    }
    for (const p of [0.4, 0.15]) {
      if (!r.chance(p)) break;
      at += r.range(3, 40);
      types.push(send(world, chat, at, r.chance(0.8) ? 'text' : 'image'));
    }
  } else if (kind === 'follow') {
    const n = r.chance(0.75) ? 1 : 2;
    for (let i = 0; i < n; i++) {
      let type = r.weighted(FOLLOW_TYPES);
      if (type === 'reaction' && !chat.lastBizWamid) type = 'text';
      types.push(send(world, chat, at, type));
      at += r.range(2, 30);
    }
  } else if (kind === 'thanks') {
    types.push(send(world, chat, at, 'text-body', r.pick(THANKS[lang])));
  } else if (kind === 'stop') {
    types.push(send(world, chat, at, 'text-body', r.pick(STOP_BY_LANG[lang])));
  } else if (kind === 'menu' && ctx) {
    if (r.chance(0.15)) types.push(send(world, chat, at, 'text'));
    else {
      const id = world.ids.wamid(chat.waId, true);
      const list = r.chance(0.6);
      const [rid, title, description] = list ? r.pick(MENU.list) : [...r.pick(MENU.buttons), undefined];
      const obj = msg.interactiveReply(chat.waId, id, at, ctx, { kind: list ? 'list_reply' : 'button_reply', id: rid, title, ...(description ? { description } : {}) });
      world.inbound(chat, at, obj, { qualifying: true });
      chat.menuChoice = rid;
      types.push('interactive');
    }
  } else if (kind === 'button' && ctx) {
    const id = world.ids.wamid(chat.waId, true);
    const label = lang === 'pt' ? 'Quero saber mais' : 'Tell me more';
    world.inbound(chat, at, msg.button(chat.waId, id, at, ctx, 'MORE_INFO', label), { qualifying: true });
    types.push('button');
  }
  if (types.length === 0) return;
  if (types.every((x) => NOT_QUALIFYING.has(x))) return; // a lone reaction expects no answer
  onInbound(world, chat, at, kind);
}

/** A customer contact: the first turn of a session on their usual number. */
export function startSession(world: World, waba: WabaState, t: number, customer: Customer, opts: { referral: boolean; purchase: boolean }): Chat {
  const r = waba.rng;
  let chat = world.chat(waba, customer.home, customer);
  if (Number.isFinite(chat.lastInbound) && r.chance(0.004)) {
    chat = changeNumber(world, chat, t);
    t += r.range(5, 120);
  }
  if (t - Math.max(chat.lastInbound, chat.lastOutSec) > 6 * H) {
    chat.botStep = 0;
    chat.handedOff = false;
    chat.agent = null;
  }
  chat.turnsLeft = Math.min(6, r.geometric(0.35));
  // Some people send a bare STOP out of the blue (often after a promotion elsewhere).
  if (r.chance(0.006)) customerTurn(world, chat, t, 'stop');
  else customerTurn(world, chat, t, 'open', { referral: opts.referral && !Number.isFinite(chat.lastInbound) });
  return chat;
}

/** The user moved to a new number: a `system` message from the old one, then a fresh chat. */
function changeNumber(world: World, chat: Chat, t: number): Chat {
  const waba = chat.waba;
  const c = chat.customer;
  const r = Rng.derive(waba.seed, 'new-number', waba.spec.waba_id, c.index, t);
  let next = phoneNumber(r, c.country);
  while (waba.waIds.has(next)) next = phoneNumber(r, c.country);
  const id = world.ids.wamid(chat.waId, true);
  world.inbound(chat, t, msg.userChangedNumber(chat.waId, id, t, c.name, next), { qualifying: false, contact: false, subjects: [next] });
  waba.waIds.add(next);
  c.waId = next;
  world.count('number_changes');
  return world.chat(waba, chat.pnIndex, c);
}
