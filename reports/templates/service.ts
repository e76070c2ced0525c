import type { AppDeps } from '../../app/deps.ts';
import { adRows, type AdRow } from '../../warehouse/queries/templates/ads.ts';
import { TEMPLATE_FIELDS, templateChanges, type TemplateChange } from '../../warehouse/queries/templates/history.ts';
import { derivedCells, derivedChargeCells } from '../../warehouse/queries/templates/sends.ts';
import { insertSendLog } from '../../warehouse/queries/templates/send-log.ts';
import { contactReferrals, insertConversions } from '../../warehouse/queries/templates/conversions.ts';
import type { WabaScopeInput } from '../../warehouse/scope.ts';
import { requireInScope } from '../scope.ts';
import { parseConversions, tieToClicks } from './conversions.ts';
import { catalogCategories, catalogChanges, insertCatalog } from '../../warehouse/queries/templates/catalog.ts';
import { catalogRows, parseCatalog } from './catalog.ts';
import { analyticsPoints, insertAnalytics, templateNames } from '../../warehouse/queries/templates/analytics.ts';
import { analyticsRows, parseAnalytics, reconcile, type OurDay, type ReconciliationRow } from './analytics.ts';
import { Tenants } from '../billing/config.ts';
import { readRateBook } from '../billing/rate-cards.ts';
import { templatesConfig, type TemplatesConfig } from './config.ts';
import type { RangeParams, TemplateParams } from './params.ts';
import { templateRows, type TemplateRow } from './performance.ts';
import { riskRows, type RiskRow } from './risk.ts';
import { parseSendLog, sendLogRows } from './send-log.ts';
import { customersOf, ensureSends, rebuildCustomers, sendsEnv, type SendsEnv } from './sends.ts';

const EARLIEST = Date.UTC(2000, 0, 1);

/**
 * The WABAs a report reads (`[]`: every one): the one asked for (the endpoint refuses one outside
 * the scope), else the caller's scope. A scope of no WABA reads none.
 */
export function wabasOf(p: RangeParams): string[] {
  if (p.waba) return [p.waba];
  if (p.scope === 'all') return [];
  return p.scope.length > 0 ? [...p.scope] : ['\u0000none'];
}

/**
 * The template reports as operations shared by the HTTP routes and the CLI: checked parameters in,
 * rows out. The performance report sums the derived template sends (sends.ts), which the follower
 * updates after each load, so a template event is in it as soon as its batch is followed; the
 * history and ads read the stored webhooks as they are.
 */
export class TemplateReports {
  readonly tenants: Tenants;
  readonly cfg: TemplatesConfig;
  readonly sends: SendsEnv;

  constructor(readonly deps: AppDeps) {
    this.tenants = new Tenants(deps.config.file.tenants);
    this.cfg = templatesConfig(deps.config);
    this.sends = sendsEnv(deps);
  }

  zoneOf = (waba: string): string => this.tenants.of(waba).zone;

  async performance(p: TemplateParams): Promise<TemplateRow[]> {
    const wh = this.deps.warehouse;
    await ensureSends(this.sends);
    const range = { from_ms: p.from_ms, to_ms: p.to_ms, tz: p.tz, wabas: wabasOf(p), labels: p.label?.labels ?? [], label_match: p.label?.label_match ?? 'any' };
    const shape = { grouped: p.groupBy.includes('label'), filtered: (p.label?.labels.length ?? 0) > 0 };
    const cells = [...(await derivedCells(wh, range, shape)), ...(await derivedChargeCells(wh, range, shape))];
    const currencies = [...new Set(cells.map((c) => this.tenants.of(c.waba_id).currency))];
    const book = await readRateBook(wh, currencies);
    return this.withCatalogCategories(templateRows(cells, p.groupBy, { book, currencyOf: (w) => this.tenants.of(w).currency }), wabasOf(p));
  }

  /** A template whose sends carry no pricing at all takes its category from the imported catalogue. */
  private async withCatalogCategories(rows: TemplateRow[], wabas: string[]): Promise<TemplateRow[]> {
    if (!rows.some((r) => r.category === '' && r.template !== '')) return rows;
    const known = new Map((await catalogCategories(this.deps.warehouse, { wabas })).map((c) => [`${c.waba_id}\0${c.name}\0${c.language}`, c.category]));
    return rows.map((r) => (r.category === '' && r.template !== '' ? { ...r, category: known.get(`${r.waba_id}\0${r.template}\0${r.language}`) ?? '' } : r));
  }

  /** The webhooks' changes, and the imported catalogue's word where no webhook of that kind said anything (in Meta's order). */
  async history(p: RangeParams): Promise<TemplateChange[]> {
    const r = { wabas: wabasOf(p), from_ms: p.from_ms, to_ms: p.to_ms };
    const [changes, catalogue] = [await templateChanges(this.deps.warehouse, { ...r, fields: [...TEMPLATE_FIELDS] }), await catalogChanges(this.deps.warehouse, r)];
    if (catalogue.length === 0) return changes;
    const order = (x: TemplateChange) => `${x.waba_id}\0${x.at}\0${x.template_id}\0${x.field}\0${x.event}`;
    return [...changes, ...catalogue].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  }

