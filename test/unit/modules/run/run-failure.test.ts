import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../../src/errors/app-error';
import { ERROR_CATALOGUE, RUN_ENDING_CODES, type ErrorCode } from '../../../../src/errors/catalogue';
import { MODEL_INPUT_REASONS, ModelInputError } from '../../../../src/modules/modeling/model';
import { failureOf, interruptedFailure, servedFailure } from '../../../../src/modules/run/run-failure';

const DRIVER_TEXT = 'postgresql error [42P01/1]: ERROR: relation "t_secret" does not exist';

describe('what a failed run stores and serves', () => {
  it('every code the modeling core and the executor can end a run with is in the catalogue, the model’s reasons and INTERRUPTED among its run-ending codes', () => {
    const produced: string[] = [
      ...MODEL_INPUT_REASONS.map((reason) => failureOf(new ModelInputError(reason, `because of ${reason}`)).code),
      ...(Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((code) => failureOf(new AppError(code, 'some message')).code),
      failureOf(new Error('a bug')).code,
      failureOf('a thrown string').code,
      interruptedFailure('the server shut down').code,
    ];
    const missing = produced.filter((code) => !(code in ERROR_CATALOGUE));
    assert.deepEqual([...new Set(missing)], [], 'codes a run can end with that the catalogue lacks');
    for (const code of [...MODEL_INPUT_REASONS, 'INTERRUPTED'])
      assert.ok((RUN_ENDING_CODES as readonly string[]).includes(code), `${code} is a run-ending code`);
  });

  it('a database error is stored with its code and the catalogue’s message, never the driver’s words', () => {
    for (const code of ['DB_ERROR', 'DB_UNAVAILABLE', 'DB_QUERY_TIMEOUT', 'DB_POOL_TIMEOUT', 'DB_CONSTRAINT_VIOLATION'] as const) {
      assert.deepEqual(failureOf(new AppError(code, DRIVER_TEXT, { sqlState: '42P01' })), { code, message: ERROR_CATALOGUE[code] });
    }
  });

  it('an unexpected error, or an internal AppError, is stored as INTERNAL_SERVER_ERROR with a generic message', () => {
    const generic = { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' };
    assert.deepEqual(failureOf(new TypeError('Cannot read properties of undefined (reading "x")')), generic);
    assert.deepEqual(failureOf(new AppError('CONFIG_INVALID', 'DB_CONNECTION_STRING=secret is invalid')), generic);
  });

  it('the model’s reasons and the app’s client errors keep their own message: it names what to fix', () => {
    assert.deepEqual(failureOf(new ModelInputError('NON_FINITE_VALUE', 'column "f1" holds a value too large')), {
      code: 'NON_FINITE_VALUE',
      message: 'column "f1" holds a value too large',
    });
    assert.deepEqual(failureOf(new AppError('CONFLICT', 'Dataset "d" was deleted while the run was running')), {
      code: 'CONFLICT',
      message: 'Dataset "d" was deleted while the run was running',
    });
  });

  it('a stored failure is served masked by the same rule, whatever an older server wrote', () => {
    assert.deepEqual(servedFailure({ code: 'DB_ERROR', message: DRIVER_TEXT }), { code: 'DB_ERROR', message: ERROR_CATALOGUE.DB_ERROR });
    assert.deepEqual(servedFailure({ code: 'INTERNAL_ERROR', message: 'stack at /srv/app.js' }), {
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Internal server error',
    });
    assert.deepEqual(servedFailure({ code: 'EMPTY_INPUT', message: 'table "t" has no rows' }), { code: 'EMPTY_INPUT', message: 'table "t" has no rows' });
  });
});
