// Business-side primitives: a message sent through the Cloud API (with its status timeline, pricing
// and failures), a reply typed in the WhatsApp Business app (an echo), preference changes and
// management events. Each one reports its facts to the truth as it is decided.
import { marketOf } from './markets.ts';
import type { Rng } from './prng.ts';
import type { Json } from './inbound.ts';
import { planStatuses, statusObject, type FailMode, type PlannedStatus } from './statuses.ts';
import type { ResponderClass } from './waits.ts';
import type { TemplatesRecord } from './truth.ts';
import { DAY, type Chat, type OutResult, type OutSpec, type WabaState, type World } from './world.ts';

const CLASS: Record<string, ResponderClass | null> = { h: 'human', b: 'bot', a: 'automation', c: null, n: null };

function failMode(world: World, chat: Chat, spec: OutSpec, marketing: boolean): FailMode {
  const r = spec.rng ?? chat.waba.rng;
  if (spec.forceFail !== undefined) return { kind: 'immediate', code: spec.forceFail };
  if (marketing && chat.waba.metaStopped.has(chat.waId)) {
    return r.chance(0.1) ? { kind: 'after_sent', code: 131050 } : { kind: 'immediate', code: 131050 };
  }
  if (spec.reliable) return { kind: 'none' };
  if (r.chance(0.004)) return { kind: 'immediate', code: 131026 };
  // A marketing template failing after `sent` is Meta's per-user marketing limit (131049).
  if (r.chance(0.008)) return { kind: 'after_sent', code: marketing ? 131049 : 131026 };
  return { kind: 'none' };
}

/** Posting times: each status a little after it happened; now and then `sent` after `delivered`. */
function postingTimes(world: World, chat: Chat, plan: PlannedStatus[], r: Rng): number[] {
  const at = plan.map((s) => s.ts * 1000 + world.latencyMs(r));
  const idx = (name: string) => plan.findIndex((s) => s.status === name);
  const sent = idx('sent');
  const later = idx('delivered') >= 0 ? idx('delivered') : idx('failed');
  if (sent >= 0 && later >= 0 && r.chance(0.06)) at[sent] = at[later]! + r.range(300, 4000);
  const delivered = idx('delivered');
  const read = idx('read');
  if (delivered >= 0 && read >= 0 && r.chance(0.03)) at[delivered] = at[read]! + r.range(300, 5000);
  return at;
}