  /** Loads a saved `template_analytics` response for one WABA (CsvError lists every problem; nothing loaded then). */
  async importAnalytics(text: string, waba: string): Promise<{ import_id: string; data_points: number }> {
    const { points, importId } = parseAnalytics(text);
    await insertAnalytics(this.deps.warehouse, analyticsRows(points, waba, importId, this.deps.now().getTime()));
    return { import_id: importId, data_points: points.length };
  }

  /** Meta's template_analytics beside ours, per template id and UTC day. */
  async reconciliation(p: RangeParams, onlyDifferences: boolean): Promise<ReconciliationRow[]> {
    const wabas = wabasOf(p);
    const utc = { ...p, tz: 'UTC' };
    const meta = (await analyticsPoints(this.deps.warehouse, { wabas, from_ms: p.from_ms, to_ms: p.to_ms })).map(({ day_text, ...m }) => ({ ...m, day: day_text }));
    // Only templates Meta reported in the range are compared: with none imported there is nothing to read.
    if (meta.length === 0) return [];
    const names = await templateNames(this.deps.warehouse, { wabas });
    const days = new Map<string, OurDay>();
    for (const r of await this.performance({ ...utc, groupBy: ['day'] })) {
      if (r.template === '') continue;
      const k = `${r.waba_id}\0${r.day}\0${r.template}\0${r.language}`;
      const d = days.get(k) ?? { waba_id: r.waba_id, day: r.day, template: r.template, language: r.language, sent: 0, delivered: 0, read: 0, clicked: 0, cost: 0 };
      for (const f of ['sent', 'delivered', 'read', 'clicked', 'cost'] as const) d[f] += r[f];
      days.set(k, d);
    }
    return reconcile(meta, [...days.values()], names, onlyDifferences);
  }

  /** Loads a saved `message_templates` response for one WABA (CsvError lists every problem; nothing loaded then). */
  async importCatalog(text: string, waba: string): Promise<{ import_id: string; templates: number }> {
    const { entries, importId } = parseCatalog(text);
    await insertCatalog(this.deps.warehouse, catalogRows(entries, waba, importId, this.deps.now().getTime()));
    return { import_id: importId, templates: entries.length };
  }

  /** Quality risk: the range against the window of the same length before it, beside the latest rating and status. */
  async risk(p: RangeParams): Promise<RiskRow[]> {
    const span = p.to_ms - p.from_ms;
    const [current, previous, changes] = [
      await this.performance({ ...p, groupBy: [] }),
      await this.performance({ ...p, from_ms: p.from_ms - span, to_ms: p.from_ms, groupBy: [] }),
      await this.history({ ...p, from_ms: EARLIEST, to_ms: p.to_ms }),
    ];
    return riskRows(current, previous, changes);
  }

  /** Ads by the referrals first seen in the range; a referral answered within the reply window counts as answered. */
  ads(p: RangeParams): Promise<AdRow[]> {
    const answer_window_s = Math.round(this.cfg.reply_window_hours * 3600);
    return adRows(this.deps.warehouse, { from_ms: p.from_ms, to_ms: p.to_ms, wabas: wabasOf(p), answer_window_s }, undefined);
  }

  /**
   * Stores reported ad conversions: all or none (ConversionError lists every problem; a WABA outside
   * the caller's scope is a 403). One given by contact is tied to that customer's latest referral.
   */
  async recordConversions(body: unknown, waba: string | undefined, scope: WabaScopeInput): Promise<{ stored: number; by_click: number; by_contact: number }> {
    const now = this.deps.now().getTime();
    const items = parseConversions(body, waba, now);
    requireInScope(scope, [...new Set(items.map((i) => i.waba_id))]);
    const byContact = items.filter((i) => i.wa_id !== null);
    const referrals = byContact.length === 0 ? [] : await contactReferrals(this.deps.warehouse, {
      wabas: [...new Set(byContact.map((i) => i.waba_id))], wa_ids: [...new Set(byContact.map((i) => i.wa_id!))],
    });
    const tied = tieToClicks(items, referrals);
    await insertConversions(this.deps.warehouse, tied.map((i) => ({
      waba_id: i.waba_id, event_id: i.event_id, ctwa_clid: i.ctwa_clid, matched_by: i.matched_by, event: i.event,
      at: i.at_ms, value: i.value, currency: i.currency, posted_at: now,
    })));
    return { stored: tied.length, by_click: tied.length - byContact.length, by_contact: byContact.length };
  }

  async importSendLog(text: string, waba: string | undefined): Promise<{ import_id: string; rows: number }> {
    const { entries, importId } = parseSendLog(text, waba);
    await insertSendLog(this.deps.warehouse, sendLogRows(entries, importId, this.deps.now().getTime()));
    // The sends it names change attribution: their customers' derived sends are rebuilt now.
    await rebuildCustomers(this.sends, await customersOf(this.sends, entries.map((e) => [e.waba_id, e.wamid] as const)));
    return { import_id: importId, rows: entries.length };
  }
}
