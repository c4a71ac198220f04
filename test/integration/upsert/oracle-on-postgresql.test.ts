import { OracleDialect } from '../../../src/datastore/dialects/oracle';
import { TiberoDialect } from '../../../src/datastore/dialects/tibero';
import { openDatastore, postgresqlDatabase } from '../../support/databases';
import { installOracleShims, UpperCasePostgresqlDialect } from '../../support/oracle-on-postgresql';
import { describeUpsertConformance } from './conformance';

// No Oracle or Tibero server can run here: their MERGE statements, compiled exactly as they would be
// sent, run on PostgreSQL ≥ 15 as a compatibility check of the SQL's shape and semantics.
const database = postgresqlDatabase();

for (const compiler of [new OracleDialect(), new TiberoDialect()]) {
  describeUpsertConformance(
    `${compiler.variant} MERGE executed on ${database.label} as a compatibility check`,
    async () => {
      const { datastore, serverVersion } = await openDatastore(database, { dialect: new UpperCasePostgresqlDialect() });
      await installOracleShims(datastore);
      return { datastore, compiler, serverVersion };
    },
    `upsert_${compiler.variant}_on_pg`,
  );
}
