import { openDatastore, oracleDatabase, tiberoDatabase } from '../../support/databases';
import { describeUpsertConformance } from './conformance';

// The Oracle and Tibero dialects' UPSERTs executed on H2 in Oracle mode through psqlODBC, each dialect
// creating, filling and reading its own tables.
for (const database of [oracleDatabase(), tiberoDatabase()]) {
  describeUpsertConformance(
    database.label,
    async () => {
      const { datastore, serverVersion } = await openDatastore(database);
      return { datastore, compiler: datastore.dialect, serverVersion };
    },
    `upsert_${database.dialect}`,
  );
}
