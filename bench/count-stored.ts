// Run in its own process (`node bin/run-ts.mjs bench/count-stored.ts <DATA_DIR> <ids-file>`):
// prints how many of the given wamids the warehouse in DATA_DIR holds, and in how many rows once
// duplicates are collapsed (each item stored once: rows = found).
import { readFileSync } from 'node:fs';
import { openWarehouse } from '../warehouse/client.ts';

const [dataDir, idsFile] = process.argv.slice(2) as [string, string];
const ids = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);
const wh = await openWarehouse({ dataDir, clickhouse: { mode: 'embedded', database: 'wa_analytics' } });
const rs = await wh.reader.query({
  query: `SELECT count(DISTINCT wamid) AS found, count() AS rows FROM ${wh.database}.statuses_v1 FINAL WHERE wamid IN {ids:Array(String)}`,
  query_params: { ids },
  format: 'JSONEachRow',
});
const [row] = await rs.json<{ found: string | number; rows: string | number }>();
console.log(JSON.stringify({ requested: ids.length, found: Number(row?.found ?? 0), rows: Number(row?.rows ?? 0) }));
await wh.close();
