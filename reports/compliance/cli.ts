import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { anchorAuditHeads } from '../../app/audit-verify.ts';
import type { AppDeps } from '../../app/deps.ts';
import { auditWho, type Principal } from '../../app/auth.ts';
import { privacyConfig } from './config.ts';
import { buildAccessExport } from './dsar.ts';
import { eraseSubject, ErasureRefused } from './erasure.ts';
import { runRetention } from './jobs.ts';
import { purgeErased, type PurgeResult } from './purge.ts';
import { applyRetention, retentionStatus } from './retention-run.ts';
import { parseSubjectId, type SubjectId } from './subject.ts';
import { backfillTraceText } from './trace-backfill.ts';
import { runAuditVerification } from './verify.ts';

/**
 * `wa-analytics dsar <wa_id> --out file.zip`, `erase <wa_id> --ground … [--purge]`, `erasure-purge`,
 * `audit verify|anchor`, `retention apply|status|run`. An operator at the shell acts as admin; the audit names the host.
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

const operator = (): Principal => ({ actor: `cli@${hostname()}`, roles: ['admin'], wabas: 'all', method: 'local', mfa: false });

function subjectArg(raw: string): SubjectId {
  const s = parseSubjectId(raw);
  if (!s) {
    console.error('wa_id must be a phone number (6–15 digits) or a business-scoped user id (CC.alphanumerics)');
    process.exit(2);
  }
  return s;
}

async function withDeps(open: Open, fn: (deps: AppDeps) => Promise<void>): Promise<void> {
  const { deps, close } = await open();
  try {
    await fn(deps);
  } finally {
    await close();
  }
}

/** What a purge did, on stderr (stdout keeps the receipt); exit 1 when masked rows are left. */
function reportPurge(r: PurgeResult): void {
  if (r.left.length > 0) {
    console.error(`purge incomplete: masked rows or replaced parts left in ${r.left.join(', ')}`);
    process.exitCode = 1;
  } else console.error(r.purged.length === 0 ? 'nothing to purge' : `purged from disk: ${r.purged.join(', ')} (tables ${r.tables.join(', ')})`);
}

