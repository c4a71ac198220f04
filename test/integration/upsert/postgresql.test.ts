import { openDatastore, postgresqlDatabase } from '../../support/databases';
import { describeUpsertConformance } from './conformance';

const database = postgresqlDatabase();
describeUpsertConformance(database.label, async () => {
  const { datastore, serverVersion } = await openDatastore(database);
  return { datastore, compiler: datastore.dialect, serverVersion };
}, 'upsert_pg');
