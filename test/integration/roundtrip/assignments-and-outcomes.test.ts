import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type { Executor } from '../../../src/datastore/contracts';
import type { UpsertSpec } from '../../../src/datastore/types';
import type { OutcomeRow } from '../../../src/modules/outcome/outcome.record';
import { OutcomeRepository } from '../../../src/modules/outcome/outcome.repository';
import { outcomeTableDefinition } from '../../../src/modules/outcome/outcome-table';
import { compareKeys } from '../../../src/modules/run/assignment-chunk-codec';
import { AssignmentRepository, type Assignment } from '../../../src/modules/run/assignment.repository';
import { countStoredAssignments, storedAssignments, streamAssignments } from '../../support/assignments';
import { EDGE_TIMESTAMPS, EXTREME_DOUBLES, RoundTripGenerator, ROUND_TRIP_SEED } from '../../support/round-trip-data';
import { assertRoundTrip, type RoundTripColumn } from '../../support/round-trip-compare';
import { asWritten, openRoundTripStore, ROUND_TRIP_TARGETS, sameDouble, upsertRowsPerStatement, type RoundTripStore } from '../../support/round-trip-targets';
import { everyEntityPage } from '../../support/keyset-pages';

/**
 * A run's assignments as AssignmentRepository stores them: packed chunks (read back by page, by count,
 * by key and with plain SQL), and one row per entity as runs before migration 7 were stored (by stream
 * and by page); then the outcomes published from each, the chunks through OutcomeRepository.publishColumns
 * (as publishRunOutcomes does) and the rows through publishFromAssignments, written again, replaced by
 * another run, and written back.
 */
const OUTCOME_TABLE = 'rtpub_outcome';
const DATASET_ID = 'round-trip-dataset';
const ENTITY_KEY_LIMIT = 512;
/** Small chunks, so the suite's 12,345 rows span three chunk boundaries. */
const CHUNK_ROWS = 4_000;
const NEW_ROWS = 12_345;

