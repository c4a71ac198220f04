import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Executor } from '../../../src/datastore/contracts';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { isAppError } from '../../../src/errors/app-error';
import { createLogger } from '../../../src/logging/logger';
import { DatasetRepository } from '../../../src/modules/dataset/dataset.repository';
import { OutcomePublisher, type OutcomeSource, type PublishResult, type SucceededRuns } from '../../../src/modules/outcome/outcome-publisher';
import type { OutcomeRow } from '../../../src/modules/outcome/outcome.record';
import { OutcomeRepository } from '../../../src/modules/outcome/outcome.repository';
import { DEFAULT_OUTCOME_TABLE } from '../../../src/modules/outcome/outcome-table';
import { AssignmentRepository, type Assignment } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { assertRoundTrip } from '../../support/round-trip-compare';
import { openRoundTripStore, ROUND_TRIP_TARGETS, sameDouble, type RoundTripStore, type RoundTripTarget } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';
import { everyEntityPage } from '../../support/keyset-pages';

/**
 * Two runs of one dataset publish into its outcome table at the same moment, on the Oracle-mode engine
 * under the Oracle and Tibero dialects. Two MERGEs inserting the same new keys at once fail one of them
 * with a unique violation (Oracle's ORA-00001); publishing takes its turn on the dataset's row first
 * (OutcomePublisher), and only runs of one dataset write the same outcome keys (dataset_id leads the key).
 *
 * The interleaving is forced, not timed: whichever publish locks first holds its transaction open after
 * its MERGE until the other has asked for its lock, and then until the engine shows that other
 * publish waiting for a lock or inside its MERGE (INFORMATION_SCHEMA.SESSIONS, H2's own view).
 */
const ENTITIES = 600;
const DATASET_ID = 'pubrace-dataset';

/** A barrier for two parties: `arrived` resolves once both have called `arrive`. */
function pair() {
  let count = 0;
  let release!: () => void;
  const arrived = new Promise<void>((resolve) => (release = resolve));
  return {
    arrived,
    arrive: () => {
      if (++count === 2) release();
    },
  };
}

