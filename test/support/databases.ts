import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedConnectionString } from '../../src/config/config';
import { Datastore, type DatastoreOptions } from '../../src/datastore/datastore';
import { dialectFor, type SqlDialect } from '../../src/datastore/dialects';
import type { DialectName } from '../../src/config/dialect-name';
import type { Statement } from '../../src/datastore/types';
import { refuseSbigintBinds } from './oracle-driver-rules';

/** A real database the suite runs against, through its real ODBC driver. */
export interface TestDatabase {
  /** Names the database in test output. */
  readonly label: string;
  readonly dialect: DialectName;
  readonly connectionString: string;
}

function fromEnvironment(variable: string, label: string, dialect: DialectName): TestDatabase {
  const connectionString = process.env[variable];
  if (!connectionString) {
    // Fail, never skip: a suite that silently runs nothing would pass.
    throw new Error(`${variable} is not set: run the suite with \`npm test\`, which starts ${label} and sets it`);
  }
  return { label, dialect, connectionString };
}

export function sqliteDatabase(): TestDatabase {
  const folder = mkdtempSync(path.join(tmpdir(), 'aimodel-test-'));
  return {
    label: 'SQLite (SQLite3 ODBC driver)',
    dialect: 'sqlite',
    connectionString: `Driver={SQLite3};Database=${path.join(folder, 'test.sqlite')};Timeout=10000;JournalMode=WAL`,
  };
}

export function postgresqlDatabase(): TestDatabase {
  return fromEnvironment('TEST_POSTGRESQL_ODBC', 'PostgreSQL (psqlODBC)', 'postgresql');
}

export function mariadbDatabase(): TestDatabase {
  return fromEnvironment('TEST_MARIADB_ODBC', 'MariaDB (MariaDB Connector/ODBC)', 'mysql');
}

/**
 * H2 in Oracle mode through psqlODBC (scripts/services/h2.sh), as the Oracle dialect would use it. What
 * H2 shares with Oracle and where it differs: docs/databases-and-tibero.md.
 */
export function oracleDatabase(): TestDatabase {
  return oracleMode('oracle', 'Oracle SQL on H2 in Oracle mode (psqlODBC)');
}

/** The same engine with the Tibero dialect. */
export function tiberoDatabase(): TestDatabase {
  return oracleMode('tibero', 'Tibero SQL on H2 in Oracle mode (psqlODBC)');
}

// Its connections refuse 64-bit integer binds as Oracle's driver does (oracle-driver-rules.ts).
function oracleMode(dialect: DialectName, label: string): TestDatabase {
  const database = fromEnvironment('TEST_ORACLE_ODBC', 'H2 in Oracle mode (psqlODBC)', dialect);
  refuseSbigintBinds(database.connectionString);
  return { ...database, label };
}

export async function openDatastore(
  database: TestDatabase,
  overrides: Partial<DatastoreOptions> & { dialect?: SqlDialect } = {},
): Promise<{ datastore: Datastore; serverVersion: string }> {
  const datastore = Datastore.create({
    connectionString: database.connectionString,
    dialect: dialectFor(database.dialect),
    poolMax: 4,
    acquireTimeoutMs: 10_000,
    queryTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
    ...overrides,
  });
  const serverVersion = await datastore.detectServer();
  return { datastore, serverVersion };
}

export function ddl(sql: string): Statement {
  return { sql, parameters: [], kind: 'ddl' };
}

export function select(sql: string, parameters: Statement['parameters'] = []): Statement {
  return { sql, parameters, kind: 'select' };
}

/** A datastore on the embedded SQLite file of a data folder, beside the server using it. */
export function embeddedDatastore(dataDir: string): Datastore {
  return Datastore.create({
    connectionString: embeddedConnectionString(dataDir),
    dialect: dialectFor('sqlite'),
    poolMax: 2,
    acquireTimeoutMs: 10_000,
    queryTimeoutMs: 60_000,
    idleTimeoutMs: 60_000,
  });
}
