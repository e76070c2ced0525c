import type { AlertRule, RuleKind } from './config.ts';
import type { AlertItem } from './state.ts';

/**
 * One message to one recipient: what a rule's step announces, cut to the recipient's WABAs. Items
 * carry pseudonymous ids and figures only (never a phone number, name or message text), and the
 * message links to the dashboard where the recipient may look closer.
 */

export type MessageState = 'firing' | 'resolved' | 'test' | 'scheduled';

export interface AlertMessage {
  firing_id: string;
  rule_id: string;
  kind: RuleKind | 'scheduled_report';
  title: string;
  state: MessageState;
  at: string;
  /** Items announced, of which the worst `items.length` are listed. */
  count: number;
  items: Array<AlertItem['detail']>;
  more: number;
  link: string;
  recipient: string;
}

const TITLES: Record<RuleKind, string> = {
  sla_at_risk: 'Waits at risk of missing their SLA',
  sla_breached: 'Waits past their SLA due time',
  sla_waiting_now: 'Too many customers waiting',
  sla_window_closing: '24-hour windows closing unanswered',
  forecast_over_budget: 'Month-end forecast over budget',
  free_tier_running_out: 'Free tier running out',
  spend_rise: 'Spend rising week on week',
  template_paused: 'Templates paused',
  template_quality: 'Template quality low',
  template_recategorised: 'Templates re-categorised',
  rights_request_due: 'Rights requests near their legal due date',
  retention_breach: 'Retention policy breached',
  warehouse_unreachable: 'Warehouse unreachable',
  ingest_backlog: 'Ingest backlog growing old',
  audit_chain_broken: 'Access-audit chain broken',
};

const DASHBOARD: Record<RuleKind, string> = {
  sla_at_risk: '/dashboards/managers',
  sla_breached: '/dashboards/managers',
  sla_waiting_now: '/dashboards/managers',
  sla_window_closing: '/dashboards/managers',
  forecast_over_budget: '/dashboards/finance',
  free_tier_running_out: '/dashboards/finance',
  spend_rise: '/dashboards/finance',
  template_paused: '/dashboards/templates',
  template_quality: '/dashboards/templates',
  template_recategorised: '/dashboards/templates',
  rights_request_due: '/dashboards/privacy',
  retention_breach: '/dashboards/privacy',
  warehouse_unreachable: '/healthz',
  ingest_backlog: '/healthz',
  audit_chain_broken: '/dashboards/privacy',
};

export function titleOf(rule: AlertRule): string {
  return rule.title ?? TITLES[rule.kind];
}

export function buildMessage(
  rule: AlertRule,
  state: MessageState,
  items: readonly AlertItem[],
  opts: { firingId: string; at: number; dashboardUrl: string; recipient: string },
): AlertMessage {
  const listed = items.slice(0, rule.list);
  return {
    firing_id: opts.firingId,
    rule_id: rule.id,
    kind: rule.kind,
    title: titleOf(rule),
    state,
    at: new Date(opts.at).toISOString(),
    count: items.length,
    items: listed.map((i) => i.detail),
    more: items.length - listed.length,
    link: opts.dashboardUrl.replace(/\/+$/, '') + DASHBOARD[rule.kind],
    recipient: opts.recipient,
  };
}

const STATE_WORD: Record<MessageState, string> = { firing: 'FIRING', resolved: 'RESOLVED', test: 'TEST', scheduled: 'SCHEDULED' };

export function subjectOf(m: AlertMessage): string {
  return `[wa-analytics] ${STATE_WORD[m.state]}: ${m.title} (${m.count})`;
}

function line(detail: AlertItem['detail']): string {
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Plain text for email and Slack: a headline, the listed items, how many more, the link. */
export function textOf(m: AlertMessage): string {
  const head = m.state === 'resolved' ? `${m.title}: ${m.count} resolved` : `${m.title}: ${m.count}`;
  return [head, ...m.items.map((d) => `• ${line(d)}`), ...(m.more > 0 ? [`… and ${m.more} more`] : []), `Dashboard: ${m.link}`, `Rule ${m.rule_id}, firing ${m.firing_id}`].join('\n');
}
