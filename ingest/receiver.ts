import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifySignature } from './signature.ts';
import { parseBody } from './entry.ts';
import { LogFullError, type IngestLog } from './ingest-log.ts';
import type { IngestMetrics } from './metrics.ts';
import type { Logger } from '../app/logger.ts';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
const RETRY_AFTER_SECONDS = '5';

export interface ReceiverDeps {
  appSecrets: string[];
  verifyToken: string;
  ingestLog: IngestLog;
  metrics: IngestMetrics;
  log: Logger;
}

/**
 * The webhook endpoint on bare node:http: Meta's traffic is the hot path, so it skips the web
 * framework entirely. Everything else the service serves goes through express.
 */
export function createWebhookReceiver(deps: ReceiverDeps) {
  return function handleWebhook(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET' || req.method === 'HEAD') return verifyHandshake(deps, req, res);
    if (req.method !== 'POST') return reply(res, 405, 'method not allowed', { Allow: 'GET, POST' });
    deps.metrics.received.inc();
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) return reject(deps, res, 413, 'too_large', 'body over 3 MB', true);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        reject(deps, res, 413, 'too_large', 'body over 3 MB', true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (tooLarge) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      accept(deps, req, res, body).catch((e: unknown) => {
        // A request must always get an answer; a non-200 makes Meta deliver it again.
        deps.log.error({ err: e }, 'webhook handling failed');
        reject(deps, res, 500, 'internal', 'internal error');
      });
    });
  };
}

function verifyHandshake(deps: ReceiverDeps, req: IncomingMessage, res: ServerResponse): void {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const token = q.get('hub.verify_token') ?? '';
  const ok =
    q.get('hub.mode') === 'subscribe' && deps.verifyToken !== '' && sameText(token, deps.verifyToken) && q.has('hub.challenge');
  if (!ok) return reply(res, 403, 'verification failed');
  reply(res, 200, q.get('hub.challenge') ?? '');
}

/**
 * The answer waits for the body's record to be fsynced to the ingest log (never for the warehouse):
 * a 200 is a promise that the body is on disk. A signed body that is not JSON is logged too (the
 * loader keeps it in quarantine with the reason) and answered 400.
 */
async function accept(deps: ReceiverDeps, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  if (!verifySignature(deps.appSecrets, body, req.headers['x-hub-signature-256'] as string | undefined)) {
    return reject(deps, res, 401, 'signature', 'missing or invalid X-Hub-Signature-256');
  }
  const parsed = parseBody(body);
  try {
    await deps.ingestLog.append({ body, receivedAt: Date.now(), signatureValid: true });
  } catch (e) {
    const full = e instanceof LogFullError;
    return reject(deps, res, 503, full ? 'log_full' : 'log_write', full ? 'ingest log is full; retry later' : 'cannot store now; retry later', false, {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  if ('notJson' in parsed) return reject(deps, res, 400, 'not_json', 'body is not JSON (kept in quarantine)');
  reply(res, 200, 'EVENT_RECEIVED');
}

function reject(
  deps: ReceiverDeps,
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  close = false,
  headers: Record<string, string> = {},
): void {
  deps.metrics.rejected.inc({ reason });
  reply(res, code, message, close ? { ...headers, Connection: 'close' } : headers);
}

function reply(res: ServerResponse, code: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
