import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../src/datastore/datastore';
import { MAX_ODBC_PARAMETERS } from '../../src/datastore/dialects/dialect';
import { openDatastore, select, sqliteDatabase } from '../support/databases';

describe('the ODBC parameter ceiling (SQLite through ODBC)', () => {
  let datastore: Datastore;
  before(async () => {
    ({ datastore } = await openDatastore(sqliteDatabase()));
  });
  after(async () => {
    await datastore?.close();
  });

  it(`a statement with ${MAX_ODBC_PARAMETERS + 1} parameters is refused with DIALECT_UNSUPPORTED before the driver (which would abort the process)`, async () => {
    const parameters = Array.from({ length: MAX_ODBC_PARAMETERS + 1 }, (_, index) => index);
    await assert.rejects(datastore.query(select(`SELECT 1 WHERE 1 IN (${parameters.map(() => '?').join(', ')})`, parameters)), {
      code: 'DIALECT_UNSUPPORTED',
    });
    assert.deepEqual(await datastore.query(select('SELECT 1 AS ok')), [{ ok: 1 }]);
  });

  it(`a statement with exactly ${MAX_ODBC_PARAMETERS} parameters runs`, async () => {
    const parameters = Array.from({ length: MAX_ODBC_PARAMETERS }, (_, index) => index);
    const rows = await datastore.query(select(`SELECT 1 AS hit WHERE 5 IN (${parameters.map(() => '?').join(', ')})`, parameters));
    assert.deepEqual(rows, [{ hit: 1 }]);
  });
});
