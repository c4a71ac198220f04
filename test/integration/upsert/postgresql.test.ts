import { openDatastore, postgresqlDatabase } from '../../support/databases';
import { describeUpsertConformance } from './conformance';

const database = postgresqlDatabase();
describeUpsertConformance(database.label, async () => {
  const { datastore, serverVersion } = await openDatastore(database);
  // 125,000 rows: 2.5 times the array form's 50,000 rows a statement.
  return { datastore, compiler: datastore.dialect, serverVersion, largeBatchRows: 125_000 };
}, 'upsert_pg');
