import { openDatastore, sqliteDatabase } from '../../support/databases';
import { describeUpsertConformance } from './conformance';

const database = sqliteDatabase();
describeUpsertConformance(
  database.label,
  async () => {
    const { datastore, serverVersion } = await openDatastore(database);
    return { datastore, compiler: datastore.dialect, serverVersion };
  },
  'upsert_sqlite',
);
