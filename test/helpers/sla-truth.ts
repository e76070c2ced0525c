import type { WaitRecord as TruthWait } from '../../simulate/waits.ts';

export type { TruthWait };

/** One row of `GET /api/reports/sla/waits` as the truth tests read it. */
export interface ApiWait {
  waba_id: string;
  phone_number_id: string;
  contact: string;
  family?: string;
  kind: string;
  thread_started_at: string;
  started_at: string;
  responded_at: string | null;
  response_seconds: number | null;
  business_response_seconds: number | null;
  responder: string;
  agent: string;
  team: string;
}

export const iso = (unixSeconds: number | null) => (unixSeconds === null ? null : new Date(unixSeconds * 1000).toISOString());

/** The fields of a wait the generator's truth states, as the API should answer them. */
export function expectedWait(w: TruthWait) {
  return {
    kind: w.wait_kind, thread_started_at: iso(w.thread_start), responded_at: iso(w.response_at), response_seconds: w.response_seconds,
    business_response_seconds: w.business_response_seconds, responder: w.responder_class ?? '', agent: w.agent ?? '', team: w.team ?? '',
  };
}

/** The same fields of a wait the API answered. */
export function actualWait(w: ApiWait) {
  return {
    kind: w.kind, thread_started_at: w.thread_started_at, responded_at: w.responded_at, response_seconds: w.response_seconds,
    business_response_seconds: w.business_response_seconds, responder: w.responder, agent: w.agent, team: w.team,
  };
}
