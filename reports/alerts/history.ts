import type { Principal } from '../../app/auth.ts';
import type { AppDeps } from '../../app/deps.ts';
import { visibleFirings } from '../../warehouse/queries/alerts/store.ts';
import { defaultRoles, type AlertRule } from './config.ts';
import type { AlertMessage } from './message.ts';

/**
 * The firing history a viewer may read: firings and resolutions of the rules whose audience
 * includes one of the viewer's roles (admins: every rule), of the WABAs in the viewer's scope only
 * (messages about the service as a whole only with every WABA). A message sent to several
 * recipients is listed once. Items are as the recipients got them: pseudonymous ids and figures.
 */

export interface FiringView {
  at: string;
  rule_id: string;
  kind: string;
  title: string;
  state: string;
  count: number;
  waba_ids: string;
  items: AlertMessage['items'];
}

export function audienceRoles(rule: AlertRule): string[] {
  return [...(rule.roles ?? defaultRoles(rule.kind)), ...(rule.people?.roles ?? [])];
}

export async function firingsFor(
  deps: AppDeps,
  rules: readonly AlertRule[],
  viewer: Pick<Principal, 'roles' | 'wabas'>,
  opts: { waba?: string; sinceMs: number; limit: number },
): Promise<FiringView[]> {
  const admin = viewer.roles.includes('admin');
  const mine = rules.filter((r) => admin || audienceRoles(r).some((role) => (viewer.roles as readonly string[]).includes(role)));
  if (mine.length === 0) return [];
  const rows = await visibleFirings(deps.warehouse, {
    rule_ids: mine.map((r) => r.id), since_ms: opts.sinceMs, scoped: viewer.wabas !== 'all', wabas: viewer.wabas === 'all' ? [] : [...viewer.wabas],
    waba: opts.waba ?? '', row_limit: opts.limit * 4,
  });
  const seen = new Set<string>();
  const out: FiringView[] = [];
  for (const r of rows) {
    const m = JSON.parse(r.payload_json) as AlertMessage;
    // One announcement reaches several recipients: the same rule, state, instant and items.
    const key = JSON.stringify([r.rule_id, r.state, r.at, r.waba_ids, m.items]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ at: new Date(r.at).toISOString(), rule_id: r.rule_id, kind: m.kind, title: m.title, state: r.state, count: m.count, waba_ids: r.waba_ids.join(','), items: m.items });
    if (out.length >= opts.limit) break;
  }
  return out;
}
