import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { DatasetProfileDocument, RegisterDatasetDocument, RunPreparationTraceDocument, StartModelRunDocument } from '../../generated/graphql';
import { startTestServer, type TestServer } from '../../support/app-harness';
import { ddl, embeddedDatastore } from '../../support/databases';
import { dataOf, pollUntil, registerInput, startInput, waitForRun } from '../../support/runs';

/**
 * SQLite keeps text in a column declared DOUBLE or REAL (its affinity converts only text that looks
 * like a number). Such a value is not a number: Dataset.profile does not count it and a run treats it
 * as missing, and the run's preparation says which values it dropped for NULL and which for not being
 * numbers. The SQLite ODBC driver would otherwise read 'abc' as NULL but '0x10' as 16 and 'inf' as
 * Infinity.
 */

const ROWS = 30;
/** Per id: f1 NULL at 3, 4; text at 5–8. f2 NULL at 9; text at 3 and 10. */
const F1_TEXT: Record<number, string> = { 5: 'abc', 6: '', 7: '0x10', 8: 'inf' };
const F2_TEXT: Record<number, string> = { 3: 'x', 10: 'n/a' };
const F1_NULL = [3, 4];
const F2_NULL = [9];

const f1 = (id: number) => id * 1.5;
const f2 = (id: number) => id % 4;
const numericIds = (nulls: number[], texts: Record<number, string>) =>
  Array.from({ length: ROWS }, (_, index) => index + 1).filter((id) => !nulls.includes(id) && !(id in texts));

interface PreparationDocument {
  aimodel: {
    preparation: { rows_read: number; rows_dropped: number };
    input: { features: { column: string; count: number; nulls: number; non_numeric: number }[] };
  };
}

