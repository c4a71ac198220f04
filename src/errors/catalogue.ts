/**
 * Every error code the server can return, in one place. A test keeps this list and the README's
 * "Error codes" table in step, so a client author can rely on both.
 */
export const ERROR_CATALOGUE = {
  UNAUTHENTICATED: 'No valid credentials: the API key or bearer token is missing, unknown, revoked, expired or for another issuer or audience.',
  FORBIDDEN: 'The caller is authenticated but its role (viewer, operator, admin) does not allow this.',
  RATE_LIMITED: 'Too many requests of this kind from this caller; retry after the number of seconds in extensions.retryAfterSeconds.',
  BAD_USER_INPUT: 'An argument or input field is invalid; the message names it.',
  // The request itself (src/graphql/limits/): refused before anything executes.
  BAD_REQUEST:
    'The HTTP request cannot be read: the body is not JSON, not valid UTF-8, or not a GraphQL request (HTTP 400; 415 for an unsupported charset or encoding).',
  PAYLOAD_TOO_LARGE: 'The request body is larger than GRAPHQL_BODY_LIMIT (HTTP 413); nothing was read or executed.',
  QUERY_TOO_DEEP: 'The operation nests fields deeper than GRAPHQL_MAX_DEPTH; extensions give the limit, maximum and measured depth.',
  QUERY_TOO_COSTLY: 'The operation’s estimated cost is over GRAPHQL_MAX_COST (see "Query limits"); extensions give the limit, maximum and measured cost.',
  TOO_MANY_ALIASES: 'The operation uses more aliases than GRAPHQL_MAX_ALIASES; extensions give the limit, maximum and measured count.',
  TOO_MANY_TOKENS: 'The document has more lexical tokens than GRAPHQL_MAX_TOKENS and was not parsed; extensions give the limit, maximum and measured count.',
  TOO_MANY_DIRECTIVES: 'The operation uses more directives than GRAPHQL_MAX_DIRECTIVES; extensions give the limit, maximum and measured count.',
  IDEMPOTENCY_KEY_REUSED:
    'The idempotencyKey already started a run with other parameters; extensions.runId is that run and extensions.differences names the fields that differ.',
  NOT_FOUND: 'The requested object does not exist, or no route has this path (HTTP 404).',
  METHOD_NOT_ALLOWED: 'The route does not take this HTTP method (HTTP 405); the Allow header lists those it takes.',
  CONFLICT: 'The request conflicts with the current state (e.g. deleting a dataset while one of its runs is active).',
  CONFIG_INVALID: 'The server configuration (environment variables) is invalid; every problem is listed at once.',
  DB_UNAVAILABLE: 'The database cannot be reached or a connection could not be opened.',
  DB_POOL_TIMEOUT: 'No database connection became free within DB_ACQUIRE_TIMEOUT_MS.',
  DB_QUERY_TIMEOUT: 'A statement ran longer than DB_QUERY_TIMEOUT_MS, or waited too long for a lock another connection held, and was abandoned.',
  DB_CONSTRAINT_VIOLATION: 'The database refused a write because of a constraint (unique key, NOT NULL, check).',
  DB_ERROR: 'The database returned an error not covered by a more specific code.',
  TRACE_UNAVAILABLE: 'The modeling trace cannot be read now (the search engine did not answer); the run itself is unaffected.',
  RUN_QUEUE_FULL: 'The model-run queue is full (RUN_QUEUE_LIMIT); try again when runs have finished.',
  RUN_NOT_SUCCEEDED: 'The run has no assignments to export: it is QUEUED or RUNNING, or ended FAILED or CANCELLED (HTTP 409).',
  OUTCOMES_NOT_PUBLISHED:
    'The run’s outcomes are not in its outcome table: never published, publishing failed, or another run’s outcomes have replaced them (HTTP 409).',
  INVALID_IDENTIFIER: 'A table or column name is not a plain SQL identifier the dialect can quote safely.',
  UPSERT_INVALID: 'An UPSERT description is inconsistent (unknown key column, missing value, duplicate key in one batch).',
  DIALECT_UNSUPPORTED: 'The configured SQL dialect cannot do what was asked; nothing was sent to the database.',
  INTERNAL_SERVER_ERROR: 'An unexpected error; details are in the server log under the request id (the run id for a run).',
  // How a model run can end (ModelRun.error.code), besides the codes above: the modeling core's reasons and INTERRUPTED.
  SHAPE_MISMATCH: 'The values handed to the model do not have the shape it expects (an internal inconsistency between rows, columns and assignments).',
  EMPTY_INPUT: 'The run had no rows to cluster: the table is empty, or no row is left once rows with a missing value are dropped.',
  COLUMN_ALL_MISSING: 'A feature column has no numeric value in any row the run read.',
  NON_FINITE_VALUE: 'A feature value is infinite or too large in magnitude to compute with; the message names the column.',
  INVALID_K: 'k is below 2, above the rows left to cluster, or not an integer.',
  INVALID_K_RANGE: 'kRange is not 2 ≤ min ≤ max in integers, or its min needs more rows than are left to cluster.',
  K_RANGE_TOO_WIDE: 'kRange asks for more values of k than one run may try.',
  INVALID_OPTION: 'A run option is outside its documented range; the message names it.',
  DUPLICATE_KEY:
    "Two rows of the dataset's table have the same key (its key columns must be unique together); the message names the key. Nothing of the run was stored.",
  NULL_KEY:
    "A row of the dataset's table has a NULL in a key column (registering refuses such keys; the row came later): no entity key names it. The message names the column. Nothing of the run was stored.",
  INTERRUPTED: "The server process running the run shut down or stopped beating on the run's last attempt (RUN_MAX_ATTEMPTS), before the run ended.",
  RUN_TIMEOUT: 'The run was still reading or computing when RUN_TIMEOUT_MS had passed since its attempt started, and was stopped; nothing of it was stored.',
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The codes only a model run ends with (ModelRun.error.code); a run may also end with DB_* and other codes above. */
export const RUN_ENDING_CODES = [
  'SHAPE_MISMATCH',
  'EMPTY_INPUT',
  'COLUMN_ALL_MISSING',
  'NON_FINITE_VALUE',
  'INVALID_K',
  'INVALID_K_RANGE',
  'K_RANGE_TOO_WIDE',
  'INVALID_OPTION',
  'DUPLICATE_KEY',
  'NULL_KEY',
  'INTERRUPTED',
  'RUN_TIMEOUT',
] as const satisfies readonly ErrorCode[];
