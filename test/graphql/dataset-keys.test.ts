import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../src/datastore/datastore';
import { RegisterDatasetDocument, StartModelRunDocument, UpdateDatasetDocument } from '../generated/graphql';
import { startTestServer, type TestServer } from '../support/app-harness';
import { ddl, embeddedDatastore } from '../support/databases';
import { createPostgresqlSchema, type PostgresqlSchema } from '../support/postgresql-schema';
import { assertGraphqlError, dataOf, registerInput, startInput, updateInput, waitForRun } from '../support/runs';

/**
 * registerDataset and updateDataset refuse keys a run could only fail on at its last write: entity keys
 * longer than the outcome tables' entity_key (512 characters), counted as the server forms them (a
 * composite key as a JSON array, with its escapes), and timestamp keys finer than the millisecond the
 * entity key keeps.
 */

interface Target {
  readonly label: string;
  readonly postgresql: boolean;
  /** A timestamp column type that keeps microseconds. */
  readonly microseconds: string;
}

const TARGETS: readonly Target[] = [
  { label: 'SQLite', postgresql: false, microseconds: 'TIMESTAMP' },
  { label: 'PostgreSQL', postgresql: true, microseconds: 'TIMESTAMP(6)' },
];

const sql = (text: string) => ddl(text);
const quoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

for (const target of TARGETS) {
  describe(`dataset keys a run could not store, ${target.label}`, () => {
    let server: TestServer;
    let datastore: Datastore;
    let schema: PostgresqlSchema | undefined;

    const register = (name: string, table: string, keyColumns: string[]) =>
      server.graphql(RegisterDatasetDocument, { input: registerInput({ name, table, keyColumns, featureColumns: ['f'] }) });

    before(async () => {
      if (target.postgresql) {
        schema = await createPostgresqlSchema('dataset_keys');
        datastore = schema.datastore;
        server = await startTestServer({ DB_DIALECT: 'postgresql', DB_CONNECTION_STRING: schema.connectionString });
      } else {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-dataset-keys-'));
        server = await startTestServer({ DATA_DIR: dataDir });
        datastore = embeddedDatastore(dataDir);
      }
      const tables: [string, string, string[]][] = [
        ['keys_wide', 'code VARCHAR(600) NOT NULL PRIMARY KEY, f DOUBLE PRECISION', [`${quoted('w'.repeat(513))}, 1`, `'short', 2`, `'other', 3`]],
        ['keys_fit', 'code VARCHAR(600) NOT NULL PRIMARY KEY, f DOUBLE PRECISION', [`${quoted('w'.repeat(512))}, 1`, `'short', 2`, `'other', 3`]],
        // 300 quotes: 300 characters in the table, 606 in the entity key ["\"…\"",1].
        [
          'keys_escaped',
          'code VARCHAR(600) NOT NULL, n INTEGER NOT NULL, f DOUBLE PRECISION, PRIMARY KEY (code, n)',
          [`${quoted('"'.repeat(300))}, 1, 1`, `'a', 1, 2`, `'b', 2, 3`],
        ],
        [
          'keys_micro',
          `ts ${target.microseconds} NOT NULL PRIMARY KEY, f DOUBLE PRECISION`,
          [`'2024-01-01 00:00:00.123456', 1`, `'2024-01-01 00:00:00.123457', 2`, `'2024-01-01 00:00:00.124', 3`],
        ],
        [
          'keys_milli',
          `ts ${target.microseconds} NOT NULL PRIMARY KEY, f DOUBLE PRECISION`,
          [`'2024-01-01 00:00:00.123', 1`, `'2024-01-01 00:00:00.124', 2`, `'2024-01-01 00:00:01', 3`],
        ],
        [
          'keys_switch',
          'id INTEGER NOT NULL PRIMARY KEY, code VARCHAR(600) NOT NULL, f DOUBLE PRECISION',
          [`1, ${quoted('x'.repeat(600))}, 1`, `2, 'b', 2`, `3, 'c', 3`],
        ],
      ];
      for (const [table, columns, rows] of tables) {
        await datastore.execute(sql(`CREATE TABLE ${table} (${columns})`));
        for (const row of rows) await datastore.execute(sql(`INSERT INTO ${table} VALUES (${row})`));
      }
    });
    after(async () => {
      await server?.stop();
      if (schema) await schema.drop();
      else await datastore?.close();
    });

    it('a key of 513 characters is refused with BAD_USER_INPUT naming keyColumns and both lengths', async () => {
      const error = assertGraphqlError(await register('wide', 'keys_wide', ['code']), 'BAD_USER_INPUT', /513.*512|512.*513/);
      assert.equal(error.extensions?.field, 'keyColumns');
    });

    it('a key of exactly 512 characters is accepted, and a run stores it', async () => {
      const dataset = dataOf(await register('fit', 'keys_fit', ['code']), 'register keys_fit').registerDataset;
      const run = dataOf(await server.graphql(StartModelRunDocument, { input: startInput({ datasetId: dataset.id, k: 2, seed: 1 }) }), 'start').startModelRun;
      assert.equal((await waitForRun(server, run.id)).status, 'SUCCEEDED');
    });

    it('a composite key is counted as its JSON entity key: 300 quotes in the table are 606 characters there, and refused', async () => {
      const error = assertGraphqlError(await register('escaped', 'keys_escaped', ['code', 'n']), 'BAD_USER_INPUT', /606/);
      assert.equal(error.extensions?.field, 'keyColumns');
    });

    it('timestamp keys 1 µs apart (finer than the millisecond an entity key keeps) are refused naming keyColumns and the column', async () => {
      const error = assertGraphqlError(await register('micro', 'keys_micro', ['ts']), 'BAD_USER_INPUT', /"ts".*millisecond/);
      assert.equal(error.extensions?.field, 'keyColumns');
    });

    it('timestamp keys at whole milliseconds are accepted', async () => {
      dataOf(await register('milli', 'keys_milli', ['ts']), 'register keys_milli');
    });

    it('updateDataset refuses keyColumns whose keys are too long, and the dataset keeps its key', async () => {
      const dataset = dataOf(await register('switch', 'keys_switch', ['id']), 'register keys_switch').registerDataset;
      const error = assertGraphqlError(
        await server.graphql(UpdateDatasetDocument, { id: dataset.id, input: updateInput({ keyColumns: ['code'] }) }),
        'BAD_USER_INPUT',
        /600.*512|512.*600/,
      );
      assert.equal(error.extensions?.field, 'keyColumns');
      const unchanged = dataOf(
        await server.graphql(UpdateDatasetDocument, { id: dataset.id, input: updateInput({ description: 'still keyed by id' }) }),
        'update',
      ).updateDataset;
      assert.deepEqual(unchanged.keyColumns, ['id']);
    });
  });
}
