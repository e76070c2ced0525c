import { firstResponseChart } from './charts/managers/first-response.ts';
import { nextResponseChart } from './charts/managers/next-response.ts';
import { attainmentChart } from './charts/managers/attainment.ts';
import { hourOfWeekChart } from './charts/managers/hour-of-week.ts';
import { waitingNowChart } from './charts/managers/waiting-now.ts';
import { windowClosingChart } from './charts/managers/window-closing.ts';
import { agentsChart } from './charts/managers/agents.ts';
import { teamsChart } from './charts/managers/teams.ts';
import { botVsHumanChart } from './charts/managers/bot-vs-human.ts';
import { timeToReadChart } from './charts/managers/time-to-read.ts';
import { csatChart } from './charts/managers/csat.ts';
import { dailyByCategoryChart } from './charts/finance/daily-by-category.ts';
import { freeTierChart } from './charts/finance/free-tier.ts';
import { forecastChart } from './charts/finance/forecast.ts';
import { costByMarketChart } from './charts/finance/cost-by-market.ts';
import { volumeTierChart } from './charts/finance/volume-tier.ts';
import { reconciliationChart } from './charts/finance/reconciliation.ts';
import { retentionChart } from './charts/privacy/retention.ts';
import { rightsRequestsChart } from './charts/privacy/rights-requests.ts';
import { consentChart } from './charts/privacy/consent.ts';
import { accessAuditChart } from './charts/privacy/access-audit.ts';
import { auditChainChart } from './charts/privacy/audit-chain.ts';
import { loadManagers, type ManagersData } from './sources/managers.ts';
import { loadFinance, type FinanceData } from './sources/finance.ts';
import { loadPrivacy, type PrivacyData } from './sources/privacy.ts';
import { templateFunnelChart } from './charts/templates/funnel.ts';
import { qualityTimelineChart } from './charts/templates/quality-timeline.ts';
import { templateCostChart } from './charts/templates/cost.ts';
import { adsChart } from './charts/templates/ads.ts';
import { templateReconciliationChart } from './charts/templates/reconciliation.ts';
import { loadTemplates, type TemplatesData } from './sources/templates.ts';
import { alertFiringsChart } from './charts/alerts/firings.ts';
import { withAlerts, type AlertsPanelData } from './sources/alerts.ts';
import { bind, type Dashboard } from './source.ts';

export const managersDashboard: Dashboard<ManagersData & AlertsPanelData> = {
  id: 'managers',
  title: 'Support response times',
  summary: 'How fast we answer, SLA attainment, who is waiting now and which chats are about to leave the 24-hour window.',
  roles: ['manager'],
  filters: ['waba', 'phone', 'team', 'label'],
  load: withAlerts(loadManagers, 'alerts-managers'),
  options: (d) => ({ teams: [...new Set(d.teams.map((t) => t.name).filter(Boolean))].sort() }),
  charts: [
    bind(firstResponseChart, (d: ManagersData) => d.firstResponse),
    bind(nextResponseChart, (d: ManagersData) => d.nextResponse),
    bind(attainmentChart, (d: ManagersData) => d.attainment),
    bind(hourOfWeekChart, (d: ManagersData) => d.hourOfWeek),
    bind(waitingNowChart, (d: ManagersData) => d.waiting),
    bind(windowClosingChart, (d: ManagersData) => d.windowClosing),
    bind(agentsChart, (d: ManagersData) => d.agents),
    bind(teamsChart, (d: ManagersData) => d.teams),
    bind(csatChart, (d: ManagersData) => d.csat),
    bind(botVsHumanChart, (d: ManagersData) => d.responders),
    bind(timeToReadChart, (d: ManagersData) => d.timeToRead),
    bind(alertFiringsChart('managers'), (d: AlertsPanelData) => d.alerts),
  ],
};

export const financeDashboard: Dashboard<FinanceData & AlertsPanelData> = {
  id: 'finance',
  title: 'Conversations and charges',
  summary: 'Conversations and charged messages by category, the free tier, the month-end forecast, cost by market and reconciliation with Meta.',
  roles: ['finance'],
  filters: ['waba', 'phone', 'label'],
  load: withAlerts(loadFinance, 'alerts-finance'),
  unavailable: (d) => d.unavailable,
  charts: [
    bind(dailyByCategoryChart, (d: FinanceData) => d.daily),
    bind(freeTierChart, (d: FinanceData) => d.freeTier),
    bind(forecastChart, (d: FinanceData) => d.forecast),
    bind(costByMarketChart, (d: FinanceData) => d.costByMarket),
    bind(volumeTierChart, (d: FinanceData) => d.volumeTier),
    bind(reconciliationChart, (d: FinanceData) => d.reconciliation),
    bind(alertFiringsChart('finance'), (d: AlertsPanelData) => d.alerts),
  ],
};

export const privacyDashboard: Dashboard<PrivacyData & AlertsPanelData> = {
  id: 'privacy',
  title: 'Privacy and retention',
  summary: 'Retention per table, rights requests against their due dates, consent and opt-outs with violations, and who looked at what.',
  roles: ['privacy'],
  // The access audit, retention and rights requests are about the whole store (as the compliance API).
  wabas: 'all',
  filters: ['waba', 'phone', 'label'],
  load: withAlerts(loadPrivacy, 'alerts-privacy'),
  unavailable: (d) => d.unavailable,
  charts: [
    bind(retentionChart, (d: PrivacyData) => d.retention),
    bind(rightsRequestsChart, (d: PrivacyData) => d.rightsRequests),
    bind(consentChart, (d: PrivacyData) => d.consent),
    bind(accessAuditChart, (d: PrivacyData) => d.accessAudit),
    bind(auditChainChart, (d: PrivacyData) => d.auditChain),
    bind(alertFiringsChart('privacy'), (d: AlertsPanelData) => d.alerts),
  ],
};

export const templatesDashboard: Dashboard<TemplatesData> = {
  id: 'templates',
  title: 'Templates and campaigns',
  summary: 'What each template and campaign achieves and costs, its quality timeline, and the conversations ads bring.',
  roles: ['manager', 'finance'],
  filters: ['waba', 'label'],
  load: loadTemplates,
  unavailable: (d) => d.unavailable,
  charts: [
    bind(templateFunnelChart, (d: TemplatesData) => d.funnel),
    bind(qualityTimelineChart, (d: TemplatesData) => d.quality),
    bind(templateCostChart, (d: TemplatesData) => d.cost),
    bind(adsChart, (d: TemplatesData) => d.ads),
    bind(templateReconciliationChart, (d: TemplatesData) => d.reconciliation),
  ],
};

/** Every dashboard, in menu order (each has its own data type, hence `any` here). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const DASHBOARDS: ReadonlyArray<Dashboard<any>> = [managersDashboard, financeDashboard, privacyDashboard, templatesDashboard];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function findDashboard(id: string): Dashboard<any> | undefined {
  return DASHBOARDS.find((d) => d.id === id);
}
