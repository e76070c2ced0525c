import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertsConfig, Recipient } from './config.ts';
import { subjectOf, textOf, type AlertMessage } from './message.ts';

/**
 * The three ways a message leaves: email over SMTP (nodemailer), a Slack incoming webhook, and a
 * generic webhook whose body is signed. Each send either resolves or throws a DeliveryError that
 * says whether trying again can help (a network failure, 429, 5xx, a 4xx SMTP reply) or not.
 */

export type ChannelName = 'email' | 'slack' | 'webhook';

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(message: string, readonly retryable: boolean, readonly statusCode = 0) {
    super(message);
  }
}

export const SIGNATURE_HEADER = 'X-WA-Alert-Signature';
export const TIMESTAMP_HEADER = 'X-WA-Alert-Timestamp';

/**
 * `sha256=` + hex HMAC-SHA-256 of `<timestamp>.<body>` with the recipient's secret. The timestamp
 * is signed too, so a receiver can refuse an old message replayed.
 */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export interface Channel {
  name: ChannelName;
  send(message: AlertMessage): Promise<number>;
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (e) {
    throw new DeliveryError(`request failed: ${(e as Error).name}`, true);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return res.status;
  throw new DeliveryError(`answered ${res.status}`, res.status === 429 || res.status >= 500, res.status);
}

export function createMailer(cfg: AlertsConfig): Transporter | undefined {
  const smtp = cfg.smtp;
  if (!smtp) return undefined;
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ignoreTLS: smtp.ignore_tls,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: cfg.timeout_ms,
    socketTimeout: cfg.timeout_ms,
  });
}

/** The channels a recipient has configured (email only with an SMTP relay). */
export function channelsOf(r: Recipient, cfg: AlertsConfig, mailer: Transporter | undefined): Channel[] {
  const out: Channel[] = [];
  if (r.email && mailer && cfg.smtp) {
    const { from } = cfg.smtp;
    const to = r.email;
    out.push({
      name: 'email',
      async send(m) {
        try {
          await mailer.sendMail({ from, to, subject: subjectOf(m), text: textOf(m), headers: { 'X-WA-Alert-Firing': m.firing_id } });
          return 250;
        } catch (e) {
          const code = (e as { responseCode?: number }).responseCode ?? 0;
          throw new DeliveryError(code ? `SMTP ${code}` : `SMTP failed: ${(e as { code?: string }).code ?? 'error'}`, code === 0 || code < 500, code);
        }
      },
    });
  }
  if (r.slack_webhook) {
    const url = r.slack_webhook;
    out.push({ name: 'slack', send: (m) => post(url, JSON.stringify({ text: textOf(m) }), {}, cfg.timeout_ms) });
  }
  if (r.webhook) {
    const { url, secret } = r.webhook;
    out.push({
      name: 'webhook',
      send(m) {
        const body = JSON.stringify(m);
        const ts = String(Math.floor(Date.now() / 1000));
        return post(url, body, { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signPayload(secret, ts, body) }, cfg.timeout_ms);
      },
    });
  }
  return out;
}
