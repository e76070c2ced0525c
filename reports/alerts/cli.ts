import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import type { AppDeps } from '../../app/deps.ts';
import { ruleSchema } from './config.ts';
import { createAlertEngine } from './engine.ts';
import { deleteRule, listRules, RuleConflict, saveRule } from './rule-store.ts';

/**
 * `wa-analytics alerts rules | add <rule.json> | remove <id> | test <id> | evaluate`: the admin
 * API's rule commands for an operator at the machine. Each is written to the access audit.
 */

type Open = () => Promise<{ deps: AppDeps; close(): Promise<void> }>;

function fail(message: string): void {
  process.stderr.write(`alerts: ${message}\n`);
  process.exitCode = 2;
}

async function withDeps(open: Open, action: string, work: (deps: AppDeps) => Promise<Record<string, unknown>>): Promise<void> {
  const { deps, close } = await open();
  try {
    const params = await work(deps);
    await deps.audit.record({ actor: 'cli', role: 'system', action: `alerts.${action}`, params });
  } catch (e) {
    if (e instanceof RuleConflict) return fail(e.message);
    throw e;
  } finally {
    await close();
  }
}

const print = (x: unknown) => process.stdout.write(JSON.stringify(x, null, 2) + '\n');

export function addAlertsCli(program: Command, open: Open): void {
  const alerts = program.command('alerts').description('alert rules: list, add, remove, test, evaluate');
  alerts.command('rules').description('list the rules (CONFIG_FILE and stored)').action(() =>
    withDeps(open, 'rules', async (deps) => {
      const rules = await listRules(deps.warehouse, createAlertEngine(deps).config);
      print(rules.map((l) => ({ ...l.rule, source: l.source })));
      return { rules: rules.length };
    }));
  alerts.command('add <file>').description('store a rule from a JSON file (replaces a stored rule of the same id)').action((file: string) =>
    withDeps(open, 'rule_save', async (deps) => {
      const parsed = ruleSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) {
        fail(z.prettifyError(parsed.error));
        return { refused: true };
      }
      await saveRule(deps.warehouse, createAlertEngine(deps).config, parsed.data, 'cli', deps.now().getTime());
      print({ saved: parsed.data.id });
      return { rule_id: parsed.data.id, kind: parsed.data.kind };
    }));
  alerts.command('remove <id>').description('remove a stored rule').action((id: string) =>
    withDeps(open, 'rule_delete', async (deps) => {
      const removed = await deleteRule(deps.warehouse, createAlertEngine(deps).config, id, 'cli', deps.now().getTime());
      if (!removed) fail(`no stored rule ${id}`);
      return { rule_id: id, removed };
    }));
  alerts.command('test <id>').description("send a test message of a rule to its recipients").action((id: string) =>
    withDeps(open, 'test', async (deps) => {
      const engine = createAlertEngine(deps);
      const sent = await engine.test(id);
      if (!sent) fail(`no rule ${id}`);
      await engine.idle();
      print(sent?.map((m) => ({ firing_id: m.firing_id, recipient: m.recipient })) ?? []);
      return { rule_id: id, messages: sent?.length ?? 0 };
    }));
  alerts.command('evaluate').description('evaluate every rule now and deliver what changed').action(() =>
    withDeps(open, 'evaluate', async (deps) => {
      const engine = createAlertEngine(deps);
      const summary = await engine.evaluate();
      await engine.idle();
      print(summary);
      return { ...summary };
    }));
}
