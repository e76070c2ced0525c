import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import type { AppDeps } from '../../app/deps.ts';
import { HttpError } from '../../app/http-error.ts';
import { encode } from '../format.ts';
import { slaSettings } from './settings.ts';
import { refreshWaits } from './job.ts';
import { auditParams, parseReportParams, REPORT_KINDS, type ReportKind } from './params.ts';
import { runReport } from './report.ts';
import { cliScope, scopeAudit, ScopeError } from '../scope.ts';
import { labelOptions, labelQuery, type LabelOpts } from '../labels/cli-options.ts';

/**
 * `wa-analytics report sla [--kind waits|aggregates|breaches|live] [--from --to --tz --format …]`:
 * the same reports as the API, written to stdout (contacts pseudonymous), recorded in the audit.
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

const OPTIONS: [flag: string, param: string, help: string][] = [
  ['--from <date>', 'from', 'start (ISO date or date-time; default 30 days ago)'],
  ['--to <date>', 'to', 'end (an ISO date includes that day; default now)'],
  ['--tz <zone>', 'tz', "IANA zone for dates and buckets (default the tenant's zone)"],
  ['--format <format>', 'format', 'json | csv | arrow | parquet (default json)'],
  ['--family <family>', 'family', 'human | any (default human)'],
  ['--period <period>', 'period', 'aggregates: day | week | month | none'],
  ['--group-by <dims>', 'group_by', 'aggregates: comma list of waba_id, phone_number_id, agent, team, responder, kind, sla_policy, entry_point, hour_of_week, label'],
  ['--waba-id <ids>', 'waba_id', 'filter, comma list'],
  ['--phone-number-id <ids>', 'phone_number_id', 'filter, comma list'],
  ['--team <teams>', 'team', 'filter, comma list'],
  ['--agent <agents>', 'agent', 'filter, comma list'],
  ['--responder <classes>', 'responder', 'filter: human, bot, automation, unknown'],
  ['--wait-kind <kinds>', 'kind', 'filter: first, next, reply_to_business'],
  ['--list <lists>', 'list', 'live: waiting_now, window_closing'],
  ['--columns <figures>', 'columns', 'aggregates: comma list of the figures to return (default all)'],
];

export function addSlaCli(program: Command, open: Open): void {
  const report = program.commands.find((c) => c.name() === 'report') ?? program.command('report').description('run a report');
  const sla = report
    .command('sla')
    .description('response-time SLA report (waits, aggregates, breaches, live) to stdout')
    .option('--kind <kind>', `${REPORT_KINDS.join(' | ')}`, 'aggregates')
    .option('--refresh', 'bring the stored waits up to date first (as the scheduled job does)')
    .option('--waba-scope <ids>', "run on behalf of someone who may see only these WABAs (comma list): the report reads no other WABA's rows");
  for (const [flag, , help] of OPTIONS) sla.option(flag, help);
  // Labels in force when the wait started.
  labelOptions(sla);
  sla.action(async (opts: Record<string, string | boolean | undefined> & LabelOpts) => {
    const kind = String(opts.kind) as ReportKind;
    if (!REPORT_KINDS.includes(kind)) return fail(`--kind: expected ${REPORT_KINDS.join(', ')}`);
    const query: Record<string, unknown> = labelQuery(opts);
    for (const [flag, param] of OPTIONS) {
      const key = flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (typeof opts[key] === 'string') query[param] = opts[key];
    }
    const scope = cliScope(opts.wabaScope);
    const { deps, close } = await open();
    try {
      const settings = slaSettings(deps.config.file);
      if (opts.refresh) await refreshWaits(deps.warehouse, settings, deps.log);
      let params;
      let answer;
      try {
        params = parseReportParams(kind, query, settings, deps.now(), scope);
        answer = await runReport(deps, kind, params, false);
      } catch (e) {
        // The shared label parser's errors are HttpErrors too, as ParamError.
        if (e instanceof HttpError || e instanceof ScopeError) return fail(e.message);
        throw e;
      }
      const { rows, columns } = answer;
      const bytes = await encode(deps.warehouse, rows, columns, params.format);
      await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())));
      await deps.audit.record({
        actor: 'cli', role: 'system', action: `sla.${kind}`, params: { ...auditParams(params), ...scopeAudit(scope) }, rows: rows.length,
        exportSha256: createHash('sha256').update(bytes).digest('hex'),
      });
    } finally {
      await close();
    }
  });
}

/** Bad input: a one-line message naming the option's parameter, exit code 2. */
function fail(message: string): void {
  process.stderr.write(`report sla: ${message}\n`);
  process.exitCode = 2;
}
