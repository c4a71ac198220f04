import path from 'node:path';
import { AppError } from '../errors/app-error';
import type { TraceOptions } from '../telemetry/options';
import type { AuthOptions, JwtOptions } from './auth-options';
import { redactConnectionString, redactUrl } from './connection-string';
import { readCorsPolicy, type CorsPolicy } from './cors-origins';
import { DIALECT_NAMES, type DialectName } from './dialect-name';
import { EnvReader, type Env } from './env-reader';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './query-limits';
import { version as packageVersion } from '../../package.json';

/**
 * The only module that reads process.env. Everything is validated at once (every problem listed),
 * then frozen and passed down; nothing else looks at the environment.
 */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly host: string;
  /** PORT, default 4000. */
  readonly port: number;
  /** LOG_LEVEL, default `info`. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** LOG_FORMAT, default `json` (pino's own); `ecs` writes Elastic Common Schema lines for shipping to Elastic. */
  readonly logFormat: 'json' | 'ecs';
  /** DATA_DIR, default `./data`: the embedded SQLite file lives here. */
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  /** DEMO_DATASETS, default true on the embedded SQLite, false elsewhere. */
  readonly demoDatasets: boolean;
  /** GRAPHQL_INTROSPECTION, default true unless NODE_ENV=production (also turns the Sandbox landing page on). */
  readonly introspection: boolean;
  /** GRAPHQL_MAX_DEPTH, _COST, _ALIASES, _TOKENS, _DIRECTIVES: checked before any operation executes (src/graphql/limits/). */
  readonly queryLimits: QueryLimits;
  /**
   * GRAPHQL_CACHE_MS, default 1000: how long a query's answer may be given again from memory at most
   * (src/plugins/response-cache/); any write on this replica, or on another one told through
   * Redis, retires it at once. 0 turns the cache off.
   */
  readonly responseCacheMs: number;
  /** GRAPHQL_BODY_LIMIT, default 1 MiB (1,048,576 bytes): larger request bodies get 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimitBytes: number;
  readonly runs: RunConfig;
  readonly trace: TraceOptions;
  /** KIBANA_URL, default none: when set, ModelRun.kibanaUrl links to the dashboard filtered on the run. */
  readonly kibanaUrl: string | null;
  readonly auth: AuthOptions;
  /** REDIS_URL, default none: replicas share run events, rate limits and API-key revocations through it. */
  readonly redis: RedisOptions | null;
  /** CORS_ORIGINS, default none in production and any loopback origin otherwise (cors-origins.ts). */
  readonly cors: CorsPolicy;
}

export interface RedisOptions {
  /** REDIS_URL (redis:// or rediss://). It may hold a password: never log it; use `redactedUrl`. */
  readonly url: string;
  readonly redactedUrl: string;
  /** REDIS_PREFIX, default `aimodel:`: starts every key and channel, so deployments can share one Redis. */
  readonly prefix: string;
}

export interface RunConfig {
  /** RUN_CONCURRENCY, default 1: runs computing at once, each on its own worker thread. */
  readonly concurrency: number;
  /** RUN_QUEUE_LIMIT, default 16: runs the shared queue holds; more are refused (RUN_QUEUE_FULL) by a replica with no free slot. */
  readonly queueLimit: number;
  /** RUN_HEARTBEAT_MS, default 5000: how often the owner marks its runs alive; after 4 missed beats another replica takes the run over. */
  readonly heartbeatMs: number;
  /** RUN_MAX_ATTEMPTS, default 3: claims of a run; when its owner dies or shuts down on the last one, the run ends INTERRUPTED. */
  readonly maxAttempts: number;
  /**
   * RUN_TIMEOUT_MS, default 21,600,000 (6 hours); 0: no limit. How long one attempt of a run may read and
   * compute before it is stopped and FAILED with RUN_TIMEOUT (a run storing its results is let finish).
   */
  readonly timeoutMs: number;
  /** RUN_READ_BATCH_ROWS, default 2000: rows a batch when reading a dataset; within 10% of each database's best (bench/read.ts). */
  readonly readBatchRows: number;
  /**
   * RUN_READ_CONNECTIONS, default 2: connections a run reads its dataset on side by side, a key range each
   * (at least 50,000 rows; at most (DB_POOL_MAX − 1) / RUN_CONCURRENCY, so one stays for the API).
   */
  readonly readConnections: number;
  /** RUN_EVENTS_POLL_MS, default 1000: without REDIS_URL, how often a replica reads the runs its subscribers follow. */
  readonly eventsPollMs: number;
}

