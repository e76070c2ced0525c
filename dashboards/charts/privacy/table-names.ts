/**
 * Tables as a privacy officer names what they hold (the retention chart's rows). A table not listed
 * here (added later) shows its technical name rather than nothing.
 */
const NAMES: Record<string, string> = {
  raw_webhooks_v1: 'Webhook bodies as received',
  messages_v1: 'Customer messages',
  statuses_v1: 'Delivery statuses of our messages',
  message_echoes_v1: 'Replies sent from the Business app',
  user_preferences_v1: 'Marketing preferences',
  contacts_v1: 'Customer names and numbers',
  management_events_v1: 'Account and template updates',
  webhook_errors_v1: 'Delivery errors',
  unknown_items_v1: 'Unrecognised webhook items',
  consent_events_v1: 'Consent records',
  sla_waits_v1: 'Customer waits for an answer',
  billing_statuses_v1: 'Billing: chargeable statuses (no personal data)',
  billing_messages_v1: 'Billing: charged messages (no personal data)',
  billing_conversations_v1: 'Billing: conversations (no personal data)',
  compliance_snapshots_v1: 'Compliance report snapshots',
  access_audit_v1: 'Access audit (who looked at what)',
  audit_anchors_v1: 'Access audit seals',
  audit_verifications_v1: 'Access audit checks',
  erasure_requests_v1: 'Erasure receipts',
  erasure_suppression_v1: 'Erased people kept out',
  rights_requests_v1: 'Rights requests',
  legal_holds_v1: 'Legal holds',
  retention_dropped_v1: 'Rows not stored (past retention)',
  label_events_v1: 'Labels given to customers',
  template_sends_v1: 'Template messages sent',
  csat_surveys_v1: 'Satisfaction surveys sent',
  csat_credits_v1: 'Satisfaction surveys with their agent and score',
  marketing_statuses_v1: 'Marketing sends (for consent checks)',
  consent_signals_v1: 'Opt-out and opt-in messages (for consent checks)',
  billing_message_customers_v1: 'Billing: who each charged message went to',
};

export function tableLabel(table: string): string {
  return NAMES[table] ?? table;
}