describe('text in a SQLite column declared DOUBLE or REAL', () => {
  let server: TestServer;
  let datastore: Datastore;

  before(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-text-numeric-'));
    server = await startTestServer({ DATA_DIR: dataDir });
    datastore = embeddedDatastore(dataDir);
    await datastore.execute(ddl('CREATE TABLE mixed (id INTEGER NOT NULL PRIMARY KEY, f1 DOUBLE, f2 REAL)'));
    const literal = (id: number, nulls: number[], texts: Record<number, string>, value: number) =>
      nulls.includes(id) ? 'NULL' : id in texts ? `'${texts[id]}'` : String(value);
    for (let id = 1; id <= ROWS; id++) {
      await datastore.execute(ddl(`INSERT INTO mixed VALUES (${id}, ${literal(id, F1_NULL, F1_TEXT, f1(id))}, ${literal(id, F2_NULL, F2_TEXT, f2(id))})`));
    }
    // The same rows keyed by text: a run reads them through the driver, not in packed pages (SqliteDialect.compilePackedPage).
    await datastore.execute(ddl("CREATE TABLE mixed_by_code AS SELECT 'row ' || id AS code, f1, f2 FROM mixed"));
    const [types] = await datastore.query({ sql: "SELECT SUM(typeof(f1) = 'text') AS text_values FROM mixed", parameters: [], kind: 'select' });
    assert.equal(Number(types?.text_values), 4, 'SQLite kept the four texts as text');
  });
  after(async () => {
    await server?.stop();
    await datastore?.close();
  });

  const register = async (name: string, featureColumns: string[], table = 'mixed', keyColumns = ['id']) =>
    dataOf(await server.graphql(RegisterDatasetDocument, { input: registerInput({ name, table, keyColumns, featureColumns }) }), `register ${name}`)
      .registerDataset.id;

  const runAndReadPreparation = async (datasetId: string, algorithm: 'LLOYD' | 'MINI_BATCH' = 'LLOYD') => {
    const input = startInput({ datasetId, k: 2, seed: 4, ...(algorithm === 'MINI_BATCH' ? { algorithm, batchSize: 8 } : {}) });
    const started = dataOf(await server.graphql(StartModelRunDocument, { input }), 'start').startModelRun;
    const ended = await waitForRun(server, started.id);
    assert.equal(ended.status, 'SUCCEEDED', JSON.stringify(ended.error));
    const run = await pollUntil(
      async () => dataOf(await server.graphql(RunPreparationTraceDocument, { id: started.id }), 'the run and its preparation document').modelRun!,
      (value) => (value.trace?.edges.length ?? 0) > 0,
      'the preparation trace document',
    );
    return { run, document: run.trace!.edges[0]!.node.document as PreparationDocument };
  };

  it('the profile counts only numbers, and a one-feature run keeps exactly the rows the profile counts', async () => {
    const datasetId = await register('mixed f1', ['f1']);
    const profile = dataOf(await server.graphql(DatasetProfileDocument, { id: datasetId }), 'profile').dataset!.profile!;
    const numbers = numericIds(F1_NULL, F1_TEXT).map(f1);
    assert.deepEqual(
      { count: profile[0]!.count, nulls: profile[0]!.nulls, nonNumeric: profile[0]!.nonNumeric },
      { count: numbers.length, nulls: F1_NULL.length, nonNumeric: Object.keys(F1_TEXT).length },
    );
    assert.equal(profile[0]!.mean, numbers.reduce((sum, value) => sum + value, 0) / numbers.length);
    assert.equal(profile[0]!.min, Math.min(...numbers));

    const { run, document } = await runAndReadPreparation(datasetId);
    assert.equal(
      run.clusterSizes!.reduce((sum, size) => sum + size, 0),
      profile[0]!.count,
      'rows clustered = numbers the profile counts',
    );
    assert.deepEqual(document.aimodel.preparation.rows_read, ROWS);
    assert.deepEqual(document.aimodel.preparation.rows_dropped, F1_NULL.length + Object.keys(F1_TEXT).length);
  });

  for (const [how, table, keyColumns, algorithm] of [
    ['an integer key (packed pages)', 'mixed', ['id'], 'LLOYD'],
    ['a text key (the driver)', 'mixed_by_code', ['code'], 'LLOYD'],
    ['MINI_BATCH', 'mixed', ['id'], 'MINI_BATCH'],
  ] as const) {
    it(`the preparation trace document and the recorded preparation say, per column, how many values were NULL and how many not numbers: ${how}`, async () => {
      const datasetId = await register(`mixed f1 f2, ${how}`, ['f1', 'f2'], table, [...keyColumns]);
      const { run, document } = await runAndReadPreparation(datasetId, algorithm);
      const dropped = new Set([...F1_NULL, ...Object.keys(F1_TEXT).map(Number), ...F2_NULL, ...Object.keys(F2_TEXT).map(Number)]);
      assert.equal(document.aimodel.preparation.rows_dropped, dropped.size);
      assert.equal(
        run.clusterSizes!.reduce((sum, size) => sum + size, 0),
        ROWS - dropped.size,
      );
      assert.deepEqual(
        document.aimodel.input.features.map(({ column, count, nulls, non_numeric }) => ({ column, count, nulls, non_numeric })),
        [
          { column: 'f1', count: numericIds(F1_NULL, F1_TEXT).length, nulls: F1_NULL.length, non_numeric: Object.keys(F1_TEXT).length },
          { column: 'f2', count: numericIds(F2_NULL, F2_TEXT).length, nulls: F2_NULL.length, non_numeric: Object.keys(F2_TEXT).length },
        ],
      );
      const [stored] = await datastore.query({ sql: 'SELECT preparation FROM ai_model_run WHERE id = ?', parameters: [run.id], kind: 'select' });
      const preparation = JSON.parse(String(stored?.preparation)) as { rowsRead: number; rowsDropped: number; missingValues: unknown };
      assert.deepEqual(
        { rowsRead: preparation.rowsRead, rowsDropped: preparation.rowsDropped, missingValues: preparation.missingValues },
        {
          rowsRead: ROWS,
          rowsDropped: dropped.size,
          missingValues: [
            { column: 'f1', nulls: F1_NULL.length, nonNumeric: Object.keys(F1_TEXT).length },
            { column: 'f2', nulls: F2_NULL.length, nonNumeric: Object.keys(F2_TEXT).length },
          ],
        },
      );
    });
  }
});