export function sendMessage(world: World, chat: Chat, T0: number, spec: OutSpec): OutResult {
  const waba = chat.waba;
  const r = spec.rng ?? waba.rng;
  // One business message per chat per second keeps the order of responses unambiguous.
  const T = Math.max(T0, chat.lastOutSec + 1);
  chat.lastOutSec = T;
  const wamid = world.ids.wamid(chat.waId, false);
  const category = spec.template ? waba.templateCategory.get(spec.template.name)! : null;
  const marketingIntent = category === 'marketing' || spec.src === 'c';
  const fail = failMode(world, chat, spec, marketingIntent);
  const plan = planStatuses(r, T, fail, chat.customer, spec.engaged);
  const refused = fail.kind === 'immediate';
  spec.onPlan?.(wamid, plan);
  // Templates are named in the tag (tp/tl, cp for campaigns), except those of a shipping system and
  // the survey tool that cannot tag: untagged template sends.
  const named = spec.template !== undefined && !UNTAGGED.has(spec.template.purpose);
  const templateTag = named ? `;tp=${spec.template!.name};tl=${spec.template!.language}${spec.src === 'c' ? `;cp=${spec.agent}` : ''}` : '';
  const tag = spec.src === null ? undefined : `v1;src=${spec.src};ag=${spec.agent};tm=${spec.team}${templateTag}${spec.tagExtra ?? ''}`;
  const waId = chat.waId;
  const wabaId = waba.spec.waba_id;

  let pricing: Json | undefined;
  let conversation: { id: string; origin: string; expiration: number } | undefined;
  let pricedCategory: string | null = null;
  let pricedModel: string | null = null;
  if (!refused) {
    const local = waba.clock.local(T);
    const intlFrom = category === 'authentication' ? waba.spec.authInternational[chat.customer.country] : undefined;
    const d = waba.pricing.price(chat.pricing, T, local.date, local.month, { template: category, authInternational: intlFrom !== undefined && local.date >= intlFrom }, chat.csw(T));
    pricing = d.pricing;
    conversation = d.conversation;
    pricedCategory = d.category;
    pricedModel = d.model;
    world.ads.outbound(wabaId, chat.pn.phone_number_id, waId, T, d.type === 'free_entry_point' || (d.model === 'CBP' && d.category === 'referral_conversion'));
    if (d.model === 'CBP' && d.opened) world.truth.cbpConversation(wabaId, local.month, d.category, d.billable, d.opened.freeTier);
    // Meta charges on delivery: a message never delivered (failed, or a priced `sent` alone) is not charged.
    const shown = plan.filter((s) => s.status === 'delivered' || s.status === 'read').map((s) => s.ts);
    if (d.model === 'PMP' && shown.length > 0) {
      world.truth.pmpMessage(wabaId, waba.clock.month(Math.min(...shown)), marketOf(waId), d.category, d.type!, d.billable);
    }
  }

  if (refused) world.ads.outbound(wabaId, chat.pn.phone_number_id, waId, T, false);
  const rec = spec.template ? templateTruth(world, wabaId, spec, named && spec.src !== null, plan, fail, pricedCategory, pricedModel) : null;
  if (rec) {
    const shown = plan.filter((s) => s.status === 'delivered' || s.status === 'read').map((s) => s.ts);
    world.followUps.send(wabaId, chat.pn.phone_number_id, waId, wamid, T, shown.length > 0 ? Math.min(...shown) : null, rec, world.now);
  }

  const at = postingTimes(world, chat, plan, r);
  plan.forEach((s, i) => {
    const obj = statusObject(wamid, s, waId, { conversation, pricing, tag, errorCode: fail.kind === 'none' ? undefined : fail.code });
    world.delivery.push({ t: at[i]!, kind: 'status', waba: wabaId, field: 'messages', pnid: chat.pn.phone_number_id, display: chat.pn.display_phone_number, obj, subjects: [waId] });
    world.count('items.status');
  });

  const failed = fail.kind !== 'none';
  const responder = spec.src === null ? 'unknown' : CLASS[spec.src]!;
  chat.waits.add({
    dir: 'out', t: T, seq: world.nextFactSeq(), wamid, failed, responder,
    agent: spec.src === null ? null : spec.agent, team: spec.src === null ? null : spec.team,
  }, world.now);

  if (fail.kind !== 'none' && fail.code === 131050) {
    const failedAt = plan.find((s) => s.status === 'failed')!.ts;
    world.optout(waba, waId, failedAt, 'stop', 'error_131050');
    if (!waba.crmOptouts.has(waId)) waba.crmOptouts.set(waId, failedAt);
  }
  if (!refused && (pricedCategory === 'marketing' || spec.src === 'c')) {
    world.truth.marketingSent(wabaId, chat.pn.phone_number_id, waId, wamid, spec.template?.name ?? null, T);
  }
  if (!refused) chat.lastBizWamid = wamid;
  world.count(`outbound.${spec.src ?? 'untagged'}`);
  if (failed) world.count(`failed.${fail.code}`);
  return { wamid, T, failed, refused };
}

const FREE_FORM = new Set(['service', 'user_initiated', 'referral_conversion']);
const UNTAGGED = new Set(['order_shipped', 'survey']);

/**
 * A template send's outcome for the templates report's truth (docs/TRUTH.md). A send Meta refused
 * outright has only a `failed` status, without tag or pricing: nobody can tell it was a template.
 * An untagged send is seen as a template only when Meta priced it in a template category.
 */
