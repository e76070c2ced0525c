import { frame, rowsChart, utcTime, type ChartSpec } from '../spec.ts';

/** Waits closed per period by each responder class. */
export interface ResponderClassRow {
  period: string;
  responder: 'human' | 'bot' | 'automation' | 'unknown';
  n: number;
}

const CLASSES = ['human', 'bot', 'automation', 'unknown'] as const;

export const botVsHumanChart = rowsChart<ResponderClassRow>({
  id: 'bot-vs-human',
  title: 'Bot vs human',
  description: 'Which kind of responder answered the waits, per day.',
  size: { width: 640, height: 260 },
  emptyMessage: 'No answered waits in this range yet.',
  build: (rows, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Bot vs human', 'Answered waits per day by responder class'),
      data: { values: rows.filter((r) => r.n > 0) },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'period', type: 'temporal', timeUnit: 'utcyearmonthdate', title: null, scale: utcTime, axis: { format: '%d %b', tickCount: { interval: 'day', step: 1 } } },
        y: { field: 'n', type: 'quantitative', title: 'answered waits', stack: 'zero' },
        color: {
          field: 'responder',
          type: 'nominal',
          title: null,
          scale: { domain: [...CLASSES], range: ['#2563eb', '#f97316', '#9333ea', '#9ca3af'] },
        },
        tooltip: [
          { field: 'period', type: 'temporal', timeUnit: 'utcyearmonthdate', title: 'day' },
          { field: 'responder', type: 'nominal' },
          { field: 'n', type: 'quantitative', title: 'waits' },
        ],
      },
    }) as unknown as ChartSpec,
});
