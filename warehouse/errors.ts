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
