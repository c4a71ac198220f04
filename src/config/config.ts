import path from 'node:path';
import { AppError } from '../errors/app-error';
import type { TraceOptions } from '../telemetry/options';
import type { AuthOptions, JwtOptions } from './auth-options';
import { redactConnectionString } from './connection-string';
import { DIALECT_NAMES, type DialectName } from './dialect-name';
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
  /** GRAPHQL_BODY_LIMIT, default 1 MiB (1,048,576 bytes): larger request bodies get 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimitBytes: number;
  readonly runs: RunConfig;
  readonly trace: TraceOptions;
  /** KIBANA_URL, default none: when set, ModelRun.kibanaUrl links to the dashboard filtered on the run. */
  readonly kibanaUrl: string | null;
  readonly auth: AuthOptions;
}

export interface RunConfig {
  /** RUN_CONCURRENCY, default 1: runs computing at once, each on its own worker thread. */
  readonly concurrency: number;
  /** RUN_QUEUE_LIMIT, default 16: queued runs beyond the running ones; more are refused (RUN_QUEUE_FULL). */
  readonly queueLimit: number;
  /** RUN_HEARTBEAT_MS, default 5000: how often the owner marks its runs alive; 4 missed beats make a run INTERRUPTED. */
  readonly heartbeatMs: number;
  /** RUN_READ_BATCH_ROWS, default 2000: rows a batch when reading a dataset; within 10% of each database's best (bench/read.ts). */
  readonly readBatchRows: number;
  /**
   * RUN_READ_CONNECTIONS, default 2: connections a run reads its dataset on side by side, a key range each
   * (at least 50,000 rows; at most (DB_POOL_MAX − 1) / RUN_CONCURRENCY, so one stays for the API).
   */
  readonly readConnections: number;
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

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function embeddedConnectionString(dataDir: string): string {
  // WAL lets pooled readers run beside a writer; Timeout is SQLite's busy timeout in milliseconds.
  return `Driver={SQLite3};Database=${path.join(dataDir, 'aimodel.sqlite')};Timeout=10000;JournalMode=WAL;FKSupport=1`;
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const boolean = (name: string, fallback: boolean) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const url = (name: string): string | null => {
    const raw = read(name);
    if (raw === undefined) return null;
    try {
      const parsed = new URL(raw);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return raw.replace(/\/+$/, '');
    } catch {
      // reported below
    }
    problems.push(`${name} must be an http(s) URL, got "${redactUrl(raw)}"`);
    return null;
  };
  // The data stream naming scheme <type>-<dataset>-<namespace>: the index template matches everything
  // after the last hyphen, so the namespace may not contain one.
  const dataStreamName = (name: string, fallback: string): string => {
    const value = read(name) ?? fallback;
    if (!/^logs-[a-z0-9_.]+-[a-z0-9_.]+$/.test(value)) {
      problems.push(`${name} must be a data stream name logs-<dataset>-<namespace> (lower case, no hyphen inside dataset or namespace), got "${value}"`);
      return fallback;
    }
    return value;
  };
  function anonymousRole(): 'viewer' | null {
    const value = oneOf('AUTH_ANONYMOUS', ['none', 'viewer'] as const, nodeEnv === 'production' ? 'none' : 'viewer');
    return value === 'viewer' ? 'viewer' : null;
  }
  function jwtOptions(): JwtOptions | null {
    const secret = read('AUTH_JWT_SECRET') ?? null;
    const publicKey = read('AUTH_JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n') ?? null;
    if (!secret && !publicKey) return null;
    if (secret && publicKey) problems.push('Set one of AUTH_JWT_SECRET (HS256) and AUTH_JWT_PUBLIC_KEY (RS256), not both');
    if (secret && Buffer.byteLength(secret) < 32) problems.push('AUTH_JWT_SECRET must have at least 32 bytes');
    if (publicKey && !publicKey.includes('BEGIN PUBLIC KEY')) problems.push('AUTH_JWT_PUBLIC_KEY must be a PEM public key (-----BEGIN PUBLIC KEY-----)');
    const issuer = read('AUTH_JWT_ISSUER');
    const audience = read('AUTH_JWT_AUDIENCE');
    if (!issuer || !audience) problems.push('AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE are required with JWT authentication');
    return {
      algorithm: secret ? 'HS256' : 'RS256',
      secret,
      publicKey,
      issuer: issuer ?? '',
      audience: audience ?? '',
      roleClaim: read('AUTH_JWT_ROLE_CLAIM') ?? 'role',
    };
  }
  // A size in bytes: a plain integer, or with a kb / mb suffix (1024-based, as body-parser reads "1mb").
  const bytes = (name: string, fallback: number, min: number, max: number) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
    const value = match ? Number(match[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb'] : Number.NaN;
    if (!(value >= min && value <= max)) {
      problems.push(`${name} must be a size from ${min} to ${max} bytes (e.g. 1048576, 512kb, 1mb), got "${raw}"`);
      return fallback;
    }
    return value;
  };
  // A number from 0 to 1 (a share), plain decimal notation.
  const fraction = (name: string, fallback: number) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^(0|1|0?\.\d+|1\.0*)$/.test(raw) || !(value >= 0 && value <= 1)) {
      problems.push(`${name} must be a number from 0 to 1 (e.g. 0.01), got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const dataDir = path.resolve(read('DATA_DIR') ?? 'data');
  const dialect = oneOf('DB_DIALECT', DIALECT_NAMES, 'sqlite');
  const explicitConnection = read('DB_CONNECTION_STRING');
  if (explicitConnection === undefined && dialect !== 'sqlite') {
    problems.push(`DB_CONNECTION_STRING is required when DB_DIALECT is ${dialect} (the embedded default is SQLite only)`);
  }
  const connectionString = explicitConnection ?? embeddedConnectionString(dataDir);
  const embedded = explicitConnection === undefined;

  const config: Config = {
    nodeEnv,
    host: read('HOST') ?? '0.0.0.0',
    port: integer('PORT', 4000, 0, 65535),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf('LOG_FORMAT', ['json', 'ecs'] as const, 'json'),
    dataDir,
    database: {
      dialect,
      connectionString,
      redactedConnectionString: redactConnectionString(connectionString),
      embedded,
      poolMax: integer('DB_POOL_MAX', 4, 1, 128),
      acquireTimeoutMs: integer('DB_ACQUIRE_TIMEOUT_MS', 10_000, 1, 600_000),
      queryTimeoutMs: integer('DB_QUERY_TIMEOUT_MS', 30_000, 0, 3_600_000),
      idleTimeoutMs: integer('DB_IDLE_TIMEOUT_MS', 60_000, 1_000, 86_400_000),
      migrate: boolean('DB_MIGRATE', true),
    },
    demoDatasets: boolean('DEMO_DATASETS', dialect === 'sqlite'),
    introspection: boolean('GRAPHQL_INTROSPECTION', nodeEnv !== 'production'),
    // Defaults: DEFAULT_QUERY_LIMITS (query-limits.ts).
    queryLimits: {
      maxDepth: integer('GRAPHQL_MAX_DEPTH', DEFAULT_QUERY_LIMITS.maxDepth, 1, 1_000),
      maxCost: integer('GRAPHQL_MAX_COST', DEFAULT_QUERY_LIMITS.maxCost, 1, 1_000_000_000),
      maxAliases: integer('GRAPHQL_MAX_ALIASES', DEFAULT_QUERY_LIMITS.maxAliases, 0, 100_000),
      maxTokens: integer('GRAPHQL_MAX_TOKENS', DEFAULT_QUERY_LIMITS.maxTokens, 100, 1_000_000),
      maxDirectives: integer('GRAPHQL_MAX_DIRECTIVES', DEFAULT_QUERY_LIMITS.maxDirectives, 0, 100_000),
    },
    bodyLimitBytes: bytes('GRAPHQL_BODY_LIMIT', 1024 * 1024, 1024, 100 * 1024 * 1024),
    runs: {
      concurrency: integer('RUN_CONCURRENCY', 1, 1, 64),
      queueLimit: integer('RUN_QUEUE_LIMIT', 16, 0, 10_000),
      heartbeatMs: integer('RUN_HEARTBEAT_MS', 5_000, 100, 600_000),
      readBatchRows: integer('RUN_READ_BATCH_ROWS', 2_000, 100, 1_000_000),
      readConnections: integer('RUN_READ_CONNECTIONS', 2, 1, 16),
    },
    trace: {
      elasticsearchUrl: url('ELASTICSEARCH_URL'),
      apiKey: read('ELASTICSEARCH_API_KEY') ?? null,
      username: read('ELASTICSEARCH_USERNAME') ?? null,
      password: read('ELASTICSEARCH_PASSWORD') ?? null,
      eventsTarget: dataStreamName('ELASTICSEARCH_TRACE_STREAM', 'logs-aimodel.trace-default'),
      runsIndex: read('ELASTICSEARCH_RUNS_INDEX') ?? 'aimodel-runs',
      setupAtStart: boolean('ELASTICSEARCH_SETUP', false),
      ilm: boolean('ELASTICSEARCH_ILM', true),
      fileDirectory: path.resolve(read('TRACE_DIR') ?? path.join(dataDir, 'trace')),
      queueLimit: integer('TRACE_QUEUE_LIMIT', 10_000, 1, 10_000_000),
      flushIntervalMs: integer('TRACE_FLUSH_MS', 1_000, 10, 600_000),
      batchSize: integer('TRACE_BATCH_SIZE', 500, 1, 100_000),
      fileMaxBytes: integer('TRACE_FILE_MAX_BYTES', 50 * 1024 * 1024, 1_024, 10 * 1024 * 1024 * 1024),
      fileRetentionDays: integer('TRACE_FILE_RETENTION_DAYS', 14, 0, 36_500),
      fileMaxTotalBytes: integer('TRACE_FILE_MAX_TOTAL_BYTES', 1024 * 1024 * 1024, 0, 1024 * 1024 * 1024 * 1024),
      refusedSampleRate: fraction('TRACE_REFUSED_SAMPLE_RATE', 0.01),
      spoolMaxBytes: integer('TRACE_SPOOL_MAX_BYTES', 1024 * 1024 * 1024, 1_024, 1024 * 1024 * 1024 * 1024),
      serviceName: 'ai-modeling-api',
      serviceVersion: packageVersion,
    },
    kibanaUrl: url('KIBANA_URL'),
    auth: {
      apiKeys: boolean('AUTH_API_KEYS', true),
      apiKeyCacheMs: integer('AUTH_API_KEY_CACHE_MS', 30_000, 0, 3_600_000),
      anonymousRole: anonymousRole(),
      jwt: jwtOptions(),
      runsPerMinute: integer('RATE_LIMIT_RUNS_PER_MINUTE', 30, 1, 100_000),
    },
  };
  if (nodeEnv === 'production') {
    // Refuse to serve a production API that anyone may use: some authentication must exist, and no
    // anonymous access.
    if (config.auth.anonymousRole) problems.push('AUTH_ANONYMOUS must be none when NODE_ENV=production');
    if (!config.auth.apiKeys && !config.auth.jwt) problems.push('NODE_ENV=production needs authentication: AUTH_API_KEYS=true or AUTH_JWT_* settings');
  }

  if (problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  }
  return deepFreeze(config);
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

/** A URL with any user:password@ part hidden, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//*****@');
}