function templateTruth(world: World, wabaId: string, spec: OutSpec, tagged: boolean, plan: PlannedStatus[], fail: FailMode, category: string | null, model: string | null): TemplatesRecord | null {
  if (fail.kind === 'immediate') return null;
  if (!tagged && (category === null || FREE_FORM.has(category))) return null;
  const delivered = plan.some((s) => s.status === 'delivered' || s.status === 'read');
  return world.truth.templateSend(wabaId, tagged ? spec.template!.name : '', tagged ? spec.template!.language : '', tagged && spec.src === 'c' ? spec.agent : '', {
    accepted: true,
    delivered,
    read: plan.some((s) => s.status === 'read'),
    priced: true,
    failedCode: fail.kind === 'none' ? null : fail.code,
    charged: model === 'PMP' && delivered,
  });
}

/** A reply typed in the WhatsApp Business app, delivered as `smb_message_echoes` (human). */
export function sendEcho(world: World, chat: Chat, T0: number, text: string): OutResult {
  const T = Math.max(T0, chat.lastOutSec + 1);
  chat.lastOutSec = T;
  const wamid = world.ids.wamid(chat.waId, false);
  const obj = { from: chat.pn.display_phone_number, to: chat.waId, id: wamid, timestamp: String(T), type: 'text', text: { body: text } };
  world.delivery.push({
    t: T * 1000 + world.latencyMs(chat.waba.rng), kind: 'echo', waba: chat.key.waba_id, field: 'smb_message_echoes',
    pnid: chat.pn.phone_number_id, display: chat.pn.display_phone_number, obj, subjects: [chat.waId],
  });
  world.count('items.echo');
  chat.waits.add({ dir: 'out', t: T, seq: world.nextFactSeq(), wamid, failed: false, responder: 'human', agent: null, team: null }, world.now);
  chat.lastBizWamid = wamid;
  return { wamid, T, failed: false, refused: false };
}

/** The user stops or resumes marketing inside WhatsApp: a `user_preferences` webhook. */
export function userPreference(world: World, chat: Chat, t: number, value: 'stop' | 'resume'): void {
  const waba = chat.waba;
  const detail = value === 'stop' ? 'User requested to stop marketing messages' : 'User requested to resume marketing messages';
  world.delivery.push({
    t: t * 1000 + world.latencyMs(waba.rng), kind: 'user_preference', waba: waba.spec.waba_id, field: 'user_preferences',
    pnid: chat.pn.phone_number_id, display: chat.pn.display_phone_number,
    obj: { wa_id: chat.waId, detail, category: 'marketing_messages', value, timestamp: t },
    contact: { name: chat.customer.name, waId: chat.waId }, subjects: [chat.waId],
  });
  world.count('items.user_preference');
  world.optout(waba, chat.waId, t, value, 'user_preferences');
  if (value === 'stop') world.followUps.preferenceStop(waba.spec.waba_id, chat.waId, t, world.now);
  if (value === 'stop') {
    waba.metaStopped.add(chat.waId);
    if (!waba.crmOptouts.has(chat.waId)) waba.crmOptouts.set(chat.waId, t + DAY);
  } else {
    waba.metaStopped.delete(chat.waId);
    waba.crmOptouts.delete(chat.waId);
  }
}

/**
 * A management webhook (template, quality, account events): its own POST with integer entry.time.
 * `r` draws its posting delay (default the WABA's stream).
 */
export function management(world: World, waba: WabaState, t: number, field: string, value: Json, r: Rng = waba.rng): void {
  world.delivery.push({ t: t * 1000 + world.latencyMs(r), kind: 'management', waba: waba.spec.waba_id, field, obj: value, subjects: [], entryTime: t });
  world.count('items.management');
  world.truth.emit({ kind: 'management', waba_id: waba.spec.waba_id, field, event: String(value.event ?? value.new_quality_score ?? value.new_category ?? ''), at: t,
    template: String(value.message_template_name ?? ''), language: String(value.message_template_language ?? '') });
}