for (const target of ROUND_TRIP_TARGETS) {
  describe(`round trip, assignments and published outcomes on ${target.name}`, () => {
    let store: RoundTripStore;
    let repository: AssignmentRepository;
    let outcomes: OutcomeRepository;
    /** The new storage's run. */
    let chunked: Assignment[];
    /** Runs stored one row per entity: the same entities, then a third of them changed. */
    let first: Assignment[];
    let second: Assignment[];

    before(async () => {
      store = await openRoundTripStore(target, 'rtpub_');
      await store.drop([OUTCOME_TABLE]);
      await migrate(store.datastore, APP_MIGRATIONS);
      await store.datastore.execute(store.datastore.dialect.compileCreateTable(outcomeTableDefinition(OUTCOME_TABLE)));
      repository = new AssignmentRepository(store.datastore, CHUNK_ROWS);
      outcomes = new OutcomeRepository(store.datastore);
      chunked = generateAssignments(new RoundTripGenerator(ROUND_TRIP_SEED), NEW_ROWS);
      // Three full statements of one text and a short one.
      const count = 3 * upsertRowsPerStatement(store.datastore.dialect, saveSpec([])) + 1;
      first = chunked.slice(0, count);
      const changes = new RoundTripGenerator(ROUND_TRIP_SEED + 1);
      second = first.map((assignment, index) => (index % 3 === 0 ? { ...assignment, cluster: changes.int32(), distance: changes.double() } : assignment));
    });
    after(async () => {
      await store?.drop([OUTCOME_TABLE]);
      await store?.close();
    });

    it('chunks: 12,345 assignments (hostile Unicode and composite keys, extreme doubles) read back exactly by page, count, key and plain SQL', async (context) => {
      // Handed over unsorted: the repository stores them in key order.
      const shuffled = [...chunked].reverse();
      await store.datastore.transaction((transaction) => repository.save('new-1', shuffled, transaction));
      const chunks = await chunkRowCounts(store.datastore, 'new-1');
      assert.deepEqual(chunks, [4_000, 4_000, 4_000, 345]);
      context.diagnostic(`${NEW_ROWS} assignments in ${chunks.length} chunks`);
      const exact = (expected: unknown, actual: unknown) => Object.is(asWritten(expected as number), actual);
      const sorted = [...chunked].sort((a, b) => compareKeys(a.entityKey, b.entityKey));

      // Pages of 997 cross every chunk boundary; the keys come in code point order.
      const paged = await everyEntityPage(997, (page) => repository.page('new-1', null, page));
      assert.deepEqual(
        paged.map((row) => row.entityKey),
        sorted.map((row) => row.entityKey),
        'every key once, in code point order',
      );
      assertAssignments(`new-1 by page on ${target.name}`, chunked, paged, exact);
      assertAssignments(`new-1 with plain SQL on ${target.name}`, chunked, await storedAssignments(store.datastore, 'new-1'), exact);

      const cluster = chunked[0]!.cluster;
      const inCluster = sorted.filter((row) => row.cluster === cluster);
      assert.equal(await repository.count('new-1', null), NEW_ROWS);
      assert.equal(await repository.count('new-1', cluster), inCluster.length);
      const pagedCluster = await everyEntityPage(50, (page) => repository.page('new-1', cluster, page));
      assert.deepEqual(
        pagedCluster.map((row) => [row.entityKey, row.cluster]),
        inCluster.map((row) => [row.entityKey, row.cluster]),
      );

      const wanted = [...sorted.filter((_, index) => index % 97 === 0).map((row) => row.entityKey), 'not a key of the run'];
      const clusters = await repository.clustersOf('new-1', wanted);
      assert.deepEqual(
        [...clusters].sort(([a], [b]) => compareKeys(a, b)),
        sorted.filter((_, index) => index % 97 === 0).map((row) => [row.entityKey, row.cluster]),
      );
    });

    it('rows (a run stored before migration 7): read back by stream and by page, as the same assignments stored in chunks are (in the same order on SQLite)', async () => {
      await store.datastore.transaction((transaction) => repository.saveRows('old-1', first, transaction));
      await store.datastore.transaction((transaction) => repository.saveRows('old-2', second, transaction));
      await store.datastore.transaction((transaction) => repository.save('new-first', first, transaction));
      for (const [runId, written] of [
        ['old-1', first],
        ['old-2', second],
      ] as const) {
        const streamed: Assignment[] = [];
        await streamAssignments(store.datastore, runId, 1_000, (batch) => {
          streamed.push(...batch);
          return Promise.resolve();
        });
        assertAssignments(`${runId} by stream on ${target.name}`, written, streamed, sameDouble(target));
      }
      const oldPages = await everyEntityPage(997, (page) => repository.page('old-1', null, page));
      const newPages = await everyEntityPage(997, (page) => repository.page('new-first', null, page));
      // By page through the repository: each distance whole (SQLite's REAL too); by stream above, as the driver reads it.
      assertAssignments(`old-1 by page on ${target.name}`, first, oldPages, (expected, actual) => Object.is(asWritten(expected as number), actual));
      // The same rows: each as written. SQLite's BINARY collation orders text by code point as the chunks do, so there the order is the same too.
      assertAssignments(`new-first by page on ${target.name}`, first, newPages, (expected, actual) => Object.is(asWritten(expected as number), actual));
      if (target.name === 'sqlite') {
        assert.deepEqual(
          newPages.map((row) => row.entityKey),
          oldPages.map((row) => row.entityKey),
        );
      }
      const cluster = first[0]!.cluster;
      for (const runId of ['old-1', 'new-first']) {
        assert.equal(await repository.count(runId, null), first.length, runId);
        assert.equal(await repository.count(runId, cluster), first.filter((row) => row.cluster === cluster).length, runId);
      }
      const keys = first.filter((_, index) => index % 7 === 0).map((row) => row.entityKey);
      assert.deepEqual([...(await repository.clustersOf('old-1', keys))].sort(), [...(await repository.clustersOf('new-first', keys))].sort());
    });

    it('publish a chunked run, again, a run of rows, then the chunked run once more: the outcome table holds the last published run each time, value for value', async () => {
      const publishChunks = (runId: string, at: Date) =>
        store.datastore.transaction(async (transaction) => {
          const chunked = await repository.forEachChunk(runId, transaction, (columns) =>
            outcomes.publishColumns(runId, OUTCOME_TABLE, DATASET_ID, at, columns, transaction),
          );
          assert.ok(chunked, `${runId} is stored in chunks`);
        });
      const publishRows = (runId: string, at: Date) =>
        store.datastore.transaction(async (transaction) => {
          assert.equal(await repository.forEachChunk(runId, transaction, () => Promise.reject(new Error('no chunk expected'))), false);
          await outcomes.publishFromAssignments(runId, OUTCOME_TABLE, DATASET_ID, at, transaction);
        });
      const steps: [string, () => Promise<void>, string, readonly Assignment[], Date][] = [
        ['the chunked run published', () => publishChunks('new-first', EDGE_TIMESTAMPS[0]!), 'new-first', first, EDGE_TIMESTAMPS[0]!],
        ['the same run published again', () => publishChunks('new-first', EDGE_TIMESTAMPS[0]!), 'new-first', first, EDGE_TIMESTAMPS[0]!],
        ['a run of rows with changed assignments', () => publishRows('old-2', EDGE_TIMESTAMPS[2]!), 'old-2', second, EDGE_TIMESTAMPS[2]!],
        ['the chunked run once more', () => publishChunks('new-first', EDGE_TIMESTAMPS[3]!), 'new-first', first, EDGE_TIMESTAMPS[3]!],
      ];
      for (const [step, publish, runId, assignments, at] of steps) {
        await publish();
        assert.equal(await outcomes.count(OUTCOME_TABLE, DATASET_ID), assignments.length, step);
        assertOutcomes(`${step}: ${OUTCOME_TABLE} on ${target.name}`, expectedOutcomes(runId, assignments, at), await readOutcomes(outcomes));
      }
      // The same assignments stored both ways publish the same rows.
      await publishRows('old-1', EDGE_TIMESTAMPS[1]!);
      const fromRows = await readOutcomes(outcomes);
      await publishChunks('new-first', EDGE_TIMESTAMPS[1]!);
      const fromChunks = await readOutcomes(outcomes);
      assertOutcomes(`old-1's rows on ${target.name}`, expectedOutcomes('old-1', first, EDGE_TIMESTAMPS[1]!), fromRows);
      assertOutcomes(`new-first's chunks on ${target.name}`, expectedOutcomes('new-first', first, EDGE_TIMESTAMPS[1]!), fromChunks);
    });

    it('an empty run stores one empty chunk: no page, no count, nothing published', async () => {
      await store.datastore.transaction((transaction) => repository.save('empty', [], transaction));
      assert.deepEqual(await chunkRowCounts(store.datastore, 'empty'), [0]);
      assert.deepEqual(await repository.page('empty', null, { limit: 10, after: null }), []);
      assert.equal(await repository.count('empty', null), 0);
      assert.equal(await repository.count('empty', 3), 0);
      assert.equal((await repository.clustersOf('empty', ['a'])).size, 0);
      const handed: number[] = [];
      await store.datastore.transaction(async (transaction) => {
        assert.ok(await repository.forEachChunk('empty', transaction, (columns) => Promise.resolve(void handed.push(columns.keys.length))));
      });
      assert.deepEqual(handed, [0]);
    });

    it('a save that fails after some chunks (the same run saved twice: its chunk 0 written again) leaves nothing of the run', async () => {
      const columns = {
        keys: chunked.slice(0, 9_000).map((row) => row.entityKey),
        clusters: Int32Array.from(chunked.slice(0, 9_000), (row) => row.cluster),
        distances: Float64Array.from(chunked.slice(0, 9_000), (row) => row.distance),
      };
      await assert.rejects(
        store.datastore.transaction(async (transaction) => {
          await repository.saveColumns('failed', columns, transaction);
          await repository.saveColumns('failed', columns, transaction);
        }),
        (error: { code?: string }) => error.code === 'DB_CONSTRAINT_VIOLATION',
      );
      assert.equal(await countStoredAssignments(store.datastore, 'failed'), 0);
      assert.deepEqual(await chunkRowCounts(store.datastore, 'failed'), []);
    });
  });
}

