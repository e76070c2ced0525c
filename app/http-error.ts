import { warehouseUnavailable } from '../warehouse/errors.ts';

/**
 * The one error an HTTP route throws to answer other than 200: a status, a message for the caller,
 * optional extra fields of the JSON answer (the parameter at fault, a list of problems) and
 * headers. The express error handler answers it; report endpoints audit it first.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { body?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }

  /** The JSON answer: `{ error, ...body }`. */
  json(): Record<string, unknown> {
    return { error: this.message, ...(this.extra.body ?? {}) };
  }
}

/** A 400 naming the parameter at fault (`{ error, parameter }`). */
export function badParameter(parameter: string, message: string): HttpError {
  return new HttpError(400, `${parameter}: ${message}`, { body: { parameter } });
}

/** Seconds a client waits before asking again when the warehouse cannot serve. */
export const RETRY_AFTER_SECONDS = '5';

/**
 * What an error thrown by a route means to the caller: an HttpError as it is, the warehouse unable
 * to serve or write (disk full, connection refused) as 503 with Retry-After, anything else
 * undefined (a 500, logged).
 */
export function asHttpError(e: unknown): HttpError | undefined {
  if (e instanceof HttpError) return e;
  if (warehouseUnavailable(e)) {
    return new HttpError(503, 'the warehouse cannot serve this now; retry later', { headers: { 'Retry-After': RETRY_AFTER_SECONDS } });
  }
  // express's own client errors (a body that is not JSON, too large).
  const status = (e as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return new HttpError(status, (e as Error).message);
  return undefined;
}
