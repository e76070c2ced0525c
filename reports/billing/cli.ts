import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { AppDeps } from '../../app/deps.ts';
import { encode, type ColumnSpec } from '../format.ts';
import { CHARGE_COLUMNS } from './charges.ts';
import { CONVERSATION_COLUMNS } from './counts.ts';
import { CsvError } from './csv-table.ts';
import { runFacts, billingEnv } from './facts-job.ts';
import { FORECAST_COLUMNS } from './forecast-report.ts';
import { conversationGroupParam, dateParam, formatParam, groupByParam, labelParam, monthParam } from './params.ts';
import { RECONCILIATION_COLUMNS } from './reconciliation.ts';
import { withLabel } from './routes.ts';
import { BillingReports } from './service.ts';
import { cliScope, scopeAudit, ScopeError } from '../scope.ts';
import { HttpError } from '../../app/http-error.ts';
import { labelOptions, labelQuery, type LabelOpts } from '../labels/cli-options.ts';
import type { LabelledPeriodFilter } from '../../warehouse/queries/labels/charges.ts';

/**
 * CLI: `report conversations|charges|forecast|reconciliation`, `rate-card load|list`,
 * `billing refresh|rebuild|import-analytics`. Reports print CSV to stdout unless --format/--out say
 * otherwise; each run is written to the access audit as the CLI's system actor.
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

interface ReportOpts extends LabelOpts {
  month?: string;
  wabaId?: string;
  format?: string;
  out?: string;
  groupBy?: string;
  asOf?: string;
  onlyDifferences?: boolean;
  wabaScope?: string;
}

async function withReports<T>(open: Open, fn: (r: BillingReports, deps: AppDeps) => Promise<T>): Promise<T | undefined> {
  const { deps, close } = await open();
  try {
    return await fn(new BillingReports(deps), deps);
  } catch (e) {
    // Billing's own errors and the shared parameter parsers' (labels) are HttpErrors.
    if (e instanceof HttpError || e instanceof CsvError || e instanceof ScopeError) {
      console.error(`error: ${e.message}`);
      if (e instanceof CsvError && e.problems.length > 1) for (const p of e.problems) console.error(`  ${p}`);
      process.exitCode = 2;
      return undefined;
    }
    throw e;
  } finally {
    await close();
  }
}

async function output(deps: AppDeps, opts: ReportOpts, rows: readonly object[], columns: ColumnSpec[], action: string, label?: LabelledPeriodFilter): Promise<void> {
  const format = formatParam({ format: opts.format ?? 'csv' });
  const bytes = await encode(deps.warehouse, rows as Record<string, unknown>[], columns, format);
  if (opts.out) writeFileSync(opts.out, bytes);
  else process.stdout.write(bytes);
  const { createHash } = await import('node:crypto');
  await deps.audit.record({
    actor: 'cli',
    role: 'system',
    action,
    params: { month: opts.month, waba_id: opts.wabaId, format, group_by: opts.groupBy, as_of: opts.asOf, ...labelAudit(label), ...scopeAudit(cliScope(opts.wabaScope)) },
    rows: rows.length,
    exportSha256: createHash('sha256').update(bytes).digest('hex'),
  });
}

/** The label filter as the route records it (nothing without one). */
const labelAudit = (l: LabelledPeriodFilter | undefined) => (l ? { label: l.labels.join(','), label_match: l.label_match } : {});

/** The label options and `--group-by` as the HTTP query carries them, for the route's parsers. */
const labelledQuery = (o: ReportOpts): Record<string, unknown> => ({ ...labelQuery(o), ...(o.groupBy !== undefined ? { group_by: o.groupBy } : {}) });

