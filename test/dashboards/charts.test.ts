import { describe, expect, it } from 'vitest';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import { DASHBOARDS } from '../../dashboards/catalog.ts';
import { specFor, type ChartDef } from '../../dashboards/charts/spec.ts';
import { CTX, emptyInputs, inputs } from './chart-inputs.ts';
import { vegaLiteValidator } from './schema.ts';

const charts: Array<ChartDef<unknown>> = DASHBOARDS.flatMap((d) => d.charts.map((b) => b.chart));

interface SceneNode {
  marktype?: string;
  role?: string;
  name?: string;
  items?: SceneNode[];
}

/** Items of user marks (not axes, legends or titles) per mark type, from vega's scenegraph. */
function markItems(node: SceneNode, out: Record<string, number> = {}): Record<string, number> {
  if (node.marktype && node.role === 'mark') out[node.marktype] = (out[node.marktype] ?? 0) + (node.items?.length ?? 0);
  for (const child of node.items ?? []) markItems(child, out);
  return out;
}

async function render(spec: object) {
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    info: () => logger,
    debug: () => logger,
    warn: (...a: unknown[]) => (warnings.push(a.join(' ')), logger),
    error: (...a: unknown[]) => (warnings.push(a.join(' ')), logger),
  };
  const vg = compile(spec as never, { logger: logger as never }).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  await view.runAsync();
  const marks = markItems((view.scenegraph() as unknown as { root: SceneNode }).root);
  view.finalize();
  return { marks, warnings };
}

describe('chart catalogue', () => {
  it('has the charts the issue asks for, each id once', () => {
    const ids = charts.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Object.keys(inputs).sort());
  });
});

describe.each(charts.map((c) => [c.id, c] as const))('chart %s', (id, chart) => {
  const input = (inputs as Record<string, unknown>)[id];
  const empty = emptyInputs[id] ?? [];

  it('builds a spec that the Vega-Lite JSON schema accepts', () => {
    const validate = vegaLiteValidator();
    const { empty: isEmpty, spec } = specFor(chart, input, CTX);
    expect(isEmpty).toBe(false);
    const ok = validate(spec);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
    expect(ok).toBe(true);
  });

  it('compiles without warnings and draws marks', async () => {
    const { spec } = specFor(chart, input, CTX);
    const { marks, warnings } = await render(spec);
    expect(warnings).toEqual([]);
    expect(Object.values(marks).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('says what it is waiting for when its report has no rows', async () => {
    const validate = vegaLiteValidator();
    const r = specFor(chart, empty, CTX);
    expect(r.empty).toBe(true);
    expect(validate(r.spec)).toBe(true);
    expect(JSON.stringify(r.spec)).toContain(chart.emptyMessage.replace(/"/g, '\\"'));
  });

  it('takes the size it is given, whole picture included', async () => {
    const { spec } = specFor(chart, input, { ...CTX, size: { width: 500, height: 220 } });
    const vg = compile(spec).spec;
    const view = new View(parse(vg), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    expect(svg).toMatch(/^<svg[^>]* width="500" height="220"/);
  });
});

describe('marks drawn from hand-made inputs', () => {
  const cases: Array<[string, Record<string, number>]> = [
    // Two policies have decided waits; "Never decided" has none and draws no bar.
    ['attainment', { rect: 2, text: 2 }],
    // Three cells of the heatmap.
    ['hour-of-week', { rect: 3 }],
    // Two open waits.
    ['waiting-now', { rect: 2 }],
    // 12:30 and 15:00 are still open at 12:00; the window that closed at 10:00 is left out.
    ['window-closing', { rect: 2 }],
    // Header plus two agents, six columns each.
    ['agents', { text: 18 }],
    // Header plus two agents, five columns each.
    ['csat', { text: 15 }],
    // automation had n = 0 and draws nothing.
    ['bot-vs-human', { rect: 3 }],
    // India marketing cost 0 is left out.
    ['cost-by-market', { rect: 2 }],
    ['reconciliation', { rect: 2, rule: 1 }],
    // Three bars; the audit table has no policy, so two policy ticks (ticks are rects in Vega).
    ['retention', { rect: 5 }],
    // 09:15 and 09:45 share an hour; 10:05 is another.
    ['access-audit', { rect: 2 }],
    // Two templates with sends, five steps each; the untagged row sent nothing and draws no bars.
    ['template-funnel', { rect: 10 }],
    ['template-quality', { symbol: 3 }],
    // order_update cost nothing and is left out.
    ['template-cost', { rect: 2 }],
    // Header plus two ads, six columns each.
    ['ads', { text: 18 }],
    // Header plus two template days, eight columns each.
    ['template-reconciliation', { text: 24 }],
  ];
  it.each(cases)('%s', async (id, expected) => {
    const chart = charts.find((c) => c.id === id)!;
    const { marks } = await render(specFor(chart, (inputs as Record<string, unknown>)[id], CTX).spec);
    for (const [type, n] of Object.entries(expected)) expect(marks[type], `${id} ${type}`).toBe(n);
  });
});

describe('retention chart axis', () => {
  it('is a log scale from one day with no 0 tick, and names tables in words', async () => {
    const chart = charts.find((c) => c.id === 'retention')!;
    const spec = specFor(chart, inputs.retention, CTX).spec as unknown as { layer: Array<{ encoding: { x: { scale: { type: string }; axis?: { values: number[] } }; y: { field: string } } }> };
    const x = spec.layer[0]!.encoding.x;
    expect(x.scale.type).toBe('log');
    expect(x.axis!.values[0]).toBe(1);
    expect(x.axis!.values).not.toContain(0);
    expect(spec.layer[0]!.encoding.y.field).toBe('label');
    const { warnings } = await render(spec);
    expect(warnings).toEqual([]);
  });
});
