import { frame, utcTime, type ChartDef, type ChartSpec } from '../spec.ts';

/** Consent ledger events per day (R9) and marketing sent without opt-in or after opt-out (R10). */
export interface ConsentInput {
  events: ReadonlyArray<{ day: string; action: string; n: number }>;
  violations: ReadonlyArray<{ day: string; violation_type: string; n: number }>;
}

/** Opt-ins up, opt-outs down: the balance of the day reads at a glance. */
export function signedEvents(events: ConsentInput['events']) {
  return events
    .filter((e) => e.n > 0)
    .map((e) => ({ day: e.day, action: e.action, n: e.n, signed: /out|revoke|object/i.test(e.action) ? -e.n : e.n }));
}

export const consentChart: ChartDef<ConsentInput> = {
  id: 'consent',
  title: 'Consent, opt-outs and violations',
  description: 'Opt-ins (up) and opt-outs (down) per day; red points are marketing sends without opt-in or after opt-out.',
  size: { width: 640, height: 300 },
  emptyMessage: 'No consent events or violations in this range.',
  isEmpty: (input) => !input.events.some((e) => e.n > 0) && !input.violations.some((v) => v.n > 0),
  build: (input, ctx): ChartSpec => {
    const x = { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } } as const;
    const violations = input.violations.filter((v) => v.n > 0);
    return {
      ...frame(ctx, 'Consent, opt-outs and violations', 'Consent events per day with violations'),
      layer: [
        {
          data: { values: signedEvents(input.events) },
          mark: { type: 'bar' },
          encoding: {
            x,
            y: { field: 'signed', type: 'quantitative', title: 'events (opt-outs below zero)', stack: 'zero' },
            color: { field: 'action', type: 'nominal', title: null },
            tooltip: [
              { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
              { field: 'action', type: 'nominal' },
              { field: 'n', type: 'quantitative', title: 'events' },
            ],
          },
        },
        {
          data: { values: violations.map((v) => ({ ...v })) },
          mark: { type: 'point', shape: 'triangle-up', filled: true, color: '#dc2626', size: 90 },
          encoding: {
            x,
            y: { field: 'n', type: 'quantitative' },
            tooltip: [
              { field: 'day', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
              { field: 'violation_type', type: 'nominal', title: 'violation' },
              { field: 'n', type: 'quantitative', title: 'sends' },
            ],
          },
        },
      ],
    } as unknown as ChartSpec;
  },
};