export interface DatabaseConfig {
  /** DB_DIALECT, default `sqlite`. */
  readonly dialect: DialectName;
  /** DB_CONNECTION_STRING, default the embedded SQLite file. Never log it: use `redactedConnectionString`. */
  readonly connectionString: string;
  readonly redactedConnectionString: string;
  readonly embedded: boolean;
  /** DB_POOL_MAX, default 4. */
  readonly poolMax: number;
  /** DB_ACQUIRE_TIMEOUT_MS, default 10000: how long a caller waits for a free connection. */
  readonly acquireTimeoutMs: number;
  /** DB_QUERY_TIMEOUT_MS, default 30000: per statement; 0 disables. */
  readonly queryTimeoutMs: number;
  /** DB_IDLE_TIMEOUT_MS, default 60000: an idle connection is closed after this long. */
  readonly idleTimeoutMs: number;
  /** DB_MIGRATE, default true: apply the app's table migrations at start. */
  readonly migrate: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The embedded default's SQLite file in DATA_DIR. */
export function embeddedDatabaseFile(dataDir: string): string {
  return path.join(dataDir, 'aimodel.sqlite');
}

export function embeddedConnectionString(dataDir: string): string {
  // WAL lets pooled readers run beside a writer; Timeout is SQLite's busy timeout in milliseconds.
  return `Driver={SQLite3};Database=${embeddedDatabaseFile(dataDir)};Timeout=10000;JournalMode=WAL;FKSupport=1`;
}

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const nodeEnv = read.oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const dataDir = path.resolve(read.text('DATA_DIR') ?? 'data');
  const dialect = read.oneOf('DB_DIALECT', DIALECT_NAMES, 'sqlite');
  const explicitConnection = read.text('DB_CONNECTION_STRING');
  if (explicitConnection === undefined && dialect !== 'sqlite') {
    read.problem(`DB_CONNECTION_STRING is required when DB_DIALECT is ${dialect} (the embedded default is SQLite only)`);
  }
  const connectionString = explicitConnection ?? embeddedConnectionString(dataDir);
  const embedded = explicitConnection === undefined;

  const config: Config = {
    nodeEnv,
    host: read.text('HOST') ?? '0.0.0.0',
    port: read.integer('PORT', 4000, 0, 65535),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'ecs'] as const, 'json'),
    dataDir,
    database: {
      dialect,
      connectionString,
      redactedConnectionString: redactConnectionString(connectionString),
      embedded,
      poolMax: read.integer('DB_POOL_MAX', 4, 1, 128),
      acquireTimeoutMs: read.integer('DB_ACQUIRE_TIMEOUT_MS', 10_000, 1, 600_000),
      queryTimeoutMs: read.integer('DB_QUERY_TIMEOUT_MS', 30_000, 0, 3_600_000),
      idleTimeoutMs: read.integer('DB_IDLE_TIMEOUT_MS', 60_000, 1_000, 86_400_000),
      migrate: read.boolean('DB_MIGRATE', true),
    },
    demoDatasets: read.boolean('DEMO_DATASETS', dialect === 'sqlite'),
    introspection: read.boolean('GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    responseCacheMs: read.integer('GRAPHQL_CACHE_MS', 1_000, 0, 60_000),
    // Defaults: DEFAULT_QUERY_LIMITS (query-limits.ts).
    queryLimits: {
      maxDepth: read.integer('GRAPHQL_MAX_DEPTH', DEFAULT_QUERY_LIMITS.maxDepth, 1, 1_000),
      maxCost: read.integer('GRAPHQL_MAX_COST', DEFAULT_QUERY_LIMITS.maxCost, 1, 1_000_000_000),
      maxAliases: read.integer('GRAPHQL_MAX_ALIASES', DEFAULT_QUERY_LIMITS.maxAliases, 0, 100_000),
      maxTokens: read.integer('GRAPHQL_MAX_TOKENS', DEFAULT_QUERY_LIMITS.maxTokens, 100, 1_000_000),
      maxDirectives: read.integer('GRAPHQL_MAX_DIRECTIVES', DEFAULT_QUERY_LIMITS.maxDirectives, 0, 100_000),
    },
    bodyLimitBytes: read.bytes('GRAPHQL_BODY_LIMIT', 1024 * 1024, 1024, 100 * 1024 * 1024),
    runs: {
      concurrency: read.integer('RUN_CONCURRENCY', 1, 1, 64),
      queueLimit: read.integer('RUN_QUEUE_LIMIT', 16, 0, 10_000),
      heartbeatMs: read.integer('RUN_HEARTBEAT_MS', 5_000, 100, 600_000),
      maxAttempts: read.integer('RUN_MAX_ATTEMPTS', 3, 1, 100),
      // At most what a Node timer holds (2^31 − 1 ms, about 24.8 days).
      timeoutMs: read.integer('RUN_TIMEOUT_MS', 21_600_000, 0, 2_147_483_647),
      readBatchRows: read.integer('RUN_READ_BATCH_ROWS', 2_000, 100, 1_000_000),
      readConnections: read.integer('RUN_READ_CONNECTIONS', 2, 1, 16),
      eventsPollMs: read.integer('RUN_EVENTS_POLL_MS', 1_000, 50, 60_000),
    },
    trace: {
      elasticsearchUrl: read.url('ELASTICSEARCH_URL'),
      apiKey: read.text('ELASTICSEARCH_API_KEY') ?? null,
      username: read.text('ELASTICSEARCH_USERNAME') ?? null,
      password: read.text('ELASTICSEARCH_PASSWORD') ?? null,
      eventsTarget: read.dataStreamName('ELASTICSEARCH_TRACE_STREAM', 'logs-aimodel.trace-default'),
      runsIndex: read.text('ELASTICSEARCH_RUNS_INDEX') ?? 'aimodel-runs',
      setupAtStart: read.boolean('ELASTICSEARCH_SETUP', false),
      ilm: read.boolean('ELASTICSEARCH_ILM', true),
      fileDirectory: path.resolve(read.text('TRACE_DIR') ?? path.join(dataDir, 'trace')),
      queueLimit: read.integer('TRACE_QUEUE_LIMIT', 10_000, 1, 10_000_000),
      flushIntervalMs: read.integer('TRACE_FLUSH_MS', 1_000, 10, 600_000),
      batchSize: read.integer('TRACE_BATCH_SIZE', 500, 1, 100_000),
      fileMaxBytes: read.integer('TRACE_FILE_MAX_BYTES', 50 * 1024 * 1024, 1_024, 10 * 1024 * 1024 * 1024),
      fileRetentionDays: read.integer('TRACE_FILE_RETENTION_DAYS', 14, 0, 36_500),
      fileMaxTotalBytes: read.integer('TRACE_FILE_MAX_TOTAL_BYTES', 1024 * 1024 * 1024, 0, 1024 * 1024 * 1024 * 1024),
      refusedSampleRate: read.fraction('TRACE_REFUSED_SAMPLE_RATE', 0.01),
      spoolMaxBytes: read.integer('TRACE_SPOOL_MAX_BYTES', 1024 * 1024 * 1024, 1_024, 1024 * 1024 * 1024 * 1024),
      serviceName: 'ai-modeling-api',
      serviceVersion: packageVersion,
    },
    kibanaUrl: read.url('KIBANA_URL'),
    auth: {
      apiKeys: read.boolean('AUTH_API_KEYS', true),
      // A key revoked on another replica works on here until its cache entry ends, unless Redis tells every replica.
      apiKeyCacheMs: read.integer('AUTH_API_KEY_CACHE_MS', read.text('REDIS_URL') ? 30_000 : 5_000, 0, 3_600_000),
      anonymousRole: anonymousRole(read, nodeEnv),
      jwt: jwtOptions(read),
      runsPerMinute: read.integer('RATE_LIMIT_RUNS_PER_MINUTE', 30, 1, 100_000),
    },
    redis: redisOptions(read),
    cors: readCorsPolicy(read, nodeEnv === 'production'),
  };
  if (nodeEnv === 'production') {
    // Refuse to serve a production API that anyone may use: some authentication must exist, and no
    // anonymous access.
    if (config.auth.anonymousRole) read.problem('AUTH_ANONYMOUS must be none when NODE_ENV=production');
    if (!config.auth.apiKeys && !config.auth.jwt) read.problem('NODE_ENV=production needs authentication: AUTH_API_KEYS=true or AUTH_JWT_* settings');
  }

  const problems = read.problems;
  if (problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  }
  return deepFreeze(config);
}

