/**
 * Where one erasure spends its time: erases one person of a benchmark store (the method as
 * configured: `auto` by default) and prints the time, the receipt's status and rows, and the warehouse time per
 * declared query, largest first. It changes the store: give each run another person.
 *
 *   node bin/run-ts.mjs bench/erasure-profile.ts --store <dir> --person K [--list people|median_people|third_people]
 *   node bin/run-ts.mjs bench/erasure-profile.ts --store <dir> --wa-id <number>   # anyone in the store
 *   … --purge   # then the purge the masked rows wait for, at once (it rewrites the masked parts)
 */
import { createLogger } from '../app/logger.ts';
import { buildDeps } from '../app/server.ts';
import { eraseSubject } from '../reports/compliance/erasure.ts';
import { purgeErased } from '../reports/compliance/purge.ts';
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
// Which tables were rewritten and which masked (the default method, auto, chooses per table).
for (const kind of ['mutation', 'lightweight'] as const) {
  const held = receipt.tables.filter((x) => x.rows_before > 0 && x.method.includes(`(${kind},`));
  console.log(`${kind}: ${held.map((x) => `${x.table} (${x.rows_before})`).join(', ') || 'none'}`);
}
console.log('| query | seconds |\n|---|---:|');
for (const [q, s] of [...after].map(([q, a]) => [q, a.s - (before.get(q)?.s ?? 0)] as const).filter(([, s]) => s > 0.005).sort((a, b) => b[1] - a[1])) {
  console.log(`| ${q} | ${s.toFixed(2)} |`);
}
if (process.argv.includes('--purge')) {
  const p0 = performance.now();
  const purged = await purgeErased(deps, { force: true });
  console.log(`purge ${Math.round(ms(p0))} ms: ${purged.purged.length} erasures, tables ${purged.tables.join(', ')}; left ${purged.left.join(', ') || 'none'}`);
}
await wh.close();
