import type { PercentileRow } from '../charts/percentiles.ts';
import type { AttainmentRow } from '../charts/managers/attainment.ts';
import type { HourOfWeekRow } from '../charts/managers/hour-of-week.ts';
import type { WaitingRow } from '../charts/managers/waiting-now.ts';
import type { WindowClosingRow } from '../charts/managers/window-closing.ts';
import type { ResponderRow } from '../charts/managers/responder-table.ts';
import type { ResponderClassRow } from '../charts/managers/bot-vs-human.ts';
import type { SourceContext } from '../source.ts';

/** The SLA report outputs the managers' dashboard draws. */
export interface ManagersData {
  firstResponse: PercentileRow[];
  nextResponse: PercentileRow[];
  timeToRead: PercentileRow[];
  attainment: AttainmentRow[];
  hourOfWeek: HourOfWeekRow[];
  waiting: WaitingRow[];
  windowClosing: WindowClosingRow[];
  agents: ResponderRow[];
  teams: ResponderRow[];
  responders: ResponderClassRow[];
}

export async function loadManagers(_ctx: SourceContext): Promise<ManagersData> {
  return {
    firstResponse: [],
    nextResponse: [],
    timeToRead: [],
    attainment: [],
    hourOfWeek: [],
    waiting: [],
    windowClosing: [],
    agents: [],
    teams: [],
    responders: [],
  };
}
