// `wa-analytics simulate …`: stream generated traffic to a file and/or a live webhook, with the
// truth alongside.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { generate, simulationConfig, type SimOptions } from './engine.ts';
import { Poster } from './post.ts';
import { LineWriter } from './sink.ts';
import { TENANTS_BY_KEY } from './tenants.ts';
import { appSecretsFromEnv } from '../app/config.ts';

function int(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function num(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
}

interface CliOptions {
  seed: string;
  start: string;
  days?: number;
  end?: string;
  scale: number;
  duplicateRate: number;
  batchSize: number;
  freeTier: number;
  out?: string;
  truth?: string;
  config?: string;
  url?: string;
  secret?: string;
  rate: number;
  concurrency: number;
  subjectBodies: boolean;
  progress: boolean;
  tenants: string;
}

export function simulateCommand(): Command {
  return new Command('simulate')
    .description('generate WhatsApp Cloud API webhook traffic with known answers (docs/TRUTH.md)')
    .option('--seed <seed>', 'seed: same seed, same bytes', '1')
    .option('--start <date>', 'first simulated local date, YYYY-MM-DD (≥ 2022-02-01)', '2025-11-01')
    .option('--days <n>', 'number of days (default 7)', int('--days'))
    .option('--end <date>', 'last simulated date (inclusive), instead of --days')
    .option('--scale <n>', 'customer contacts per day per WABA', num('--scale'), 40)
    .option('--duplicate-rate <p>', 'share of bodies delivered twice', num('--duplicate-rate'), 0.02)
    .option('--batch-size <n>', 'most items per POST', int('--batch-size'), 8)
    .option('--tenants <keys>', `simulated businesses, comma-separated: ${Object.keys(TENANTS_BY_KEY).join(', ')}`, Object.keys(TENANTS_BY_KEY).join(','))
    .option('--free-tier <n>', 'CBP free conversations per WABA-month', int('--free-tier'), 1000)
    .option('--out <file>', "bodies, one per line (for 'wa-analytics replay'); '-' for stdout")
    .option('--truth <file>', 'truth records (NDJSON)')
    .option('--config <file>', 'write the CONFIG_FILE (tenants and calendars) of this run')
    .option('--url <url>', 'POST every body to this webhook, e.g. http://127.0.0.1:3000/webhook')
    .option('--secret <secret>', 'app secret for X-Hub-Signature-256 (default: $WHATSAPP_APP_SECRET)')
    .option('--rate <n>', 'bodies per second when posting; 0 = as fast as possible', num('--rate'), 0)
    .option('--concurrency <n>', 'requests in flight when posting', int('--concurrency'), 8)
    .option('--subject-bodies', 'list every body sha256 per subject in the truth (small runs)', false)
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) });
}

/** Errors are reported on stderr and leave a non-zero exit code (2 usage, 1 failure). */
export async function main(args: string[]): Promise<void> {
  const cmd = simulateCommand();
  try {
    cmd.parse(args, { from: 'user' });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'commander.helpDisplayed' && code !== 'commander.version') process.exitCode = 2;
    return; // commander has already printed the message
  }
  try {
    await run(cmd.opts<CliOptions>());
  } catch (e) {
    if ((e as { code?: string }).code === 'EPIPE') return; // the reader of --out - went away (e.g. `| head`)
    process.stderr.write(`simulate: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

async function run(o: CliOptions): Promise<void> {
  if (!o.out && !o.url && !o.truth && !o.config) throw new Error('nothing to do: give --out, --url, --truth or --config');
  const secret = o.secret ?? appSecretsFromEnv()[0];
  if (o.url && !secret) throw new Error('--url needs --secret or WHATSAPP_APP_SECRET to sign the bodies');
  if (o.concurrency < 1) throw new Error('--concurrency must be at least 1');
  const wabas = o.tenants.split(',').map((k) => {
    const spec = TENANTS_BY_KEY[k.trim().toLowerCase()];
    if (!spec) throw new Error(`unknown tenant "${k}" (known: ${Object.keys(TENANTS_BY_KEY).join(', ')})`);
    return spec;
  });
  const sim: SimOptions = {
    wabas,
    seed: o.seed, start: o.start, scale: o.scale, duplicateRate: o.duplicateRate, batchSize: o.batchSize,
    freeTier: o.freeTier, subjectBodies: o.subjectBodies,
    ...(o.days !== undefined ? { days: o.days } : {}), ...(o.end !== undefined ? { end: o.end } : {}),
  };
  const config = simulationConfig(sim);
  if (o.config) writeFileSync(o.config, JSON.stringify(config, null, 2) + '\n');
  if (!o.out && !o.url && !o.truth) return;

  const out = o.out ? new LineWriter(o.out) : null;
  const truth = o.truth ? new LineWriter(o.truth) : null;
  const poster = o.url ? new Poster({ url: o.url, secret: secret!, concurrency: o.concurrency, rate: o.rate }) : null;
  const showBar = o.progress && process.stderr.isTTY && o.out !== '-';
  const bar = new SingleBar({ format: 'simulate [{bar}] day {value}/{total} | {bodies} bodies | {speed} bodies/s', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
  const started = Date.now();
  let bodies = 0;
  let duplicates = 0;
  const speed = () => Math.round(bodies / Math.max(0.001, (Date.now() - started) / 1000));
  if (showBar) bar.start(1, 0, { bodies: 0, speed: 0 });

  const stream = generate({
    ...sim,
    ...(poster ? { secret } : {}),
    ...(truth ? { onTruth: (r) => truth.push(JSON.stringify(r)) } : {}),
    onDay: (d) => {
      if (showBar) {
        bar.setTotal(d.days);
        bar.update(d.index + 1, { bodies, speed: speed() });
      }
    },
  });
  try {
    for await (const p of stream) {
      bodies++;
      if (p.duplicate) duplicates++;
      out?.push(p.body);
      if (poster) await poster.post(p.body, p.signature);
      if (bodies % 256 === 0) {
        await out?.ready();
        await truth?.ready();
        if (showBar) bar.update({ bodies, speed: speed() });
      }
    }
    await poster?.drain();
  } finally {
    if (showBar) bar.stop();
    await out?.close();
    await truth?.close();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const posted = poster ? `, posted ${poster.posted} (${poster.retries} retries) to ${o.url}` : '';
  process.stderr.write(`simulate: ${bodies} bodies (${duplicates} re-deliveries) in ${secs} s${posted}${truth ? `, ${truth.lines} truth records` : ''}\n`);
}