/** The UPSERT AssignmentRepository.saveRows writes: every key new, the run id shared. */
function saveSpec(rows: UpsertSpec['rows']): UpsertSpec {
  return {
    table: 'ai_run_assignment',
    keyColumns: ['run_id', 'entity_key'],
    columns: [
      { name: 'run_id', type: 'string' },
      { name: 'entity_key', type: 'string' },
      { name: 'cluster', type: 'integer' },
      { name: 'distance', type: 'double' },
    ],
    rows,
    newKeysOnly: true,
    sharedValues: { run_id: 'run-1' },
  };
}

/**
 * `count` assignments with unique entity keys: mostly short Unicode keys, a tenth exactly at the
 * column's 512 characters, a tenth JSON arrays as composite keys give them; clusters over INTEGER's
 * range; distances over the whole double range, every EXTREME_DOUBLES value among them.
 */
function generateAssignments(generator: RoundTripGenerator, count: number): Assignment[] {
  return Array.from({ length: count }, (_, index) => {
    const prefix = `${index}:`;
    const entityKey =
      index % 10 === 5
        ? JSON.stringify([index, generator.text(generator.integer(12)), null, index / 7])
        : `${prefix}${generator.text(index % 10 === 0 ? ENTITY_KEY_LIMIT - prefix.length : generator.integer(24))}`;
    const distance = index < EXTREME_DOUBLES.length ? EXTREME_DOUBLES[index]! : generator.double();
    return { entityKey, cluster: generator.int32(), distance };
  });
}

