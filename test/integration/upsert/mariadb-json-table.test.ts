import { MariadbDialect } from '../../../src/datastore/dialects/mariadb';
import { MysqlDialect } from '../../../src/datastore/dialects/mysql';
import { mariadbDatabase, openDatastore } from '../../support/databases';
import { describeUpsertConformance } from './conformance';

// The JSON_TABLE forms on MariaDB: MariaDB's own (given the server version, as with it MariaDB ≥ 10.6
// has JSON_TABLE) and, as a compatibility check of its shape, MySQL 8.0.20+'s (no MySQL server here).
// mariadb.test.ts runs the multi-row VALUES form, which MariaDB's dialect compiles without a version.
const database = mariadbDatabase();

describeUpsertConformance(
  `${database.label}, JSON_TABLE form`,
  async () => {
    const { datastore, serverVersion } = await openDatastore(database);
    // 125,000 rows: 2.5 times the JSON form's 50,000 rows a statement.
    return { datastore, compiler: new MariadbDialect(serverVersion), serverVersion, largeBatchRows: 125_000 };
  },
  'upsert_mariadb_json',
);

describeUpsertConformance(
  `mysql JSON_TABLE form executed on ${database.label} as a compatibility check`,
  async () => {
    const { datastore, serverVersion } = await openDatastore(database);
    return { datastore, compiler: new MysqlDialect(), serverVersion, largeBatchRows: 125_000 };
  },
  'upsert_mysql_json',
);
