/**
 * `npm run bench`: every benchmark in turn, each in its own process (each opens its own embedded
 * data directory). Pass names to run a subset: `npm run bench -- ingest sla`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const ALL = ['ingest', 'freshness', 'sla', 'billing', 'compliance', 'dashboards', 'faults'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
let failed = 0;
for (const name of wanted.length ? wanted : ALL) {
  const file = `bench/${name}.ts`;
  if (!existsSync(file)) {
    console.log(`\n## ${name}: no benchmark (${file} missing)`);
    continue;
  }
  console.log(`\n## ${name}\n`);
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