function assertAssignments(
  what: string,
  written: readonly Assignment[],
  read: readonly Assignment[],
  same: (expected: unknown, actual: unknown) => boolean,
): void {
  assert.equal(read.length, written.length, `${what}: as many rows read as written`);
  assertRoundTrip({
    what,
    written,
    read,
    keyOfWritten: (row) => row.entityKey,
    keyOfRead: (row) => row.entityKey,
    columns: [
      { name: 'cluster', expected: (row) => row.cluster, actual: (row) => row.cluster },
      { name: 'distance', expected: (row) => row.distance, actual: (row) => row.distance, same },
    ],
  });
}

function expectedOutcomes(runId: string, assignments: readonly Assignment[], at: Date): OutcomeRow[] {
  return assignments.map((assignment) => ({
    datasetId: DATASET_ID,
    entityKey: assignment.entityKey,
    runId,
    cluster: assignment.cluster,
    distance: assignment.distance,
    scoredAt: at,
  }));
}

function assertOutcomes(what: string, expected: readonly OutcomeRow[], read: readonly OutcomeRow[]): void {
  assert.equal(read.length, expected.length, `${what}: as many rows`);
  const columns: RoundTripColumn<OutcomeRow, OutcomeRow>[] = (['datasetId', 'runId', 'cluster', 'distance', 'scoredAt'] as const).map((name) => ({
    name,
    expected: (row) => row[name],
    actual: (row) => row[name],
    // Read through OutcomeRepository: each distance whole (SQLite's REAL too).
    ...(name === 'distance' ? { same: (written: unknown, read: unknown) => Object.is(asWritten(written as number), read) } : {}),
  }));
  assertRoundTrip({ what, written: expected, read, keyOfWritten: (row) => row.entityKey, keyOfRead: (row) => row.entityKey, columns });
}

/** Every row of the outcome table for the dataset, through OutcomeRepository.page. */
function readOutcomes(outcomes: OutcomeRepository): Promise<OutcomeRow[]> {
  return everyEntityPage(997, (page) => outcomes.page(OUTCOME_TABLE, DATASET_ID, page));
}

/** Each stored chunk's row count, in chunk order (plain SQL). */
async function chunkRowCounts(executor: Executor, runId: string): Promise<number[]> {
  const q = (name: string) => executor.dialect.quoteIdentifier(name);
  const rows = await executor.query({
    sql: `SELECT ${q('row_count')} FROM ${q('ai_run_assignment_chunk')} WHERE ${q('run_id')} = ? ORDER BY ${q('chunk_index')}`,
    parameters: [runId],
    kind: 'select',
  });
  return rows.map((row) => Number(row.row_count));
}
