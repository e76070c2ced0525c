import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { asHttpError, HttpError } from '../../app/http-error.ts';
import { warehouseUnavailable } from '../../warehouse/errors.ts';

// Which failures mean "the store cannot serve now" (503, retry) rather than a fault (500). The
// error shapes are the client's: ClickHouseError carries the engine's error type; node's errors a code.
const ch = (type: string, code: string, message: string) => new ClickHouseError({ type, code, message });

describe('warehouse errors', () => {
  it.each([
    ['disk full', ch('NOT_ENOUGH_SPACE', '243', 'Cannot reserve 1.00 MiB, not enough space'), true],
    ['cannot write', ch('CANNOT_WRITE_TO_FILE_DESCRIPTOR', '75', 'Cannot write to file /data/x.bin'), true],
    ['read-only table', ch('TABLE_IS_READ_ONLY', '242', 'Table is in readonly mode'), true],
    ['ENOSPC text without a type', new Error('std::exception: No space left on device'), true],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), true],
    ['refused inside an aggregate', new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), true],
    ['a bad query', ch('SYNTAX_ERROR', '62', 'Syntax error'), false],
    ['a missing table', ch('UNKNOWN_TABLE', '60', 'Table x does not exist'), false],
    ['a plain bug', new TypeError('undefined is not a function'), false],
  ])('%s → unavailable %s', (_name, error, expected) => {
    expect(warehouseUnavailable(error)).toBe(expected);
  });

  it('answers the unavailable store 503 with Retry-After, keeps HttpErrors, leaves the rest to 500', () => {
    const e = asHttpError(ch('NOT_ENOUGH_SPACE', '243', 'not enough space'))!;
    expect([e.status, e.extra.headers]).toEqual([503, { 'Retry-After': '5' }]);
    const mine = new HttpError(409, 'no');
    expect(asHttpError(mine)).toBe(mine);
    expect(asHttpError(ch('SYNTAX_ERROR', '62', 'Syntax error'))).toBeUndefined();
  });
});
