import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { embeddedConnectionString, loadConfig, threadPoolSize, type Config } from '../../../src/config/config';
import { AppError } from '../../../src/errors/app-error';

/** Runs loadConfig expecting CONFIG_INVALID and returns the error. Never touches process.env. */
function configError(env: Record<string, string | undefined>): AppError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  assert.equal(caught.code, 'CONFIG_INVALID');
  return caught;
}

function assertDeeplyFrozen(value: object, where = 'config'): void {
  assert.ok(Object.isFrozen(value), `${where} is frozen`);
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (inner && typeof inner === 'object') assertDeeplyFrozen(inner, `${where}.${key}`);
  }
}

describe('loadConfig', () => {
  it('with an empty environment, every setting takes its default (SQLite embedded under DATA_DIR, port 4000, pool 4)', () => {
    const config = loadConfig({});
    const dataDir = path.resolve('data');
    assert.equal(config.nodeEnv, 'development');
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.port, 4000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dataDir, dataDir);
    assert.equal(config.database.dialect, 'sqlite');
    assert.equal(config.database.embedded, true);
    assert.equal(config.database.connectionString, embeddedConnectionString(dataDir));
    assert.ok(config.database.connectionString.includes(`Database=${path.join(dataDir, 'aimodel.sqlite')};`), config.database.connectionString);
    assert.equal(config.database.poolMax, 4);
    assert.equal(config.database.acquireTimeoutMs, 10_000);
    assert.equal(config.database.queryTimeoutMs, 30_000);
    assert.equal(config.database.idleTimeoutMs, 60_000);
    assert.equal(config.database.migrate, true);
    assert.equal(config.demoDatasets, true);
    assert.equal(config.introspection, true);
  });

  it('DATA_DIR moves the embedded SQLite file and is resolved to an absolute path', () => {
    const config = loadConfig({ DATA_DIR: 'var/aimodel' });
    assert.equal(config.dataDir, path.resolve('var/aimodel'));
    assert.ok(config.database.connectionString.includes(path.join(path.resolve('var/aimodel'), 'aimodel.sqlite')));
  });

  it('blank values count as unset and surrounding whitespace is ignored', () => {
    const config = loadConfig({ PORT: '   ', LOG_LEVEL: '', DB_POOL_MAX: ' 8 ' });
    assert.equal(config.port, 4000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.database.poolMax, 8);
  });

  it('demo datasets default to off for a non-SQLite dialect and can be turned on explicitly', () => {
    const postgres = { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: 'Driver={PostgreSQL Unicode};Server=db;UID=app;PWD=pw' };
    assert.equal(loadConfig(postgres).demoDatasets, false);
    assert.equal(loadConfig(postgres).database.embedded, false);
    assert.equal(loadConfig({ ...postgres, DEMO_DATASETS: 'yes' }).demoDatasets, true);
    assert.equal(loadConfig({ DEMO_DATASETS: 'off' }).demoDatasets, false);
  });

  it('introspection defaults to off when NODE_ENV=production and can be turned back on', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).introspection, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).introspection, true);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).introspection, true);
  });

  it('explicit values are read and converted (numbers, booleans, enums)', () => {
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '8080',
      LOG_LEVEL: 'debug',
      DB_POOL_MAX: '16',
      DB_ACQUIRE_TIMEOUT_MS: '2500',
      DB_QUERY_TIMEOUT_MS: '0',
      DB_IDLE_TIMEOUT_MS: '1000',
      DB_MIGRATE: 'false',
    });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(
      { ...config.database, connectionString: undefined, redactedConnectionString: undefined },
      {
        dialect: 'sqlite',
        connectionString: undefined,
        redactedConnectionString: undefined,
        embedded: true,
        poolMax: 16,
        acquireTimeoutMs: 2500,
        queryTimeoutMs: 0,
        idleTimeoutMs: 1000,
        migrate: false,
      },
    );
  });

  it('with several invalid variables, one CONFIG_INVALID error lists every problem at once', () => {
    const error = configError({ PORT: 'abc', DB_DIALECT: 'db2', DB_POOL_MAX: '0', LOG_LEVEL: 'loud' });
    for (const name of ['PORT', 'DB_DIALECT', 'DB_POOL_MAX', 'LOG_LEVEL']) {
      assert.match(error.message, new RegExp(`\\b${name}\\b`), `the message names ${name}: ${error.message}`);
    }
    assert.match(error.message, /"abc"/);
    assert.match(error.message, /"db2"/);
    assert.match(error.message, /"loud"/);
    const problems = error.details?.problems;
    assert.ok(Array.isArray(problems));
    assert.equal(problems.length, 4, JSON.stringify(problems));
  });

  it('RUN_READ_CONNECTIONS defaults to 2, takes 1–16, and refuses anything else', () => {
    assert.equal(loadConfig({}).runs.readConnections, 2);
    assert.equal(loadConfig({ RUN_READ_CONNECTIONS: '1' }).runs.readConnections, 1);
    assert.equal(loadConfig({ RUN_READ_CONNECTIONS: '16' }).runs.readConnections, 16);
    for (const value of ['0', '17', '1.5', 'two']) {
      assert.match(configError({ RUN_READ_CONNECTIONS: value }).message, /RUN_READ_CONNECTIONS must be an integer from 1 to 16/, value);
    }
  });

  it('RUN_TIMEOUT_MS defaults to 6 hours, takes 0 (no limit) up to what a Node timer holds, and refuses anything else', () => {
    assert.equal(loadConfig({}).runs.timeoutMs, 21_600_000);
    assert.equal(loadConfig({ RUN_TIMEOUT_MS: '0' }).runs.timeoutMs, 0);
    assert.equal(loadConfig({ RUN_TIMEOUT_MS: '2147483647' }).runs.timeoutMs, 2_147_483_647);
    for (const value of ['-1', '2147483648', '1.5', '5s']) {
      assert.match(configError({ RUN_TIMEOUT_MS: value }).message, /RUN_TIMEOUT_MS must be an integer from 0 to 2147483647/, value);
    }
  });

  it('out-of-range and non-integer numbers are refused (PORT 65536, DB_POOL_MAX 1.5, DB_IDLE_TIMEOUT_MS 999)', () => {
    const error = configError({ PORT: '65536', DB_POOL_MAX: '1.5', DB_IDLE_TIMEOUT_MS: '999', DB_MIGRATE: 'maybe' });
    assert.equal((error.details?.problems as unknown[]).length, 4, error.message);
    assert.match(error.message, /PORT must be an integer from 0 to 65535/);
    assert.match(error.message, /DB_MIGRATE must be true or false/);
  });

  for (const dialect of ['postgresql', 'mysql', 'oracle', 'tibero']) {
    it(`DB_DIALECT=${dialect} without DB_CONNECTION_STRING is refused with CONFIG_INVALID`, () => {
      const error = configError({ DB_DIALECT: dialect });
      assert.match(error.message, /DB_CONNECTION_STRING is required/);
    });
  }

  it('the returned config is deeply frozen', () => {
    const config = loadConfig({});
    assertDeeplyFrozen(config);
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.throws(() => {
      (config.database as { poolMax: number }).poolMax = 99;
    }, TypeError);
  });

  it('the password in DB_CONNECTION_STRING is hidden in redactedConnectionString and kept in connectionString', () => {
    const config = loadConfig({
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: 'Driver={PostgreSQL Unicode};Server=db;UID=app;PWD={s3cr;et}}pw}',
    });
    assert.equal(config.database.connectionString, 'Driver={PostgreSQL Unicode};Server=db;UID=app;PWD={s3cr;et}}pw}');
    assert.equal(config.database.redactedConnectionString, 'Driver={PostgreSQL Unicode};Server=db;UID=app;PWD=*****');
    for (const fragment of ['s3cr', 'et}pw', 'et}}pw']) assert.ok(!config.database.redactedConnectionString.includes(fragment));
  });

  it('when another variable is invalid, the CONFIG_INVALID message and details do not contain the password', () => {
    const secret = 'Hunter2-Very-Secret';
    const error = configError({
      DB_DIALECT: 'postgresql',
      DB_CONNECTION_STRING: `Driver={PostgreSQL Unicode};Server=db;UID=app;Password=${secret}`,
      PORT: 'abc',
    });
    assert.ok(!error.message.includes(secret), error.message);
    assert.ok(!JSON.stringify(error.details).includes(secret), JSON.stringify(error.details));
    assert.ok(!String(error.stack).includes(secret));
  });
});

