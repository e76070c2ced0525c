import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Real receivers for alert channels: an SMTP server (the `smtp-server` package) and an HTTP server
 * standing in for Slack and webhook endpoints. Each keeps what arrived and lets a test wait for the
 * n-th arrival (a signal, never a timer).
 */

interface Arrivals<T> {
  all: T[];
  /** Resolves once `n` have arrived in all. */
  count(n: number): Promise<T[]>;
}

function arrivals<T>(): Arrivals<T> & { add(x: T): void } {
  const all: T[] = [];
  let waiters: Array<{ n: number; resolve(v: T[]): void }> = [];
  return {
    all,
    add(x) {
      all.push(x);
      waiters = waiters.filter((w) => (all.length >= w.n ? (w.resolve([...all]), false) : true));
    },
    count(n) {
      if (all.length >= n) return Promise.resolve([...all]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

export interface Mail {
  to: string[];
  raw: string;
  subject: string;
  firingId: string;
  /** The text body, quoted-printable decoded. */
  text: string;
}

/** Decodes a quoted-printable body (what nodemailer writes for non-ASCII text). */
function decodeQp(s: string): string {
  const soft = s.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseMail(to: string[], raw: string): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
  const body = raw.slice(split + 4);
  const qp = /quoted-printable/i.test(header('Content-Transfer-Encoding'));
  const b64 = /base64/i.test(header('Content-Transfer-Encoding'));
  const text = qp ? decodeQp(body) : b64 ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body;
  return { to, raw, subject: header('Subject'), firingId: header('X-WA-Alert-Firing'), text };
}

export async function startSmtpReceiver(): Promise<Arrivals<Mail> & { port: number; close(): Promise<void> }> {
  const mails = arrivals<Mail>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.add(parseMail(session.envelope.rcptTo.map((r) => r.address), Buffer.concat(chunks).toString('utf8')));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = ((server as unknown as { server: Server }).server.address() as AddressInfo).port;
  return { ...mails, all: mails.all, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface Hit {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}

/**
 * An HTTP receiver: every POST is kept with its headers and body. `failFirst(path, n)` makes the
 * first n requests to a path answer 503 (a channel that recovers).
 */
export async function startHttpReceiver(): Promise<Arrivals<Hit> & { url: string; failFirst(path: string, n: number): void; close(): Promise<void> }> {
  const hits = arrivals<Hit>();
  const failing = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const left = failing.get(path) ?? 0;
      const status = left > 0 ? 503 : 200;
      if (left > 0) failing.set(path, left - 1);
      hits.add({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end(status === 200 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...hits, all: hits.all, url,
    failFirst: (path, n) => void failing.set(path, n),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