export function addCommands(program: Command, open: Open): void {
  program
    .command('dsar <wa_id>')
    .description('access export for one data subject: a zip with statement, events (JSONL, CSV), portability JSON and a SHA-256 manifest')
    .requiredOption('--out <file>', 'where to write the zip')
    .option('--request-id <id>', 'the rights request this answers')
    .action(async (waId: string, opts: { out: string; requestId?: string }) => {
      const subject = subjectArg(waId);
      await withDeps(open, async (deps) => {
        const out = await buildAccessExport(deps, operator(), { subject, ...(opts.requestId ? { rightsRequestId: opts.requestId } : {}) });
        writeFileSync(opts.out, out.zip);
        console.log(`${opts.out}: ${out.events.length} records, ${out.zip.length} bytes, sha256 ${out.zipSha256}`);
      });
    });

  program
    .command('erase <wa_id>')
    .description('erase one data subject from every table, verify, and print the receipt')
    .requiredOption('--ground <text>', 'legal ground, e.g. "GDPR 17(1)(a)" or "LGPD 18 VI"')
    .option('--request-id <id>', 'the rights request this answers')
    .option('--purge', 'then rewrite at once the parts holding rows the erasure masked (see erasure-purge)')
    .action(async (waId: string, opts: { ground: string; requestId?: string; purge?: boolean }) => {
      const subject = subjectArg(waId);
      await withDeps(open, async (deps) => {
        try {
          const receipt = await eraseSubject(deps, operator(), { subject, legalGround: opts.ground, ...(opts.requestId ? { rightsRequestId: opts.requestId } : {}) });
          console.log(JSON.stringify(receipt, null, 2));
          if (receipt.status === 'incomplete') process.exitCode = 1;
          else if (receipt.status === 'logically_deleted') {
            // The service's purge job does this once the oldest masked erasure has waited purge_minutes;
            // with the embedded engine the service and this command cannot both have the data open.
            if (opts.purge) reportPurge(await purgeErased(deps, { force: true }));
            else console.error(`masked rows are purged from disk by ${receipt.purge_due_at} by the running service, or now with: wa-analytics erasure-purge`);
          }
        } catch (e) {
          if (!(e instanceof ErasureRefused)) throw e;
          console.error(e.message);
          process.exitCode = 3;
        }
      });
    });

  program
    .command('erasure-purge')
    .description('rewrite now the parts holding rows that erasures masked (the service does it once the oldest has waited purge_minutes)')
    .action(async () => {
      await withDeps(open, async (deps) => reportPurge(await purgeErased(deps, { force: true })));
    });

  program
    .command('backfill-trace-text')
    .description('give raw bodies stored before version 0313 their trace text, so the search for a quoted person reads a few bytes a body')
    .option('--merge', 'merge each partition afterwards, so the old versions go at once')
    .action(async (opts: { merge?: boolean }) => {
      await withDeps(open, async (deps) => {
        const r = await backfillTraceText(deps, { merge: opts.merge ?? false });
        console.log(`stored again with trace text: ${r.stored}; left as they were: ${r.skipped}; partitions merged: ${r.partitions}`);
      });
    });

  const audit = program.commands.find((c) => c.name() === 'audit') ?? program.command('audit').description('access audit');
  audit
    .command('verify')
    .description('recompute every access-audit hash chain and check its anchors; names the first broken entry of each')
    .action(async () => {
      await withDeps(open, async (deps) => {
        const r = await runAuditVerification(deps, operator());
        for (const c of r.chains) {
          const chain = `audit chain ${JSON.stringify(c.writer)}`;
          if (c.result === 'ok') console.log(`${chain} ok: ${c.entries_checked} entries, head ${c.head?.seq ?? 0}, ${c.anchors_checked} anchors checked`);
          else console.log(`${chain} BROKEN at entry ${c.first_broken!.seq}: ${c.first_broken!.reason} (${c.entries_checked} entries read)`);
        }
        if (r.result === 'ok') console.log(`audit chain ok: ${r.chains.length} chain(s), ${r.entries_checked} entries, ${r.anchors_checked} anchors checked`);
        else {
          console.log(`audit chain BROKEN: chain ${JSON.stringify(r.first_broken!.writer)} at entry ${r.first_broken!.seq}: ${r.first_broken!.reason}`);
          process.exitCode = 1;
        }
      });
    });
  audit
    .command('anchor')
    .description('publish the current head of every audit chain (table and configured anchor file)')
    .action(async () => {
      await withDeps(open, async (deps) => {
        const heads = await anchorAuditHeads(deps.warehouse, deps.auditAnchors, deps.now());
        for (const h of heads) console.log(`anchored chain ${JSON.stringify(h.writer)} entry ${h.seq} ${h.hash}`);
        if (heads.length === 0) console.log('the audit is empty');
      });
    });

  const retention = program.commands.find((c) => c.name() === 'retention') ?? program.command('retention').description('retention policy');
  retention.command('apply').description('set every table TTL to its retention policy').action(async () => {
    await withDeps(open, async (deps) => {
      const r = await applyRetention(deps.warehouse, privacyConfig(deps.config.file));
      await deps.audit.record({ ...auditWho(operator()), action: 'compliance.retention_apply', params: { changed: r.changed, failed: r.failed.map((f) => f.table) } });
      console.log(`TTL changed on ${r.changed.length} table(s)${r.changed.length ? ': ' + r.changed.join(', ') : ''}; ${r.unchanged.length} already matched; ${r.failed.length} failed`);
      for (const f of r.failed) console.error(`  ${f.table}: ${f.error}`);
      if (r.failed.length) process.exitCode = 1;
    });
  });
  retention.command('status').description('retention status per table').action(async () => {
    await withDeps(open, async (deps) => {
      const rows = await retentionStatus(deps.warehouse, privacyConfig(deps.config.file), deps.now());
      await deps.audit.record({ ...auditWho(operator()), action: 'compliance.retention_status', params: {}, rows: rows.length });
      for (const r of rows) console.log(`${r.status.padEnd(6)} ${r.table.padEnd(28)} policy ${String(r.policy_days ?? '-').padStart(5)} d  rows ${r.rows_total}  past ${r.rows_past_policy}  ${r.breach_reason}`);
    });
  });
  retention.command('run').description('the nightly retention job now: TTLs, content purge, suppression sweep, snapshot').action(async () => {
    await withDeps(open, async (deps) => {
      const r = await runRetention(deps, deps.now());
      console.log(`TTLs changed: ${r.applied.changed.length}; content purged in ${r.purged.length} table(s); re-erased ${r.reErased} subject(s)`);
    });
  });
}
