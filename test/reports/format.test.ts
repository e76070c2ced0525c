import { tableFromIPC } from 'apache-arrow';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, type ColumnSpec } from '../../reports/format.ts';
import { PIECE_CHARS } from '../../warehouse/encode.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { openTestWarehouse } from '../helpers/warehouse.ts';

// Exports are built in bounded pieces: a report of a million rows as one string passes V8's maximum
// string length and fails (found by the SLA benchmark's wait export at 10 M events). The output must
// be byte for byte what one piece would have given, in the same order.

let wh: Warehouse;
beforeAll(async () => {
  wh = await openTestWarehouse();
});
afterAll(() => wh?.close());

const COLUMNS: ColumnSpec[] = [
  { name: 'n', type: 'UInt32' },
  { name: 'label', type: 'String' },
  { name: 'ok', type: 'Bool' },
];
const rowsOf = (count: number, label: (i: number) => string) => Array.from({ length: count }, (_, i) => ({ n: i, label: label(i), ok: i % 2 === 0 }));

describe('export encoders', () => {
  it('write JSON and CSV exactly as one piece would, across piece boundaries', async () => {
    const rows = rowsOf(4_321, (i) => (i % 7 === 0 ? `=cmd|${i}` : `row "${i}", ünïcode`));
    const json = await encode(wh, rows, COLUMNS, 'json');
    expect(json.toString('utf8')).toBe(JSON.stringify({ columns: ['n', 'label', 'ok'], rows }));
    const csv = (await encode(wh, rows, COLUMNS, 'csv')).toString('utf8');
    const reference = stringify(
      rows.map((r) => [r.n, r.label.startsWith('=') ? `'${r.label}` : r.label, r.ok ? 'true' : 'false']),
      { header: true, columns: ['n', 'label', 'ok'] },
    );
    expect(csv).toBe(reference);
    expect((await encode(wh, [], COLUMNS, 'csv')).toString('utf8')).toBe('n,label,ok\n');
    expect((await encode(wh, [], COLUMNS, 'json')).toString('utf8')).toBe('{"columns":["n","label","ok"],"rows":[]}');
  });

  it('write every kind of value as csv-stringify does', async () => {
    const values: unknown[] = [
      '', 'plain', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rhere', 'crlf\r\nend', '"', ',', 'ünï,cødé', ' padded ',
      0, -1.5, 42, 12345678901234567890n, true, false, null, undefined, ['x', 'y,z'], { k: 'v "q"' }, new Date(Date.UTC(2026, 11, 6, 12)),
      '-12', '+5', '=SUM(A1)', '@x', '\tlead',
    ];
    const columns: ColumnSpec[] = [{ name: 'v', type: 'String' }, { name: 'w, "odd"', type: 'String' }];
    const rows = values.map((v, i) => ({ v, 'w, "odd"': i % 2 ? v : 'same' }));
    const neutral = (v: unknown) => (typeof v === 'string' && /^[=+\-@\t\r]/.test(v) && !/^[+-]?\d+(\.\d+)?$/.test(v) ? `'${v}` : v);
    const reference = stringify(
      rows.map((r) => [neutral(r.v), neutral(r['w, "odd"'])]),
      { header: true, columns: ['v', 'w, "odd"'], cast: { boolean: (b) => (b ? 'true' : 'false') } },
    );
    const csv = (await encode(wh, rows, columns, 'csv')).toString('utf8');
    expect(csv).toBe(reference);
    // Hand-checked lines, so the reference cannot agree with a mistake of its own.
    expect(csv.split('\n')[0]).toBe('v,"w, ""odd"""');
    expect(csv).toContain('\n"say ""hi""","say ""hi"""\n');
    expect(csv).toContain('\n"crlf\r\nend",same\n');
    expect(csv).toContain(`\n'=SUM(A1),same\n`);
    expect(csv).toContain('\n-12,same\n+5,+5\n');
  });

  // Builds about 1.2 GB in memory and takes a minute on a shared machine: opt in with WA_BIG_TESTS=1.
  // The piece boundaries themselves are covered by the tests around it on every run.
  it.skipIf(!process.env.WA_BIG_TESTS)('write an export larger than the longest string the runtime can hold', async () => {
    // 560 k rows of ~1 KB (one shared string): about 570 MB of JSON, over V8's 512 M characters.
    const big = 'x'.repeat(1_000);
    const rows = rowsOf(560_000, () => big);
    const json = await encode(wh, rows, COLUMNS, 'json');
    expect(json.length).toBeGreaterThan(2 ** 29);
    const head = `{"columns":["n","label","ok"],"rows":[{"n":0,"label":"${big.slice(0, 10)}`;
    const tail = `{"n":559999,"label":"${big}","ok":false}]}`;
    expect(json.subarray(0, head.length).toString()).toBe(head);
    expect(json.subarray(json.length - tail.length).toString()).toBe(tail);
    const csv = await encode(wh, rows, COLUMNS, 'csv');
    expect(csv.length).toBeGreaterThan(2 ** 29);
    const csvTail = `559999,${big},false\n`;
    expect(csv.subarray(csv.length - csvTail.length).toString()).toBe(csvTail);
  });

  it('keep row order and count through the engine when the rows span several pieces', async () => {
    const label = 'y'.repeat(600);
    const rows = rowsOf(Math.ceil((PIECE_CHARS * 2.5) / 640), (i) => `${i}:${label}`);
    const arrow = tableFromIPC(await encode(wh, rows, COLUMNS, 'arrow'));
    expect(arrow.numRows).toBe(rows.length);
    const ns = arrow.getChild('n')!.toArray() as Uint32Array;
    expect(ns.every((n, i) => n === i)).toBe(true);
    expect(String(arrow.getChild('label')!.get(rows.length - 1))).toBe(`${rows.length - 1}:${label}`);
    const parquet = await encode(wh, rows, COLUMNS, 'parquet');
    expect(parquet.subarray(0, 4).toString()).toBe('PAR1');
  });
});
