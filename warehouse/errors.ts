/**
 * A failed warehouse call, named by its declared query. ClickHouse's own message can quote row
 * data (a value that did not parse, a key that clashed), so it is not the message here: only the
 * query's name and ClickHouse's error code and type, which callers may log and match on.
 */
export class WarehouseError extends Error {
  override readonly name = 'WarehouseError';
  /** ClickHouse's numeric error code (e.g. '243'), when the failure came from ClickHouse. */
  readonly code: string | undefined;
  /** ClickHouse's error name (e.g. 'NOT_ENOUGH_SPACE'). */
  readonly type: string | undefined;

  constructor(readonly query: string, failure: unknown) {
    const { code, type } = (failure ?? {}) as { code?: unknown; type?: unknown };
    const c = typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
    const t = typeof type === 'string' && /^[A-Z0-9_]+$/.test(type) ? type : undefined;
    super(`warehouse query ${query} failed${t ? ` (${t})` : c ? ` (code ${c})` : ''}`);
    this.code = c;
    this.type = t;
    // Kept for a debugger, out of JSON and of log serializers that walk enumerable fields or `cause`.
    Object.defineProperty(this, 'failure', { value: failure, enumerable: false });
  }
}

/** ClickHouse error types of a store that cannot write or cannot be reached. */
const UNAVAILABLE_TYPES = new Set([
  'NOT_ENOUGH_SPACE',
  'CANNOT_WRITE_TO_FILE_DESCRIPTOR',
  'CANNOT_WRITE_TO_OSTREAM',
  'CANNOT_FSYNC',
  'TABLE_IS_READ_ONLY',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  'NETWORK_ERROR',
  'SOCKET_TIMEOUT',
  'ALL_CONNECTION_TRIES_FAILED',
  'KEEPER_EXCEPTION',
]);

/** Node's errors of a connection that could not be made or was cut. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'ENOSPC', 'EROFS', 'EDQUOT']);

/** Words of the engine's message when the disk is full or read-only, for errors without a type. */
const UNAVAILABLE_TEXT = /No space left on device|Read-only file system|Disk quota exceeded|Cannot write to file/i;

/**
 * Whether an error means the warehouse cannot serve or write right now (a condition that passes:
 * disk full, a read-only or unreachable store), as opposed to a fault of the query. Callers answer
 * these with 503 and Retry-After rather than 500.
 */
export function warehouseUnavailable(e: unknown): boolean {
  for (let err = e, depth = 0; err && typeof err === 'object' && depth < 4; err = (err as { cause?: unknown; failure?: unknown }).cause ?? (err as { failure?: unknown }).failure, depth++) {
    const { type, code, message } = err as { type?: unknown; code?: unknown; message?: unknown };
    if (typeof type === 'string' && UNAVAILABLE_TYPES.has(type)) return true;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_TEXT.test(message)) return true;
    if (err instanceof AggregateError && err.errors.some((x) => warehouseUnavailable(x))) return true;
  }
  return false;
}
