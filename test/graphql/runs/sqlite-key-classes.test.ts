import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegisterDatasetDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { dataOf, readOutcomeTable, registerInput, startInput, waitForRun } from '../../support/runs';

/**
 * A SQLite key column with no declared type holding integers (past 2^53 too), reals, text and blobs,
 * and one declared INTEGER (not an INTEGER PRIMARY KEY, which is the rowid) holding the same: affinity
 * leaves such text, fractions and blobs as they are. The driver read 'k1' there as NULL and 2.5 as 2:
 * a run wrote an outcome under the entity key "null", or under another row's key, or failed with a
 * DUPLICATE_KEY the table does not have. Through GraphQL, every row's outcome must be under its own
 * key, once, with its own row's cluster (even rows in one blob, odd rows in the other).
 */
interface Key {
  readonly sql: string;
  readonly entity: string;
}

function keys(): Key[] {
  const list: Key[] = [];
  for (let n = 0; n < 300; n++) list.push({ sql: String(n * 3), entity: String(n * 3) });
  list.push({ sql: '9007199254740993', entity: '9007199254740993' }, { sql: '-9223372036854775808', entity: '-9223372036854775808' });
  for (let n = 0; n < 100; n++) list.push({ sql: `${n}.5`, entity: `${n}.5` });
  // 1/3 exactly (m × 2^e): 17 digits, which the driver's 15-digit reading of a REAL would have cut.
  list.push({ sql: '(6004799503160661.0 * power(2, -54))', entity: String(1 / 3) }, { sql: '1e300', entity: '1e+300' });
  for (let n = 0; n < 150; n++) list.push({ sql: `'k${n}'`, entity: `k${n}` });
  list.push({ sql: "''", entity: '' }, { sql: "'한글 🙂'", entity: '한글 🙂' });
  list.push({ sql: "X'0102'", entity: "X'0102'" }, { sql: "X'FF'", entity: "X'FF'" });
  return list;
}

for (const declared of ['', 'INTEGER']) {
  describe(`a SQLite key column ${declared ? `declared ${declared}` : 'with no declared type'} holding integers, reals, text and blobs`, () => {
    let server: TestServer;
    let datasetId: string;
    const KEYS = keys();

    before(async () => {
      server = await startTestServer({});
      const { datastore } = server.app;
      await datastore.execute({ sql: `CREATE TABLE mixed_keys (id ${declared} NOT NULL UNIQUE, x REAL, y REAL)`, parameters: [], kind: 'ddl' });
      const rows = KEYS.map((key, n) => `(${key.sql}, ${n % 2 === 0 ? 100 + (n % 7) : -100 - (n % 5)}, ${n % 2 === 0 ? 50 : -50})`);
      await datastore.execute({ sql: `INSERT INTO mixed_keys (id, x, y) VALUES ${rows.join(', ')}`, parameters: [], kind: 'update' });
      datasetId = dataOf(
        await server.graphql(RegisterDatasetDocument, {
          input: registerInput({ name: 'mixed keys', table: 'mixed_keys', keyColumns: ['id'], featureColumns: ['x', 'y'] }),
        }),
        'register',
      ).registerDataset.id;
    });
    after(() => server?.stop());

    it(`each of the ${KEYS.length} rows' outcome is under its own key, once, with its own row's cluster`, async () => {
      const started = dataOf(
        await server.graphql(StartModelRunDocument, { input: startInput({ datasetId, k: 2, seed: 3, publishOutcomes: true }) }),
        'start',
      ).startModelRun;
      const ended = await waitForRun(server, started.id);
      assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));
      const outcomes = await readOutcomeTable(server.app.datastore, datasetId);
      assert.equal(outcomes.length, KEYS.length);
      const byKey = new Map(outcomes.map((row) => [row.entityKey, row]));
      assert.equal(byKey.size, KEYS.length, 'no entity key twice');
      const clusterOfParity: number[] = [];
      KEYS.forEach((key, n) => {
        const outcome = byKey.get(key.entity);
        assert.ok(
          outcome,
          `key ${JSON.stringify(key.entity)} (row ${n}) has no outcome; the outcome keys include ${JSON.stringify([...byKey.keys()].slice(0, 5))}…`,
        );
        clusterOfParity[n % 2] ??= outcome.cluster;
        assert.equal(outcome.cluster, clusterOfParity[n % 2], `key ${JSON.stringify(key.entity)} (row ${n}) is in the other parity's cluster`);
      });
      assert.notEqual(clusterOfParity[0], clusterOfParity[1]);
      assert.ok(!byKey.has('null'), 'no outcome under the text "null"');
    });
  });
}
