import { OracleDialect } from '../../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import { TiberoDialect } from '../../../src/datastore/dialects/tibero';
import { openDatastore, postgresqlDatabase } from '../../support/databases';
import { installOracleShims, UpperCasePostgresqlDialect } from '../../support/oracle-on-postgresql';
import { describeUpsertConformance } from './conformance';

// No Oracle or Tibero server can run here: their MERGE statements, compiled exactly as they would be
// sent, run on PostgreSQL ≥ 15 as a compatibility check of the SQL's shape and semantics.
const database = postgresqlDatabase();

// The statements go through psqlODBC here, so they must also fit its bind limit (lower than Oracle's).
const PSQLODBC_BIND_LIMIT = new PostgresqlDialect().maxBindParameters;

class OracleThroughPsqlodbc extends OracleDialect {
  override readonly maxBindParameters = PSQLODBC_BIND_LIMIT;
}

class TiberoThroughPsqlodbc extends TiberoDialect {
  override readonly maxBindParameters = PSQLODBC_BIND_LIMIT;
}

for (const compiler of [new OracleThroughPsqlodbc(), new TiberoThroughPsqlodbc()]) {
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