describe('threadPoolSize', () => {
  const withPool = (poolMax: string): Config => loadConfig({ DB_POOL_MAX: poolMax });

  it('is one libuv thread per pooled connection plus the default four', () => {
    assert.equal(threadPoolSize(loadConfig({})), 8);
    assert.equal(threadPoolSize(withPool('1')), 5);
    assert.equal(threadPoolSize(withPool('128')), 132);
  });

  it('never exceeds libuv’s limit of 1024', () => {
    const huge = { ...loadConfig({}), database: { ...loadConfig({}).database, poolMax: 5_000 } };
    assert.equal(threadPoolSize(huge), 1024);
  });
});

describe('loadConfig: the trace settings', () => {
  it('defaults to the file sink (no ELASTICSEARCH_URL), the logs-aimodel.trace-default stream and a 1 GiB spool cap', () => {
    const config = loadConfig({});
    assert.equal(config.trace.elasticsearchUrl, null);
    assert.equal(config.trace.eventsTarget, 'logs-aimodel.trace-default');
    assert.equal(config.trace.spoolMaxBytes, 1024 * 1024 * 1024);
    assert.equal(config.trace.ilm, true);
  });

  it('refuses a trace stream whose namespace has a hyphen, and an ELASTICSEARCH_URL that is not http(s), without echoing its password', () => {
    assert.throws(
      () => loadConfig({ ELASTICSEARCH_TRACE_STREAM: 'logs-aimodel.trace-team-a', ELASTICSEARCH_URL: 'ftp://user:hunter2@host' }),
      (error: { code?: string; message: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /ELASTICSEARCH_TRACE_STREAM must be a data stream name/);
        assert.match(error.message, /ELASTICSEARCH_URL must be an http\(s\) URL/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      },
    );
  });
});

describe('loadConfig: trace file retention and refused-request sampling', () => {
  it('defaults: 14 days, 1 GiB in all, 1 % of refused or anonymous operations traced', () => {
    const { trace } = loadConfig({});
    assert.deepEqual(
      { days: trace.fileRetentionDays, total: trace.fileMaxTotalBytes, rate: trace.refusedSampleRate },
      { days: 14, total: 1024 * 1024 * 1024, rate: 0.01 },
    );
  });

  it('takes 0 (keep, no cap, trace none), whole numbers, and shares from 0 to 1', () => {
    const zero = loadConfig({ TRACE_FILE_RETENTION_DAYS: '0', TRACE_FILE_MAX_TOTAL_BYTES: '0', TRACE_REFUSED_SAMPLE_RATE: '0' }).trace;
    assert.deepEqual([zero.fileRetentionDays, zero.fileMaxTotalBytes, zero.refusedSampleRate], [0, 0, 0]);
    const set = loadConfig({ TRACE_FILE_RETENTION_DAYS: '90', TRACE_FILE_MAX_TOTAL_BYTES: '10485760', TRACE_REFUSED_SAMPLE_RATE: '0.25' }).trace;
    assert.deepEqual([set.fileRetentionDays, set.fileMaxTotalBytes, set.refusedSampleRate], [90, 10_485_760, 0.25]);
    assert.equal(loadConfig({ TRACE_REFUSED_SAMPLE_RATE: '1' }).trace.refusedSampleRate, 1);
  });

  it('refuses negative days and sizes, and a rate outside 0 to 1 or not a plain number, listing each', () => {
    assert.throws(
      () => loadConfig({ TRACE_FILE_RETENTION_DAYS: '-1', TRACE_FILE_MAX_TOTAL_BYTES: '-5', TRACE_REFUSED_SAMPLE_RATE: '1.5' }),
      (error: { code?: string; message: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.match(error.message, /TRACE_FILE_RETENTION_DAYS must be an integer from 0 to 36500, got "-1"/);
        assert.match(error.message, /TRACE_FILE_MAX_TOTAL_BYTES must be an integer from 0 to \d+, got "-5"/);
        assert.match(error.message, /TRACE_REFUSED_SAMPLE_RATE must be a number from 0 to 1 \(e\.g\. 0\.01\), got "1\.5"/);
        return true;
      },
    );
    for (const raw of ['1e-2', 'half', '-0.1', '0x1'])
      assert.throws(() => loadConfig({ TRACE_REFUSED_SAMPLE_RATE: raw }), /TRACE_REFUSED_SAMPLE_RATE must be a number from 0 to 1/, raw);
  });
});

describe('loadConfig: LOG_FORMAT', () => {
  it('defaults to json, accepts ecs, and refuses anything else', () => {
    assert.equal(loadConfig({}).logFormat, 'json');
    assert.equal(loadConfig({ LOG_FORMAT: 'ecs' }).logFormat, 'ecs');
    assert.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), /LOG_FORMAT must be one of json, ecs/);
  });
});