function redisOptions(read: EnvReader): RedisOptions | null {
  const url = read.redisUrl('REDIS_URL');
  const prefix = read.text('REDIS_PREFIX') ?? 'aimodel:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) read.problem(`REDIS_PREFIX must be 1 to 64 letters, digits or _ . : -, got "${prefix}"`);
  return url === null ? null : { url, redactedUrl: redactUrl(url), prefix };
}

function anonymousRole(read: EnvReader, nodeEnv: Config['nodeEnv']): 'viewer' | null {
  const value = read.oneOf('AUTH_ANONYMOUS', ['none', 'viewer'] as const, nodeEnv === 'production' ? 'none' : 'viewer');
  return value === 'viewer' ? 'viewer' : null;
}

function jwtOptions(read: EnvReader): JwtOptions | null {
  const secret = read.text('AUTH_JWT_SECRET') ?? null;
  const publicKey = read.text('AUTH_JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n') ?? null;
  if (!secret && !publicKey) return null;
  if (secret && publicKey) read.problem('Set one of AUTH_JWT_SECRET (HS256) and AUTH_JWT_PUBLIC_KEY (RS256), not both');
  if (secret && Buffer.byteLength(secret) < 32) read.problem('AUTH_JWT_SECRET must have at least 32 bytes');
  if (publicKey && !publicKey.includes('BEGIN PUBLIC KEY')) read.problem('AUTH_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
  const issuer = read.text('AUTH_JWT_ISSUER');
  const audience = read.text('AUTH_JWT_AUDIENCE');
  if (!issuer || !audience) read.problem('AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE are required with JWT authentication');
  return {
    algorithm: secret ? 'HS256' : 'RS256',
    secret,
    publicKey,
    issuer: issuer ?? '',
    audience: audience ?? '',
    roleClaim: read.text('AUTH_JWT_ROLE_CLAIM') ?? 'role',
  };
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object' && !Object.isFrozen(inner)) deepFreeze(inner);
  }
  return Object.freeze(value);
}

/** libuv threads for this configuration: one per pooled connection plus libuv's default four. */
export function threadPoolSize(config: Config): number {
  return Math.min(1024, config.database.poolMax + 4);
}
