import { frame, type ChartDef, type ChartSpec } from '../spec.ts';

/** The result of recomputing the access-audit hash chain (R16). */
export interface AuditChainInput {
  ok: boolean;
  entries: number;
  verified_at: string;
  first_broken_seq: number | null;
  reason: string | null;
}

export function chainLines(c: AuditChainInput): Array<{ line: number; y: number; text: string; size: number }> {
  const lines = c.ok
    ? [`Intact: ${c.entries.toLocaleString('en')} entries verified`, `verified ${c.verified_at}`]
    : [`BROKEN at entry ${c.first_broken_seq ?? '?'}`, c.reason ?? 'the chain does not verify', `${c.entries.toLocaleString('en')} entries read · verified ${c.verified_at}`];
  return lines.map((text, i) => ({ line: i, y: i === 0 ? 28 : 40 + i * 20, text, size: i === 0 ? 20 : 12 }));
}

/** A status card drawn as a chart, so the mailed picture carries it like the rest. */
export const auditChainChart: ChartDef<AuditChainInput> = {
  id: 'audit-chain',
  title: 'Audit-chain status',
  description: 'The access-audit hash chain recomputed from its first entry; any edited or deleted entry breaks it.',
  size: { width: 640, height: 140 },
  emptyMessage: 'The access audit has no entries yet.',
  isEmpty: (c) => c.entries === 0 && c.ok,
  build: (c, ctx): ChartSpec =>
    ({
      ...frame(ctx, 'Audit-chain status', c.ok ? 'The audit chain is intact' : 'The audit chain is broken'),
      data: { values: chainLines(c) },
      layer: [
        {
          data: { values: [{ ok: c.ok }] },
          mark: { type: 'rect', color: c.ok ? '#dcfce7' : '#fee2e2', stroke: c.ok ? '#16a34a' : '#dc2626', cornerRadius: 6 },
          encoding: { x: { value: 0 }, x2: { value: 'width' }, y: { value: 0 }, y2: { value: 'height' } },
        },
        {
          mark: { type: 'text', align: 'left', baseline: 'middle', x: 16, color: c.ok ? '#14532d' : '#7f1d1d' },
          encoding: {
            y: { field: 'y', type: 'quantitative', scale: null, axis: null, title: null },
            text: { field: 'text', type: 'nominal' },
            size: { field: 'size', type: 'quantitative', scale: null, legend: null },
          },
        },
      ],
    }) as unknown as ChartSpec,
};
