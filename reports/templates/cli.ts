import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AppDeps } from '../../app/deps.ts';
import { HttpError } from '../../app/http-error.ts';
import { CsvError } from '../billing/csv-table.ts';
import { encode, type ColumnSpec } from '../format.ts';
import { formatParam, rangeParams, templateParams } from './params.ts';
import { RECONCILIATION_ROWS } from './analytics.ts';
import { templateColumns } from './performance.ts';
import { AD_COLUMNS, HISTORY_COLUMNS } from './routes.ts';
import { TemplateReports } from './service.ts';
import { labelOptions, labelQuery } from '../labels/cli-options.ts';

/**
 * CLI: `report templates|template-history|template-reconciliation|ads`, `templates import-send-log <file>`,
 * `templates import-catalog <file> --waba-id <id>` and `templates import-analytics <file> --waba-id <id>`. Reports print
 * CSV to stdout unless --format/--out say otherwise; each run is in the access audit (actor `cli`).
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

interface Opts {
  from?: string;
  to?: string;
  tz?: string;
  wabaId?: string;
  groupBy?: string;
  format?: string;
  out?: string;
  label?: string[];
  labelMatch?: string;
}

async function withReports(open: Open, fn: (r: TemplateReports, deps: AppDeps) => Promise<void>): Promise<void> {
  const { deps, close } = await open();
  try {
    await fn(new TemplateReports(deps), deps);
  } catch (e) {
    if (e instanceof HttpError || e instanceof CsvError) {
      console.error(`error: ${e.message}`);
      if (e instanceof CsvError) for (const p of e.problems.slice(0, 50)) console.error(`  ${p}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  } finally {
    await close();
  }
}

/**
 * The options as the HTTP query would carry them (one parser for both); `performance`: with the
 * templates report's own (group_by, labels).
 */
const query = (o: Opts, performance = false): Record<string, unknown> => {
  const q: Record<string, unknown> = {};
  for (const [k, v] of [['from', o.from], ['to', o.to], ['tz', o.tz], ['waba_id', o.wabaId], ['format', o.format]] as const) if (v !== undefined) q[k] = v;
  if (!performance) return q;
  if (o.groupBy !== undefined) q.group_by = o.groupBy;
  return { ...q, ...labelQuery(o) };
};

async function output(deps: AppDeps, o: Opts, rows: readonly object[], columns: readonly ColumnSpec[], action: string): Promise<void> {
  const format = formatParam({ format: o.format ?? 'csv' });
  const bytes = await encode(deps.warehouse, rows as Array<Record<string, unknown>>, [...columns], format);
  if (o.out) writeFileSync(o.out, bytes);
  else process.stdout.write(bytes);
  await deps.audit.record({
    actor: 'cli', role: 'system', action,
    params: { from: o.from, to: o.to, tz: o.tz, waba_id: o.wabaId, group_by: o.groupBy, ...labelQuery(o), format },
    rows: rows.length, exportSha256: createHash('sha256').update(bytes).digest('hex'),
  });
}

const common = (c: Command) =>
  c
    .option('--from <date>', 'first day (YYYY-MM-DD) or instant; default 30 days ago')
    .option('--to <date>', 'last day, included, or instant; default now')
    .option('--tz <zone>', 'IANA zone of the days (default: the WABA\'s, else UTC)')
    .option('--waba-id <id>', 'one WhatsApp Business Account')
    .option('--format <format>', 'csv | json | arrow | parquet', 'csv')
    .option('--out <file>', 'write to a file instead of stdout');

export function templatesCli(program: Command, open: Open): void {
  const report = program.commands.find((c) => c.name() === 'report') ?? program.command('report').description('run a report');
  labelOptions(common(report.command('templates').description('per template × language × category: funnel, failures, opt-outs, charges and cost')))
    .option('--group-by <dims>', 'day,campaign,label')
    .action((o: Opts) => withReports(open, async (r, deps) => {
      const p = templateParams(query(o, true), r.zoneOf, deps.now(), 'all');
      await output(deps, o, await r.performance(p), templateColumns(p.groupBy), 'templates.performance');
    }));
  common(report.command('template-history').description('template status, quality and category changes'))
    .action((o: Opts) => withReports(open, async (r, deps) => {
      await output(deps, o, await r.history(rangeParams(query(o), r.zoneOf, deps.now(), 'all')), HISTORY_COLUMNS, 'templates.history');
    }));
  common(report.command('template-reconciliation').description("Meta's imported template_analytics beside ours, per template and UTC day"))
    .option('--only-differences', 'leave out the days where Meta and we agree')
    .action((o: Opts & { onlyDifferences?: boolean }) => withReports(open, async (r, deps) => {
      const rows = await r.reconciliation(rangeParams({ ...query(o), tz: 'UTC' }, r.zoneOf, deps.now(), 'all'), o.onlyDifferences === true);
      await output(deps, o, rows, RECONCILIATION_ROWS.specs, 'templates.reconciliation');
    }));
  common(report.command('ads').description('click-to-WhatsApp ads: referrals, answers, first response time'))
    .action((o: Opts) => withReports(open, async (r, deps) => {
      await output(deps, o, await r.ads(rangeParams(query(o), r.zoneOf, deps.now(), 'all')), AD_COLUMNS, 'templates.ads');
    }));

  const templates = program.command('templates').description('template send logs and catalogue');
  templates
    .command('import-catalog <file>')
    .description('load a saved Graph API message_templates response (JSON) of one WABA: names, languages, categories, status, quality')
    .requiredOption('--waba-id <id>', 'the WABA the response is of')
    .action((file: string, o: { wabaId: string }) => withReports(open, async (r, deps) => {
      const result = await r.importCatalog(readFileSync(file, 'utf8'), o.wabaId);
      await deps.audit.record({ actor: 'cli', role: 'system', action: 'templates.catalog_import', params: { waba_id: o.wabaId, import_id: result.import_id }, rows: result.templates });
      console.log(`loaded ${result.templates} templates (import ${result.import_id.slice(0, 12)})`);
    }));
  templates
    .command('import-analytics <file>')
    .description('load a saved Graph API template_analytics response (JSON) of one WABA: sent, delivered, read, clicked and cost per template and day')
    .requiredOption('--waba-id <id>', 'the WABA the response is of')
    .action((file: string, o: { wabaId: string }) => withReports(open, async (r, deps) => {
      const result = await r.importAnalytics(readFileSync(file, 'utf8'), o.wabaId);
      await deps.audit.record({ actor: 'cli', role: 'system', action: 'templates.analytics_import', params: { waba_id: o.wabaId, import_id: result.import_id }, rows: result.data_points });
      console.log(`loaded ${result.data_points} data points (import ${result.import_id.slice(0, 12)})`);
    }));
  templates
    .command('import-send-log <file>')
    .description('load a send log (CSV or JSON: wamid, template, language, campaign) for untagged senders')
    .option('--waba-id <id>', 'the WABA of rows without a waba_id column')
    .action((file: string, o: { wabaId?: string }) => withReports(open, async (r, deps) => {
      const result = await r.importSendLog(readFileSync(file, 'utf8'), o.wabaId);
      await deps.audit.record({ actor: 'cli', role: 'system', action: 'templates.send_log_import', params: { waba_id: o.wabaId, import_id: result.import_id }, rows: result.rows });
      console.log(`loaded ${result.rows} send-log rows (import ${result.import_id.slice(0, 12)})`);
    }));
}
