/**
 * Compliance benchmark: the access export (DSAR zip) and erasure-with-verification for one person,
 * over simulated traffic loaded through the ingest path (normalise, group commit) into a fresh
 * DATA_DIR. Each figure comes with a yardstick measured in the same run on the same data:
 *  - DSAR against the bare lookup of the person's rows in the two biggest tables (what any export
 *    must at least read);
 *  - erasure (every table, redaction of shared bodies, deletions waited for, zero-row checks,
 *    receipt) as configured by default (`auto`), with mutations only and with lightweight DELETEs only, against one bare
 *    `ALTER TABLE messages_v1 DELETE` for another person.
 *
 *   node bin/run-ts.mjs bench/compliance.ts [--days 40] [--scale 120] [--seed bench] [--keep]
 *   node bin/run-ts.mjs bench/compliance.ts --store <dir> [--round K]   # a benchmark store (bench/store.ts), e.g. 10 M events
 *   node bin/run-ts.mjs bench/compliance.ts --store <dir> --round K --export-only   # exports only: the store is not changed
 *
 * With --store the erasures change the store (five people erased): run the other benchmarks on it
 * first, and give each later run the next --round.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../app/config.ts';
import { createLogger } from '../app/logger.ts';
import { buildDeps } from '../app/server.ts';
import { buildEntry } from '../ingest/entry.ts';
import { openIngest } from '../ingest/pipeline.ts';
import { buildAccessExport } from '../reports/compliance/dsar.ts';
import { eraseSubject } from '../reports/compliance/erasure.ts';
import { generateSync, simulationConfig, type SimOptions } from '../simulate/index.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrate.ts';
import { collectPeople, mergeAtRest, rankPeople, readStore, storeConfig, type Person } from './store.ts';
import { opt, median, timed } from './lib.ts';


/** Loads simulated traffic into a fresh DATA_DIR; returns it with its people ranked as a store ranks them. */
async function loadOwn(sim: SimOptions, dir: string): Promise<{ config: Config; people: ReturnType<typeof rankPeople>; stats: Record<string, number> }> {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(simulationConfig(sim)));
  const config = loadConfig({ ...process.env, DATA_DIR: join(dir, 'data'), CONFIG_FILE: join(dir, 'config.json'), PII_KEY: 'bench', LOG_LEVEL: 'warn', JOBS: 'off' });
  const wh = await openWarehouse(config);
  await migrate(wh);
  // Load: every posting through the ingest log and its loader, as the webhook does.
  const people: Person[] = [];
  const ingest = await openIngest({ settings: config.ingest, warehouse: wh, logger: createLogger('bench', 'warn') });
  let bodies = 0;
  let items = 0;
  const [, loadMs] = await timed(async () => {
    let window: Promise<void>[] = [];
    for (const p of generateSync({ ...sim, onTruth: collectPeople(people) })) {
      const entry = buildEntry(Buffer.from(p.body), p.at.getTime(), true);
      bodies++;
      items += entry.raw.item_count;
      window.push(ingest.append({ body: Buffer.from(p.body), receivedAt: p.at.getTime(), signatureValid: true }));
      if (window.length >= 4_000) {
        await Promise.all(window);
        window = [];
      }
    }
    await Promise.all(window);
    await ingest.settle();
  });
  await ingest.close();
  // Measure a store at rest: merged, no background merges competing with the mutations being timed.
  const [, mergeMs] = await timed(() => mergeAtRest(wh));
  await wh.close();
  return { config, people: rankPeople(people), stats: { bodies, events: items, subjects: people.length, load_ms: loadMs, load_events_per_s: Math.round((items / loadMs) * 1000), optimize_ms: mergeMs } };
}