const common = (c: Command) =>
  c
    .option('--month <YYYY-MM>', 'local month of each WABA (default: the current one)')
    .option('--waba-id <id>', 'one WhatsApp Business Account')
    .option('--format <format>', 'csv | json | arrow | parquet', 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--waba-scope <ids>', "run on behalf of someone who may see only these WABAs (comma list): the report reads no other WABA's rows");

export function billingCli(program: Command, open: Open): void {
  const report = program.commands.find((c) => c.name() === 'report') ?? program.command('report').description('run a report');

  labelOptions(common(report.command('conversations').description('conversations (CBP) and charged messages (PMP) by category, against the free tier')))
    .option('--group-by <dims>', 'label; or none')
    .action((o: ReportOpts) => withReports(open, async (r, deps) => {
      const q = labelledQuery(o);
      conversationGroupParam(q);
      const label = labelParam(q);
      const p = { scope: cliScope(o.wabaScope), month: monthParam({ month: o.month }), waba: o.wabaId };
      const rows = label ? await r.labelledConversations({ ...p, label }) : await r.conversations(p);
      await output(deps, o, rows, withLabel(CONVERSATION_COLUMNS, label), 'billing.conversations', label);
    }));

  labelOptions(common(report.command('charges').description('charges by month, category, market and phone number')))
    .option('--group-by <dims>', 'category,market,phone_number_id,tier,day,label')
    .action((o: ReportOpts) => withReports(open, async (r, deps) => {
      const q = labelledQuery(o);
      const label = labelParam(q);
      const p = { scope: cliScope(o.wabaScope), month: monthParam({ month: o.month }), waba: o.wabaId, groupBy: groupByParam(q) };
      const rows = label ? await r.labelledCharges({ ...p, label }) : await r.charges(p);
      await output(deps, o, rows, withLabel(CHARGE_COLUMNS, label), 'billing.charges', label);
    }));

  common(report.command('forecast').description('month-end forecast with an interval and the free tier run-out date'))
    .option('--as-of <YYYY-MM-DD>', 'forecast as made at the start of this local date (default: now)')
    .action((o: ReportOpts) => withReports(open, async (r, deps) => {
      const rows = await r.forecast({ scope: cliScope(o.wabaScope), month: monthParam({ month: o.month }), waba: o.wabaId, asOf: dateParam({ as_of: o.asOf }, 'as_of') });
      await output(deps, o, rows, FORECAST_COLUMNS, 'billing.forecast');
    }));

  common(report.command('reconciliation').description("Meta's imported analytics against our figures, per day and category"))
    .option('--only-differences', 'leave out the days and categories that match')
    .action((o: ReportOpts) => withReports(open, async (r, deps) => {
      const rows = await r.reconciliation({ scope: cliScope(o.wabaScope), month: monthParam({ month: o.month }, true)!, waba: o.wabaId, onlyDifferences: o.onlyDifferences });
      await output(deps, o, rows, RECONCILIATION_COLUMNS, 'billing.reconciliation');
    }));

  const card = program.command('rate-card').description("Meta's rate cards (CSV per currency and effective date)");
  card
    .command('load <file>')
    .description('load a list-rate or volume-tier CSV; a refused card changes nothing')
    .requiredOption('--currency <code>', 'e.g. USD')
    .requiredOption('--effective-from <YYYY-MM-DD>', 'first local date the card applies')
    .action((file: string, o: { currency: string; effectiveFrom: string }) => withReports(open, async (r, deps) => {
      const loaded = await r.loadRateCard(readFileSync(file, 'utf8'), { currency: o.currency, effectiveFrom: o.effectiveFrom, sourceName: basename(file), loadedBy: 'cli', scope: 'all' });
      await deps.audit.record({ actor: 'cli', role: 'system', action: 'billing.rate_card_load', params: { currency: o.currency, effective_from: o.effectiveFrom, source_sha256: loaded.source_sha256 }, rows: loaded.entries });
      console.log(`loaded ${loaded.kind} card ${loaded.currency} from ${loaded.effective_from}: ${loaded.entries} prices, ${loaded.markets} markets`);
      for (const w of loaded.warnings) console.log(`warning: ${w}`);
    }));
  card.command('list').description('loaded cards').action(() => withReports(open, async (r) => {
    for (const c of await r.listRateCards()) console.log(`${c.currency}\t${c.kind}\t${c.effective_from}\t${c.loaded_at}\t${c.entries}\t${c.source_name}`);
  }));

  const billing = program.command('billing').description('billing facts and imports');
  billing.command('refresh').description('bring the billing facts and rollup up to date now').action(() => withReports(open, async (_r, deps) => {
    const res = await runFacts(billingEnv(deps), new Date());
    console.log(`billing facts: ${res.messages} messages, ${res.conversations} conversations, ${res.periods.length} periods rolled up`);
  }));
  billing.command('rebuild').description('rebuild every fact and period (after changing a time zone or the market mapping)').action(() => withReports(open, async (_r, deps) => {
    const res = await runFacts(billingEnv(deps), new Date(), { rebuild: true });
    console.log(`billing rebuilt: ${res.messages} messages, ${res.conversations} conversations, ${res.periods.length} periods rolled up`);
  }));
  billing
    .command('import-analytics <file>')
    .description('import a saved pricing_analytics / conversation_analytics response (JSON)')
    .option('--waba-id <id>', 'when the response has no "id"')
    .action((file: string, o: { wabaId?: string }) => withReports(open, async (r, deps) => {
      const result = await r.importAnalytics(JSON.parse(readFileSync(file, 'utf8')), o.wabaId, 'cli', 'all');
      await deps.audit.record({ actor: 'cli', role: 'system', action: 'billing.reconciliation_import', params: { import_id: result.import.import_id, waba_id: result.import.waba_id }, rows: result.rows.length });
      const differ = result.rows.filter((x) => x.status !== 'match').length;
      console.log(`imported ${result.import.points} ${result.import.source} points for ${result.import.waba_id} (${result.import.first_day} … ${result.import.last_day}); ${differ} of ${result.rows.length} day-category rows differ`);
    }));
}
