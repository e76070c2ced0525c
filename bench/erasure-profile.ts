/**
 * Where one erasure spends its time: erases one person of a benchmark store (mutations, as
 * configured) and prints the time, the receipt's status and rows, and the warehouse time per
 * declared query, largest first. It changes the store: give each run another person.
 *
 *   node bin/run-ts.mjs bench/erasure-profile.ts --store <dir> --person K [--list people|median_people|third_people]
 *   node bin/run-ts.mjs bench/erasure-profile.ts --store <dir> --wa-id <number>   # anyone in the store
 */
import { createLogger } from '../app/logger.ts';
import { buildDeps } from '../app/server.ts';
import { eraseSubject } from '../reports/compliance/erasure.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { ms, opt, warehouseTimes } from './lib.ts';
import { readStore, storeConfig } from './store.ts';

const dir = opt('store', '');
const list = opt('list', 'people') as 'people' | 'median_people' | 'third_people';
const waId = opt('wa-id', '');
// The lists name a dozen people each, and each erasure uses one up.
const person = waId ? { wa_id: waId, body_count: NaN } : readStore(dir)[list][Number(opt('person', '0'))];
if (!person) throw new Error(`the store lists no person ${opt('person', '0')} in ${list}`);
const named = waId ? `wa_id ${waId}` : `${list}[${opt('person', '0')}]: ${person.body_count} bodies`;

const config = storeConfig(dir);
const wh = await openWarehouse(config);
const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'));
const who = { actor: 'bench', roles: ['privacy' as const], wabas: 'all' as const, method: 'local' as const, mfa: false };
const before = await warehouseTimes();
const t0 = performance.now();
const receipt = await eraseSubject(deps, who, { subject: { kind: 'phone', id: person.wa_id }, legalGround: 'benchmark' });
const took = ms(t0);
const after = await warehouseTimes();
console.log(`person ${named}; erasure ${Math.round(took)} ms, ${receipt.status}, ${receipt.tables.reduce((n, x) => n + x.rows_before, 0)} rows`);
console.log('| query | seconds |\n|---|---:|');
for (const [q, s] of [...after].map(([q, a]) => [q, a.s - (before.get(q)?.s ?? 0)] as const).filter(([, s]) => s > 0.005).sort((a, b) => b[1] - a[1])) {
  console.log(`| ${q} | ${s.toFixed(2)} |`);
}
await wh.close();
