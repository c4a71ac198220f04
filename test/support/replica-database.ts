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
  /** A name for a table of the test's own, unique to this database. */
  tableName(name: string): string;
  /** Drops everything the servers and the test created. */
  drop(): Promise<void>;
}

export type ReplicaDialect = 'postgresql' | 'mariadb';

const POOL = 4;

/** `tag`: a short lower-case identifier unique to the calling test file. */
export function createReplicaDatabase(dialect: ReplicaDialect, tag: string): Promise<ReplicaDatabase> {
  return dialect === 'postgresql' ? postgresqlReplicaDatabase(tag) : mariadbReplicaDatabase(tag);
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
    tableName: (name) => name,
    async drop() {
      await datastore.close();
      await schema.drop();
    },
  };
}

/**
 * The shared aimodel_test database with the app's tables under a prefix of its own, in the servers too:
 * prefixed-mariadb-preload.ts, loaded into every node process started with `env`, makes their
 * DB_DIALECT=mysql the prefixed dialect. The test's own tables carry the prefix in their names.
 */
async function mariadbReplicaDatabase(tag: string): Promise<ReplicaDatabase> {
  const prefix = `${tag}_${process.pid.toString(36)}${Date.now().toString(36)}_`;
  const database = mariadbDatabase();
  const { datastore } = await openDatastore(database, { poolMax: POOL, dialect: new PrefixedAppTablesMariadbDialect(prefix) });
  const preload = path.resolve(__dirname, 'prefixed-mariadb-preload.js');
  const created: string[] = [];
  return {
    label: `MariaDB, app tables prefixed ${prefix}`,
    env: {
      DB_DIALECT: 'mysql',
      DB_CONNECTION_STRING: database.connectionString,
      TEST_MARIADB_APP_TABLE_PREFIX: prefix,
      // Kept: npm test's own --require (the statement inventory) must reach the servers too.
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${preload}`.trim(),
    },
    datastore,
    tableName(name) {
      created.push(`${prefix}${name}`);
      return `${prefix}${name}`;
    },
    async drop() {
      try {
        await dropAppTables(datastore);
        for (const table of created) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`));
      } finally {
        await datastore.close();
      }
    },
  };
}
