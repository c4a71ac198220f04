import { mariadbDatabase, openDatastore } from '../../support/databases';
import { MariadbDialect } from '../../../src/datastore/dialects/mariadb';
import { describeUpsertConformance } from './conformance';

const database = mariadbDatabase();
describeUpsertConformance(
  database.label,
  async () => {
    const { datastore, serverVersion } = await openDatastore(database);
    // The multi-row VALUES form (a MariaDB before 10.6); the JSON_TABLE form the server gets is mariadb-json-table.test.ts.
    return { datastore, compiler: new MariadbDialect(), serverVersion };
  },
  'upsert_mariadb',
);
