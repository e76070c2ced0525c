import { frame, type ChartContext, type ChartSpec } from './spec.ts';

export interface TableColumn<R> {
  title: string;
  value(row: R): string | number | null;
}

const ROW_HEIGHT = 22;

export interface TableCell {
  row: number;
  column: string;
  text: string;
  /** Pixel offset of the row's middle from the top of the table. */
  y: number;
}

/** Row 0 is the header; rows 1… the body. Missing values print as a dash. */
export function tableCells<R>(rows: readonly R[], columns: readonly TableColumn<R>[]): TableCell[] {
  const cells: TableCell[] = columns.map((c) => ({ row: 0, column: c.title, text: c.title, y: ROW_HEIGHT / 2 }));
  rows.forEach((r, i) => {
    for (const c of columns) {
      const v = c.value(r);
      cells.push({ row: i + 1, column: c.title, text: v == null ? '–' : String(v), y: (i + 1.5) * ROW_HEIGHT });
    }
  });
  return cells;
}

/**
 * A small table drawn with text marks: it renders to SVG/PNG like any chart, so a mailed picture
 * carries it too. Columns share the width (a band scale, so the page can resize it); rows sit at a
 * fixed pitch from the top whatever the picture's height.
 */
export function tableSpec<R>(
  rows: readonly R[],
  columns: readonly TableColumn<R>[],
  ctx: ChartContext,
  text: { title: string; description: string },
): ChartSpec {
  const x = {
    field: 'column',
    type: 'ordinal',
    title: null,
    axis: null,
    sort: columns.map((c) => c.title),
    scale: { type: 'band', paddingInner: 0, paddingOuter: 0 },
    bandPosition: 0,
  } as const;
  const y = { field: 'y', type: 'quantitative', scale: null, axis: null, title: null } as const;
  return {
    ...frame(ctx, text.title, text.description),
    data: { values: tableCells(rows, columns) },
    layer: [
      {
        transform: [{ filter: 'datum.row === 0' }],
        mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 12, fontWeight: 'bold' },
        encoding: { x, y, text: { field: 'text', type: 'nominal' } },
      },
      {
        transform: [{ filter: 'datum.row > 0' }],
        mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 12 },
        encoding: { x, y, text: { field: 'text', type: 'nominal' } },
      },
    ],
  } as unknown as ChartSpec;
}
