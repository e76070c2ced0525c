// Posts generated bodies to a webhook endpoint the way Meta does: signed, JSON, keep-alive
// connections, several in flight; retries on 503/429 honouring Retry-After, gives up after
// repeated failures.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { signBody } from '../ingest/signature.ts';

export interface PosterOptions {
  url: string;
  secret: string;
  concurrency: number;
  /** Bodies per second; 0 = as fast as the endpoint allows. */
  rate: number;
  maxAttempts?: number;
}

export class PostError extends Error {}

interface Reply {
  status: number;
  retryAfter: string | undefined;
  text: string;
}

function retryDelayMs(retryAfter: string | undefined, attempt: number): number {
  if (retryAfter !== undefined) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs)) return Math.min(60_000, Math.max(0, secs * 1000));
    const when = Date.parse(retryAfter);
    if (Number.isFinite(when)) return Math.min(60_000, Math.max(0, when - Date.now()));
  }
  return Math.min(10_000, 200 * 2 ** attempt);
}

export class Poster {
  private readonly target: URL;
  private readonly agent: http.Agent;
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;
  private started = 0;
  posted = 0;
  retries = 0;

  constructor(private readonly o: PosterOptions) {
    this.target = new URL(o.url);
    const Agent = this.target.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  }

  /** Starts posting one body; resolves when there is room for the next one. */
  async post(body: string, signature?: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.o.rate > 0) {
      if (this.started === 0) this.started = Date.now();
      const due = this.started + (this.posted + this.inFlight) * (1000 / this.o.rate);
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    }
    while (this.inFlight >= this.o.concurrency) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
    this.inFlight++;
    const bytes = Buffer.from(body, 'utf8');
    void this.deliver(bytes, signature ?? signBody(this.o.secret, bytes)).then(
      () => this.posted++,
      (e: Error) => (this.failure ??= e),
    ).finally(() => {
      this.inFlight--;
      this.waiters.shift()?.();
    });
  }

  /** Waits for every body in flight; throws the first fatal failure. */
  async drain(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.agent.destroy();
    if (this.failure) throw this.failure;
  }

  private async deliver(bytes: Buffer, signature: string): Promise<void> {
    const max = this.o.maxAttempts ?? 10;
    for (let attempt = 0; ; attempt++) {
      let reply: Reply | null = null;
      let error: Error | null = null;
      try {
        reply = await this.request(bytes, signature);
      } catch (e) {
        error = e as Error;
      }
      if (reply && reply.status >= 200 && reply.status < 300) return;
      const retryable = error !== null || reply!.status === 503 || reply!.status === 429 || reply!.status >= 500;
      const what = error ? error.message : `HTTP ${reply!.status} ${reply!.text.slice(0, 200)}`;
      if (!retryable) throw new PostError(`webhook refused a body: ${what}`);
      if (attempt + 1 >= max) throw new PostError(`giving up after ${max} attempts: ${what}`);
      this.retries++;
      await sleep(retryDelayMs(reply?.retryAfter, attempt));
    }
  }

  private request(bytes: Buffer, signature: string): Promise<Reply> {
    const mod = this.target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(this.target, {
        method: 'POST',
        agent: this.agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': bytes.length, 'X-Hub-Signature-256': signature },
        timeout: 60_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(bytes);
    });
  }
}
