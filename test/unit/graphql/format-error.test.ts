import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { GraphQLError, locatedError, type GraphQLFormattedError } from 'graphql';
import { AppError } from '../../../src/errors/app-error';
import { ERROR_CATALOGUE } from '../../../src/errors/catalogue';
import { createErrorReporting } from '../../../src/graphql/format-error';
import { errorReportingPlugin } from '../../../src/plugins/error-reporting/plugin';
import type { GraphqlContext } from '../../../src/graphql/context';
import { QueryLimitError } from '../../../src/graphql/limits/limits';
import { createLogger } from '../../../src/logging/logger';

const SQL = 'SELECT "petal_length" FROM "iris" WHERE dataset_id = ?';
const DRIVER = '[SQLite]no such column: petal_length (1)';

/** The fields of a logged line these tests read. */
interface LogLine {
  readonly level: number;
  readonly requestId?: string;
  readonly path?: string;
  readonly code?: string;
  readonly reason?: string;
  readonly stack?: string;
  readonly details?: unknown;
  readonly err?: { readonly message: string };
}

function setup(production: boolean) {
  const lines: string[] = [];
  const logger = createLogger('debug', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  const reporting = createErrorReporting({ production, logger });
  const context = { requestId: 'req-42', logger: logger.child({ requestId: 'req-42' }) } as unknown as GraphqlContext;
  /** As Apollo does it: the plugin sees the request's errors first, then each is formatted. */
  const respond = async (errors: GraphQLError[]): Promise<GraphQLFormattedError[]> => {
    const hooks = await errorReportingPlugin(reporting).requestDidStart!({} as never);
    await hooks!.didEncounterErrors!({ errors, contextValue: context } as never);
    return errors.map((error) => reporting.formatError({ ...error.toJSON(), extensions: { ...error.extensions } }, error));
  };
  return { lines, reporting, context, respond, logs: () => lines.map((line) => JSON.parse(line) as LogLine) };
}

/** An error thrown by a resolver, as graphql hands it to Apollo. */
function resolverError(original: Error): GraphQLError {
  return locatedError(original, undefined, ['dataset', 'profile']);
}

function driverBug(): Error {
  const error = new Error(`${DRIVER} while running ${SQL}`, { cause: new Error('odbc: SQLExecDirect failed') });
  return error;
}

describe('error formatting in production (NODE_ENV=production)', () => {
  it('an unexpected resolver error is masked: no message, stack or SQL; the request id to quote', async () => {
    const { respond, logs } = setup(true);
    const [formatted] = await respond([resolverError(driverBug())]);
    assert.deepEqual(formatted, {
      message: 'Internal server error',
      locations: undefined,
      path: ['dataset', 'profile'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' },
    });
    const text = JSON.stringify(formatted);
    for (const secret of [SQL, DRIVER, 'at ', 'odbc']) assert.ok(!text.includes(secret), `${secret} is not in the response`);

    const [line, full, ...more] = logs();
    assert.equal(more.length, 0, 'logged once (and once in full), by the plugin; formatting did not log it again');
    assert.equal(line!.requestId, 'req-42');
    assert.equal(line!.level, 50, 'at error level');
    assert.equal(line!.path, 'dataset.profile');
    assert.equal(line!.code, 'INTERNAL_SERVER_ERROR');
    assert.match(line!.stack ?? '', /at /, 'the error line has a bug’s stack');
    assert.equal(full!.level, 20, 'the whole error at debug');
    assert.match(full!.err?.message ?? '', /no such column: petal_length/);
    assert.ok(full!.err?.message.includes(SQL), 'the debug log has the SQL text');
    assert.match(JSON.stringify(full!.err), /SQLExecDirect failed/, 'the debug log has the cause');
  });

  it('a database AppError keeps its code, with the catalogue’s generic message and no details', async () => {
    const { respond, logs } = setup(true);
    const error = new AppError('DB_ERROR', `sqlite error [HY000/1]: ${DRIVER}`, { sqlState: 'HY000', nativeCode: 1 });
    const [formatted] = await respond([resolverError(error)]);
    assert.deepEqual(formatted?.extensions, { code: 'DB_ERROR', requestId: 'req-42' });
    assert.equal(formatted?.message, ERROR_CATALOGUE.DB_ERROR);
    const [line, full] = logs();
    assert.equal(logs().length, 2);
    assert.equal(line!.code, 'DB_ERROR');
    assert.equal(line!.reason, ERROR_CATALOGUE.DB_ERROR);
    assert.doesNotMatch(JSON.stringify(line), /no such column|HY000/, 'no driver text above debug');
    assert.equal(full!.level, 20);
    assert.deepEqual(full!.details, { sqlState: 'HY000', nativeCode: 1 });
    assert.match(full!.err?.message ?? '', /no such column/);
  });

  it('client AppErrors (BAD_USER_INPUT, NOT_FOUND, …) keep their message and details, and are not logged', async () => {
    const { respond, logs } = setup(true);
    const [formatted] = await respond([resolverError(new AppError('BAD_USER_INPUT', 'first must be an integer from 0 to 500, got 501', { field: 'first' }))]);
    assert.deepEqual(formatted, {
      message: 'first must be an integer from 0 to 500, got 501',
      locations: undefined,
      path: ['dataset', 'profile'],
      extensions: { code: 'BAD_USER_INPUT', field: 'first' },
    });
    assert.equal(logs().length, 0);
  });

  // format-error.ts' limits: a message's characters, and a detail string's.
  const MAX_MESSAGE = 1_000;
  const MAX_DETAIL = 200;

  it('long echoed input is cut in characters: an emoji is never split into a lone surrogate, nor counted twice', async () => {
    const { respond } = setup(true);
    const name = `a${'😀'.repeat(300)}`;
    const [formatted] = await respond([resolverError(new AppError('BAD_USER_INPUT', `bad ${'😀'.repeat(3_000)}`, { field: 'name', value: name }))]);
    const value = String(formatted!.extensions?.value);
    const message = formatted!.message;
    for (const text of [value, message])
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text), `no lone surrogate: …${JSON.stringify(text.slice(-40))}`);
    assert.equal(value, `a${'😀'.repeat(MAX_DETAIL - 1)}… (${301 - MAX_DETAIL} more characters)`);
    assert.equal(message, `bad ${'😀'.repeat(MAX_MESSAGE - 4)}… (${3_004 - MAX_MESSAGE} more characters)`);
  });

  it('Apollo’s request errors pass through; AppErrors coded internal are masked', async () => {
    const { respond } = setup(true);
    const validation = new GraphQLError('Cannot query field "password" on type "Dataset".', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const internal = resolverError(new AppError('CONFIG_INVALID', 'DB_CONNECTION_STRING is required'));
    const [first, second] = await respond([validation, internal]);
    assert.equal(first?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.equal(first?.message, validation.message);
    assert.equal(second?.message, 'Internal server error');
    assert.equal(second?.extensions?.code, 'INTERNAL_SERVER_ERROR');
  });

  it('a query-limit error that Apollo relabelled GRAPHQL_VALIDATION_FAILED gets its own code back', async () => {
    const { respond, logs } = setup(true);
    const limit = new QueryLimitError('QUERY_TOO_DEEP', 10, 12, 'The operation is 12 fields deep');
    // What Apollo's ValidationError does to it.
    const relabelled = new GraphQLError(limit.message, { originalError: limit, extensions: { ...limit.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } });
    const [formatted] = await respond([relabelled]);
    assert.deepEqual(formatted?.extensions, { code: 'QUERY_TOO_DEEP', limit: 'GRAPHQL_MAX_DEPTH', maximum: 10, measured: 12 });
    assert.equal(logs().length, 0);
  });

  it('an error no plugin saw (e.g. while the context was built) is logged by the formatter, with a fresh request id', () => {
    const { reporting, logs } = setup(true);
    const error = new GraphQLError('Context creation failed: boom', { originalError: new TypeError('boom') });
    const formatted = reporting.formatError({ message: error.message, extensions: {} }, error);
    assert.equal(formatted.extensions?.code, 'INTERNAL_SERVER_ERROR');
    const requestId = formatted.extensions?.requestId;
    assert.match(String(requestId), /^[0-9a-f-]{36}$/);
    assert.equal(logs().length, 2, 'once at error, once in full at debug');
    assert.equal(logs()[0]!.requestId, requestId);
  });

  it('graphql-ws errors get the same treatment, with the socket operation’s request id', () => {
    const { reporting, context, logs } = setup(true);
    const [formatted] = reporting.formatErrors([resolverError(driverBug())], context);
    assert.deepEqual(formatted?.extensions, { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' });
    assert.equal(logs()[0]!.requestId, 'req-42');
  });
});

describe('error formatting in development', () => {
  it('an internal message stays, for the developer; a database error is masked as in production (driver text never reaches a client)', async () => {
    const { respond, logs } = setup(false);
    const [internal, database] = await respond([
      resolverError(driverBug()),
      resolverError(new AppError('DB_ERROR', `sqlite error: ${DRIVER}`, { sqlState: 'HY000' })),
    ]);
    assert.equal(internal?.message, driverBug().message);
    assert.deepEqual(internal?.extensions, { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' });
    assert.equal(database?.message, ERROR_CATALOGUE.DB_ERROR);
    assert.deepEqual(database?.extensions, { code: 'DB_ERROR', requestId: 'req-42' });
    assert.equal(logs().length, 4, 'each at error, and in full at debug');
    assert.ok(!JSON.stringify(internal).includes('stacktrace'));
  });
});