async function main(): Promise<void> {
  const given = opt('store', '');
  const sim: SimOptions = { seed: opt('seed', 'bench'), start: '2025-09-01', days: Number(opt('days', '40')), scale: Number(opt('scale', '120')) };
  const dir = given || mkdtempSync(join(tmpdir(), 'wa-bench-compliance-'));
  let config: Config;
  let people: ReturnType<typeof rankPeople>;
  const out: Record<string, unknown> = {};
  if (given) {
    const store = readStore(given);
    config = storeConfig(given);
    people = store;
    Object.assign(out, { store: given, sim: store.sim, bodies: store.bodies, events: store.events, load_events_per_s: store.ingest_events_per_s, optimize_ms: store.optimize_ms });
  } else {
    const own = await loadOwn(sim, dir);
    config = own.config;
    people = own.people;
    Object.assign(out, { sim, ...own.stats });
  }
  // The busiest person and the next, two at the median, and one a third of the way down. Each run
  // on a store erases them: run K (`--round K`) takes the K-th pair of each kind.
  const k = 2 * Number(opt('round', '0'));
  if (!people.people[k + 1] || !people.median_people[k + 1] || !people.third_people[k]) throw new Error(`round ${k / 2} is past the people the store lists`);
  const picks = { busiest: people.people[k]!, median: people.median_people[k]! };
  const next = { busiest: people.people[k + 1]!, median: people.median_people[k + 1]!, other: people.third_people[k]! };
  const wh = await openWarehouse(config);
  const { deps } = await buildDeps(config, wh, createLogger('bench', 'warn'));
  const who = { actor: 'bench', roles: ['privacy' as const], wabas: 'all' as const, method: 'local' as const, mfa: false };

  const lookup = async (id: string) => {
    const rs = await wh.reader.query({
      query: `SELECT (SELECT count() FROM ${wh.database}.raw_webhooks_v1 WHERE has(subject_ids, {id:String})) + (SELECT count() FROM ${wh.database}.statuses_v1 WHERE recipient_id = {id:String}) AS n`,
      query_params: { id },
      format: 'JSONEachRow',
    });
    return rs.json();
  };
  for (const [name, s] of Object.entries(picks)) {
    const subject = { kind: 'phone' as const, id: s.wa_id };
    const runs: number[] = [];
    let size = 0;
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      const [x, t] = await timed(() => buildAccessExport(deps, who, { subject }));
      runs.push(t);
      size = x.zip.length;
      rows = x.events.length;
    }
    // The runs above repeat one person: from the second on, the engine's query condition cache
    // remembers which granules her searches ruled out. A privacy officer's next export is usually of
    // someone else: the same measure over the next people of the same rank, each exported once.
    const list = name === 'busiest' ? people.people : people.median_people;
    const others: number[] = [];
    for (const o of list.slice(k + 2, k + 6)) others.push((await timed(() => buildAccessExport(deps, who, { subject: { kind: 'phone', id: o.wa_id } })))[1]);
    const ref: number[] = [];
    for (let i = 0; i < 5; i++) ref.push((await timed(() => lookup(s.wa_id)))[1]);
    Object.assign(out, {
      [`dsar_${name}_bodies`]: s.body_count, [`dsar_${name}_rows`]: rows, [`dsar_${name}_zip_bytes`]: size,
      [`dsar_${name}_first_ms`]: runs[0], [`dsar_${name}_warm_ms`]: median(runs.slice(1)), [`lookup_${name}_warm_ms`]: median(ref),
      [`dsar_${name}_others_ms`]: others, [`dsar_${name}_others_median_ms`]: median(others),
      [`dsar_${name}_vs_lookup`]: Math.round((median(runs.slice(1)) / Math.max(1, median(ref))) * 10) / 10,
    });
  }

  if (process.argv.includes('--export-only')) {
    await wh.close();
    console.log(JSON.stringify(out, null, 2));
    return;
  }
  // Erasure for each pick; the yardstick deletes a third person from one table with one mutation.
  const other = next.other;
  const [, refMs] = await timed(() =>
    wh.jobs.command({ query: `ALTER TABLE ${wh.database}.messages_v1 DELETE WHERE wa_id = {id:String}`, query_params: { id: other.wa_id }, clickhouse_settings: { mutations_sync: '2' } }),
  );
  out.single_mutation_ms = refMs;
  // The default (`auto`: small tables rewritten, big ones masked) on the picks; the same work with
  // every table rewritten (`mutation`) and every table masked (`lightweight`), on the people after them.
  const withMethod = async (method: 'mutation' | 'lightweight') =>
    (await buildDeps({ ...config, file: { ...config.file, privacy: { erasure: { method } } } }, wh, createLogger('bench', 'warn'))).deps;
  const [mutation, light] = [await withMethod('mutation'), await withMethod('lightweight')];
  const runs = [
    ['auto_busiest', deps, picks.busiest], ['auto_median', deps, picks.median],
    ['mutation_busiest', mutation, next.busiest], ['lightweight_median', light, next.median],
  ] as const;
  for (const [name, d, s] of runs) {
    const [receipt, t] = await timed(() => eraseSubject(d, who, { subject: { kind: 'phone', id: s.wa_id }, legalGround: 'benchmark' }));
    Object.assign(out, {
      [`erase_${name}_ms`]: t, [`erase_${name}_status`]: receipt.status, [`erase_${name}_rows`]: receipt.tables.reduce((n, x) => n + x.rows_before, 0),
      [`erase_${name}_tables`]: receipt.tables.length, [`erase_${name}_vs_single_mutation`]: Math.round((t / Math.max(1, refMs)) * 10) / 10,
    });
  }
  await wh.close();
  if (!given && !process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(out, null, 2));
}

await main();
