/**
 * TESTS ONLY: a schema of its own on the Oracle-mode engine (H2, scripts/services/h2.sh) for a test file
 * that starts servers there, so its servers get their own app tables (AI_DATASET, AI_MODEL_RUN, …) beside
 * the other test files' prefixed ones in the same database. psqlODBC's ConnSettings puts every session
 * in the schema (`SET SCHEMA`, per session in H2); the dictionary stand-ins list the current schema's
 * objects, and H2 still finds DUAL, the views and the aliases, which live in PUBLIC.
 */
import type { Datastore } from '../../src/datastore/datastore';
import { ddl, openDatastore, oracleDatabase, select, tiberoDatabase } from './databases';

export interface OracleModeSchema {
  readonly schema: string;
  /** The target's connection string with every session in the schema. */
  readonly connectionString: string;
  /** A datastore in the schema under the target's dialect, for the test's own SQL. */
  readonly datastore: Datastore;
  /** Drops the schema with everything in it and closes the datastores. */
  drop(): Promise<void>;
}

/**
 * Creates a schema named `<tag>_<process id><time>` (lower case, as H2 folds it here) for the `oracle`
 * or `tibero` target. `tag` is a short lower-case identifier no other test file uses.
 */
export async function createOracleModeSchema(tag: string, dialect: 'oracle' | 'tibero'): Promise<OracleModeSchema> {
  if (!/^[a-z][a-z0-9_]{0,19}$/.test(tag)) throw new Error(`not a short lower-case identifier: ${tag}`);
  const name = `${tag}_${process.pid.toString(36)}${Date.now().toString(36)}`;
  const database = dialect === 'oracle' ? oracleDatabase() : tiberoDatabase();
  const connectionString = `${database.connectionString.replace(/;?\s*$/, ';')}ConnSettings=SET SCHEMA ${name};`;
  const { datastore: owner } = await openDatastore(database, { poolMax: 1 });
  await owner.execute(ddl(`CREATE SCHEMA ${name}`));
  const { datastore } = await openDatastore({ ...database, connectionString }, { poolMax: 2 });
  const [row] = await datastore.query(select('SELECT CURRENT_SCHEMA AS name FROM DUAL'));
  if (row?.name !== name) throw new Error(`ConnSettings did not put the session in schema ${name} (CURRENT_SCHEMA = ${String(row?.name)})`);
  return {
    schema: name,
    connectionString,
    datastore,
    async drop() {
      await datastore.close();
      try {
        await owner.execute(ddl(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
      } finally {
        await owner.close();
      }
    },
  };
}