// `rows`: runs stored before migration 7, MERGEd from ai_run_assignment; `chunks`: their chunks' rows MERGEd from DUAL, as a run now publishes.
for (const [target, storage] of ROUND_TRIP_TARGETS.filter((candidate) => candidate.name === 'oracle' || candidate.name === 'tibero').flatMap((target) =>
  (['rows', 'chunks'] as const).map((storage) => [target, storage] as const),
)) {
  describe(`two runs of one dataset publishing into one outcome table at once, from ${storage}, on ${target.name}`, () => {
    let store: RoundTripStore;
    const random = new SeededRandom(20_261_203);
    // The same entities in both runs, each run drawing every cluster and distance anew.
    const entities = Array.from({ length: ENTITIES }, (_, index) => `entity-${index}-${random.integer(1_000_000)}`);
    const assignmentsOf = (): Assignment[] => entities.map((entityKey) => ({ entityKey, cluster: random.integer(8), distance: random.next() * 1_000 }));
    const runs = [
      { run: runRecord(DATASET_ID, { status: 'SUCCEEDED', finishedAt: new Date('2026-12-03T01:02:03.004Z') }), assignments: assignmentsOf() },
      { run: runRecord(DATASET_ID, { status: 'SUCCEEDED', finishedAt: new Date('2026-12-03T05:06:07.008Z') }), assignments: assignmentsOf() },
    ];

    before(async () => {
      store = await openRoundTripStore(target, 'pubrace_');
      await migrate(store.datastore, APP_MIGRATIONS);
      const now = new Date();
      await new DatasetRepository(store.datastore).insert({
        id: DATASET_ID,
        name: 'publish race',
        table: 'iris',
        keyColumns: ['sample_id'],
        featureColumns: ['sepal_length'],
        description: null,
        outcomeTable: null,
        createdAt: now,
        updatedAt: now,
      });
      for (const { run, assignments } of runs) {
        await new RunRepository(store.datastore).insert(run);
        const repository = new AssignmentRepository(store.datastore);
        await store.datastore.transaction((transaction) =>
          storage === 'rows' ? repository.saveRows(run.id, assignments, transaction) : repository.save(run.id, assignments, transaction),
        );
      }
      // Every connection open before any statement waits: the engine's adapter opens a connection only
      // while no statement is in flight (scripts/services/h2/adapter.mjs).
      await Promise.all(
        Array.from({ length: store.datastore.poolMax }, () => store.datastore.transaction(() => new Promise((resolve) => setTimeout(resolve, 200)))),
      );
    });
    after(async () => {
      await store?.close();
    });

    /** Both runs published at once, the dataset lock taken (or skipped) as given; the runs in the order they MERGEd. */
    async function publishBoth(
      lock: (datasetId: string, transaction: Executor) => Promise<boolean>,
    ): Promise<{ results: PublishResult[]; mergeOrder: string[] }> {
      // New keys for both MERGEs: the race is between two inserts of one key.
      const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
      await store.datastore.execute({ sql: `DELETE FROM ${q(DEFAULT_OUTCOME_TABLE)} WHERE ${q('dataset_id')} = ?`, parameters: [DATASET_ID], kind: 'delete' });
      const asked = pair();
      const mergeOrder: string[] = [];
      let merged = 0;
      let finished = 0;
      const runRepository = new RunRepository(store.datastore);
      const outcomes = new (class extends OutcomeRepository {
        override async publishFromAssignments(runId: string, outcomeTable: string, datasetId: string, scoredAt: Date, executor: Executor): Promise<number> {
          mergeOrder.push(runId);
          const count = await super.publishFromAssignments(runId, outcomeTable, datasetId, scoredAt, executor);
          merged += 1;
          return count;
        }

        override async publishColumns(...args: Parameters<OutcomeRepository['publishColumns']>): Promise<void> {
          mergeOrder.push(args[0]);
          await super.publishColumns(...args);
          merged += 1;
        }
      })(store.datastore);
      const runsWaitingForTheOther: SucceededRuns = {
        async transition(id, from, to, changes, executor) {
          // Inside the publish's transaction, right after its MERGE: hold it open until the other publish
          // has asked for the dataset and is seen waiting on the engine (or has MERGEd, or failed).
          if (executor) {
            await asked.arrived;
            await waitUntil(store, () => merged === 2 || finished === 1);
          }
          return runRepository.transition(id, from, to, changes, executor);
        },
      };
      const publisher = new OutcomePublisher({
        datastore: store.datastore,
        runs: runsWaitingForTheOther,
        outcomes,
        datasets: {
          lock(datasetId, transaction) {
            asked.arrive();
            return lock(datasetId, transaction);
          },
        },
        logger: createLogger('silent'),
      });
      const results = await Promise.all(
        runs.map(async ({ run }) => {
          const result = await publisher.publish({
            runId: run.id,
            datasetId: DATASET_ID,
            outcomeTable: DEFAULT_OUTCOME_TABLE,
            scoredAt: run.finishedAt!,
            publishedAt: new Date(),
            ...(storage === 'chunks'
              ? {
                  source: (transaction: Executor, write: Parameters<OutcomeSource>[1]) =>
                    new AssignmentRepository(store.datastore).forEachChunk(run.id, transaction, write),
                }
              : {}),
          });
          finished += 1;
          return result;
        }),
      );
      return { results, mergeOrder };
    }

    it('both publishes succeed, one after the other (the dataset row is their turn): the table holds the later run, value for value', async () => {
      const datasets = new DatasetRepository(store.datastore);
      const { results, mergeOrder } = await publishBoth((datasetId, transaction) => datasets.lock(datasetId, transaction));
      assert.deepEqual(
        results.map((result) => (result.published ? 'published' : `failed: ${result.error.code}`)),
        ['published', 'published'],
      );
      const last = runs.find(({ run }) => run.id === mergeOrder[1])!;
      assertOutcomes(target, `${DEFAULT_OUTCOME_TABLE} after both publishes on ${target.name}`, last, await readOutcomes(store));
      const stored = await new RunRepository(store.datastore).findByIds(runs.map(({ run }) => run.id));
      assert.deepEqual(
        stored.map((run) => [run.outcomesPublishedAt !== null, run.publishError]),
        [
          [true, null],
          [true, null],
        ],
      );
    });

    it('without the dataset lock the same two publishes race: the later MERGE fails with a unique violation (why publishing locks the dataset first)', async () => {
      const { results } = await publishBoth(() => Promise.resolve(true));
      const outcomes = results.map((result) => (result.published ? 'published' : result.error.code));
      assert.deepEqual([...outcomes].sort(), ['DB_CONSTRAINT_VIOLATION', 'published'], JSON.stringify(results));
      const failed = results.find((result) => !result.published);
      assert.ok(failed && !failed.published && isAppError(failed.cause));
      assert.match(String(failed.cause.details?.sqlState), /^23/, 'a constraint violation by its SQLSTATE, not only by its code');
    });
  });
}

/** Polls until `done()` or until the engine shows the other publish waiting for a lock or inside its MERGE. */
async function waitUntil(store: RoundTripStore, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (done()) return;
    const rows = await store.datastore.query({
      // A MERGE still executing while ours is done will meet our uncommitted keys (H2 shows no blocker for that wait).
      sql: "SELECT COUNT(*) AS waiting FROM information_schema.sessions WHERE blocker_id IS NOT NULL OR executing_statement LIKE 'MERGE INTO %'",
      parameters: [],
      kind: 'select',
    });
    if (Number(rows[0]?.waiting ?? 0) > 0) return;
    if (Date.now() > deadline) assert.fail('the other publish neither MERGEd nor was seen waiting within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function assertOutcomes(
  target: RoundTripTarget,
  what: string,
  expected: { run: { id: string; finishedAt: Date | null }; assignments: Assignment[] },
  read: OutcomeRow[],
): void {
  assertRoundTrip({
    what,
    written: expected.assignments,
    read,
    keyOfWritten: (row) => row.entityKey,
    keyOfRead: (row) => row.entityKey,
    columns: [
      { name: 'datasetId', expected: () => DATASET_ID, actual: (row) => row.datasetId },
      { name: 'runId', expected: () => expected.run.id, actual: (row) => row.runId },
      { name: 'cluster', expected: (row) => row.cluster, actual: (row) => row.cluster },
      { name: 'distance', expected: (row) => row.distance, actual: (row) => row.distance, same: sameDouble(target) },
      { name: 'scoredAt', expected: () => expected.run.finishedAt, actual: (row) => row.scoredAt },
    ],
  });
}

async function readOutcomes(store: RoundTripStore): Promise<OutcomeRow[]> {
  const outcomes = new OutcomeRepository(store.datastore);
  return everyEntityPage(250, (page) => outcomes.page(DEFAULT_OUTCOME_TABLE, DATASET_ID, page));
}
