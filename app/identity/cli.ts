import type { Command } from 'commander';
import { hostname } from 'node:os';
import { ROLES, type Role } from '../config.ts';
import type { AppDeps } from '../deps.ts';
import type { SystemActor, WabaScope } from '../auth.ts';
import { asHttpError } from '../http-error.ts';
import { issueServiceToken, revokeServiceToken, tokenView } from './admin.ts';
import { addUser, grant, listUsers, resetCredentials, revoke, setStatus, viewOf } from './users.ts';

/**
 * `wa-analytics users add|list|grant|revoke|disable|enable|reset` and `tokens add|list|revoke`.
 * An operator at the shell acts for the system; the audit names the host.
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

const operator = (): SystemActor => ({ actor: `cli@${hostname()}`, role: 'system' });

function rolesArg(v: string | undefined): Role[] {
  const list = (v ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  const bad = list.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length) fail(`unknown role ${bad.join(', ')} (roles: ${ROLES.join(', ')})`);
  return list as Role[];
}

function wabasArg(v: string | undefined): WabaScope | undefined {
  if (v === undefined) return undefined;
  if (v === 'all') return 'all';
  const ids = v.split(',').map((w) => w.trim()).filter(Boolean);
  if (ids.some((w) => !/^\d{1,20}$/.test(w))) fail('--wabas takes `all` or WABA ids (digits), comma-separated');
  return ids;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

async function run(open: Open, work: (deps: AppDeps) => Promise<void>): Promise<void> {
  const { deps, close } = await open();
  try {
    await work(deps);
  } catch (e) {
    const known = asHttpError(e);
    if (!known) throw e;
    console.error(known.message);
    process.exitCode = 1;
  } finally {
    await close();
  }
}

export function identityCli(program: Command, open: Open): void {
  const users = program.command('users').description('person accounts: roles, WABA scopes, status');
  users
    .command('add <email>')
    .description('create a person; a local account gets a one-time password and enrols TOTP at first sign-in')
    .requiredOption('--role <roles>', `comma-separated: ${ROLES.join(', ')}`)
    .option('--name <name>', 'display name', '')
    .option('--wabas <ids>', '`all` or WABA ids, comma-separated', 'all')
    .option('--sso', 'signs in through the IdP only (no password)')
    .action((email: string, o: { role: string; name: string; wabas: string; sso?: boolean }) => {
      const roles = rolesArg(o.role);
      const wabas = wabasArg(o.wabas) ?? 'all';
      return run(open, async (deps) => {
        const out = await addUser(deps, operator(), { email, displayName: o.name, roles, wabas, sso: o.sso ?? false });
        console.log(`added ${out.user.user_id} <${out.user.email}> roles ${out.user.roles.join(',')}`);
        if (out.password) console.log(`initial password (shown once; sign in at /login and set up TOTP): ${out.password}`);
      });
    });
  users.command('list').description('list people').action(() =>
    run(open, async (deps) => {
      for (const u of (await listUsers(deps)).map(viewOf)) console.log([u.user_id, u.email, u.display_name, u.roles, u.wabas, u.status, u.sign_in].join('\t'));
    }),
  );
  users
    .command('grant <user>')
    .description('add roles and/or WABAs (user id or e-mail)')
    .option('--role <roles>', 'comma-separated roles')
    .option('--wabas <ids>', '`all` or WABA ids')
    .action((user: string, o: { role?: string; wabas?: string }) =>
      run(open, async (deps) => {
        const u = await grant(deps, operator(), user, rolesArg(o.role), wabasArg(o.wabas));
        console.log(`${u.user_id}: roles ${u.roles.join(',') || '(none)'}; wabas ${u.all_wabas ? 'all' : u.wabas.join(',') || '(none)'}`);
      }),
    );
  users
    .command('revoke <user>')
    .description('take roles and/or WABAs away; ends the person’s sessions')
    .option('--role <roles>', 'comma-separated roles')
    .option('--wabas <ids>', 'WABA ids, or `all` to end an all-WABA scope (grant the ones to keep after)')
    .action((user: string, o: { role?: string; wabas?: string }) =>
      run(open, async (deps) => {
        const u = await revoke(deps, operator(), user, rolesArg(o.role), wabasArg(o.wabas));
        console.log(`${u.user_id}: roles ${u.roles.join(',') || '(none)'}; wabas ${u.all_wabas ? 'all' : u.wabas.join(',') || '(none)'}; sessions ended`);
      }),
    );
  for (const [name, status] of [['disable', 'disabled'], ['enable', 'active']] as const) {
    users.command(`${name} <user>`).description(`${name} a person${name === 'disable' ? ' and end their sessions' : ''}`).action((user: string) =>
      run(open, async (deps) => {
        const u = await setStatus(deps, operator(), user, status);
        console.log(`${u.user_id}: ${u.status}`);
      }),
    );
  }
  users.command('reset <user>').description('new one-time password; TOTP must be enrolled again').action((user: string) =>
    run(open, async (deps) => {
      const out = await resetCredentials(deps, operator(), user);
      console.log(`${out.user.user_id}: initial password (shown once): ${out.password}`);
    }),
  );

  const tokens = program.command('tokens').description('service tokens for API clients and metrics scrapers');
  tokens
    .command('add <name>')
    .description('issue a token (printed once, stored hashed)')
    .requiredOption('--role <roles>', `comma-separated: ${ROLES.join(', ')} (scraper: /metrics only)`)
    .option('--wabas <ids>', '`all` or WABA ids', 'all')
    .option('--days <n>', 'valid for this many days', '90')
    .action((name: string, o: { role: string; wabas: string; days: string }) =>
      run(open, async (deps) => {
        const days = Number(o.days);
        if (!Number.isInteger(days) || days < 1) fail('--days must be a whole number of days');
        const out = await issueServiceToken(deps, operator(), { name, roles: rolesArg(o.role), wabas: wabasArg(o.wabas) ?? 'all', expiresAt: new Date(deps.now().getTime() + days * 86_400_000) });
        console.log(`${out.row.token_id} ${name} expires ${new Date(out.row.expires_at).toISOString()}`);
        console.log(`token (shown once): ${out.token}`);
      }),
    );
  tokens.command('list').description('list service tokens (never the tokens themselves)').action(() =>
    run(open, async (deps) => {
      for (const t of (await deps.identity!.tokens.list()).map((r) => tokenView(r, deps.now()))) console.log([t.token_id, t.name, t.roles, t.wabas, t.status, t.expires_at].join('\t'));
    }),
  );
  tokens.command('revoke <token>').description('revoke by id or name').action((token: string) =>
    run(open, async (deps) => {
      const r = await revokeServiceToken(deps, operator(), token);
      console.log(`revoked ${r.token_id} ${r.name}`);
    }),
  );
}
