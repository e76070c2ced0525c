import type { Router } from 'express';
import type { Command } from 'commander';
import type { AppDeps, Follower, Job } from './deps.ts';
import agents from '../reports/agents/module.ts';
import billing from '../reports/billing/module.ts';
import compliance from '../reports/compliance/module.ts';
import csat from '../reports/csat/module.ts';
import labels from '../reports/labels/module.ts';
import sla from '../reports/sla/module.ts';
import templates from '../reports/templates/module.ts';
import dashboards from '../dashboards/module.ts';
import apiDocs from './api-docs.ts';
import alerts from '../reports/alerts/module.ts';

/**
 * A report or dashboard module plugs into the service through one file, `module.ts`, in its folder
 * (`reports/<name>/module.ts`, `dashboards/module.ts`), listed in MODULES below: what it does when
 * the service starts, the routes it serves and the jobs it runs.
 */
export interface ServiceModule {
  name: string;
  /** Runs once when the service starts, before any route is mounted or job scheduled. */
  start?(deps: AppDeps): Promise<void> | void;
  /** Mounts the module's routes on the API router (paths are absolute, e.g. `/api/reports/sla`); no I/O. */
  routes?(router: Router, deps: AppDeps): void;
  jobs?(deps: AppDeps): Job[];
  /** Derivations run after each loaded ingest batch, on what it stored. */
  followers?(deps: AppDeps): Follower[];
  /** Runs once when the service stops, after its jobs and followers, before the warehouse closes (work in flight ends here). */
  stop?(deps: AppDeps): Promise<void> | void;
  /** Adds the module's commands to the CLI; `open` gives the dependencies when a command runs. */
  cli?(program: Command, open: () => Promise<{ deps: AppDeps; close(): Promise<void> }>): void;
}

/** Every module of the service, in the order their routes are mounted (the API description last: it lists the others'). */
export const MODULES: readonly ServiceModule[] = [dashboards, billing, compliance, sla, templates, labels, csat, agents, alerts, apiDocs];
