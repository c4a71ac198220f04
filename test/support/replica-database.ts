import path from 'node:path';
import type { Datastore } from '../../src/datastore/datastore';
import { dropAppTables } from './app-migrations';
import { ddl, mariadbDatabase, openDatastore, postgresqlDatabase } from './databases';
import { createPostgresqlSchema } from './postgresql-schema';
import { PrefixedAppTablesMariadbDialect } from './prefixed-mariadb';

/**
 * TESTS ONLY: a fresh database for server processes a test starts on PostgreSQL or MariaDB, with the
 * settings that point a server at it and a datastore on it for the test's own SQL.
 */
export interface ReplicaDatabase {
  readonly label: string;
  /** DB_DIALECT, DB_CONNECTION_STRING (and, on MariaDB, the preload that prefixes the app's tables). */
  readonly env: Record<string, string>;
  /** The same tables as the servers see them. */
  readonly datastore: Datastore;
  /** Drops everything the servers and the test created. */
  drop(): Promise<void>;
}

export type ReplicaDialect = 'postgresql' | 'mariadb';

const POOL = 4;

/**
 * `tag`: a short lower-case identifier unique to the calling test file; `ownTables`: the names of the
 * data tables the test will create (kept apart from other files' like the app's tables).
 */
export function createReplicaDatabase(dialect: ReplicaDialect, tag: string, ownTables: readonly string[]): Promise<ReplicaDatabase> {
  return dialect === 'postgresql' ? postgresqlReplicaDatabase(tag) : mariadbReplicaDatabase(tag, ownTables);
}

/** A schema of its own (postgresql-schema.ts): the app's tables and the test's live in it. */
async function postgresqlReplicaDatabase(tag: string): Promise<ReplicaDatabase> {
  const schema = await createPostgresqlSchema(tag);
  // Room for two gates (run-gates.ts) held at once beside the test's reads.
  const { datastore } = await openDatastore({ ...postgresqlDatabase(), connectionString: schema.connectionString }, { poolMax: POOL });
  return {
    label: `PostgreSQL schema ${schema.schema}`,
    env: { DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString },
    datastore,
    async drop() {
      await datastore.close();
      await schema.drop();
    },
  };
}

/**
 * The shared aimodel_test database with the app's tables and `ownTables` under a prefix of their own, in
 * the servers too: prefixed-mariadb-preload.ts, loaded into every node process started with `env`, makes
 * their DB_DIALECT=mysql the prefixed dialect.
 */
async function mariadbReplicaDatabase(tag: string, ownTables: readonly string[]): Promise<ReplicaDatabase> {
  const prefix = `${tag}_${process.pid.toString(36)}${Date.now().toString(36)}_`;
  const database = mariadbDatabase();
  const { datastore } = await openDatastore(database, { poolMax: POOL, dialect: new PrefixedAppTablesMariadbDialect(prefix, ownTables) });
  const preload = path.resolve(__dirname, 'prefixed-mariadb-preload.js');
  return {
    label: `MariaDB, app tables prefixed ${prefix}`,
    env: {
      DB_DIALECT: 'mysql',
      DB_CONNECTION_STRING: database.connectionString,
      TEST_MARIADB_APP_TABLE_PREFIX: prefix,
      TEST_MARIADB_PREFIXED_TABLES: ownTables.join(','),
      // Kept: npm test's own --require (the statement inventory) must reach the servers too.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${preload}`.trim(),
    },
    datastore,
    async drop() {
      try {
        await dropAppTables(datastore);
        for (const table of ownTables) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`));
      } finally {
        await datastore.close();
      }
    },
  };
}
