import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type { UpsertSpec } from '../../../src/datastore/types';
import type { OutcomeRow } from '../../../src/modules/outcome/outcome.record';
import { OutcomeRepository } from '../../../src/modules/outcome/outcome.repository';
import { outcomeTableDefinition } from '../../../src/modules/outcome/outcome-table';
import { AssignmentRepository, type Assignment } from '../../../src/modules/run/assignment.repository';
import { streamAssignments } from '../../support/assignments';
import { EDGE_TIMESTAMPS, RoundTripGenerator, ROUND_TRIP_SEED } from '../../support/round-trip-data';
import { assertRoundTrip, type RoundTripColumn } from '../../support/round-trip-compare';
import {
  openRoundTripStore,
  ROUND_TRIP_TARGETS,
  sameDouble,
  upsertRowsPerStatement,
  type RoundTripStore,
  type RoundTripTarget,
} from '../../support/round-trip-targets';
import { everyEntityPage } from '../../support/keyset-pages';

/**
 * Paths (c) and (d) of the round trip: a run's assignments as AssignmentRepository.save stores them
 * (read back by stream and by page), and the outcomes OutcomeRepository.publishFromAssignments writes from them, published
 * twice, then again from a second run that changed some of them, then from the first run again. The
 * batch fills the dialect's UPSERT statement three times and one more row.
 */
const OUTCOME_TABLE = 'rtpub_outcome';
const DATASET_ID = 'round-trip-dataset';
const ENTITY_KEY_LIMIT = 512;

for (const target of ROUND_TRIP_TARGETS) {
  describe(`round trip, assignments and published outcomes on ${target.name}`, () => {
    let store: RoundTripStore;
    let repository: AssignmentRepository;
    let first: Assignment[];
    let second: Assignment[];

    before(async () => {
      store = await openRoundTripStore(target, 'rtpub_');
      await store.drop([OUTCOME_TABLE]);
      await migrate(store.datastore, APP_MIGRATIONS);
      await store.datastore.execute(store.datastore.dialect.compileCreateTable(outcomeTableDefinition(OUTCOME_TABLE)));
      repository = new AssignmentRepository(store.datastore);
      // Three full statements of one text and a short one.
      const count = 3 * upsertRowsPerStatement(store.datastore.dialect, saveSpec([])) + 1;
      first = generateAssignments(new RoundTripGenerator(ROUND_TRIP_SEED), count);
      // The second run: the same entities, a third of them in another cluster at another distance.
      const changes = new RoundTripGenerator(ROUND_TRIP_SEED + 1);
      second = first.map((assignment, index) => (index % 3 === 0 ? { ...assignment, cluster: changes.int32(), distance: changes.double() } : assignment));
    });
    after(async () => {
      await store?.drop([OUTCOME_TABLE]);
      await store?.close();
    });

    it('save: every assignment is read back as written, by stream and by page (a batch of four statements)', async (context) => {
      const statements = store.datastore.dialect.compileUpsert(
        saveSpec(first.map((assignment) => ({ entity_key: assignment.entityKey, cluster: assignment.cluster, distance: assignment.distance }))),
      );
      assert.equal(statements.length, 4, `${first.length} assignments in ${statements.length} statement(s)`);
      context.diagnostic(`${first.length} assignments in ${statements.length} statements`);

      await store.datastore.transaction((transaction) => repository.save('run-1', first, transaction));
      await store.datastore.transaction((transaction) => repository.save('run-2', second, transaction));

      for (const [runId, written] of [
        ['run-1', first],
        ['run-2', second],
      ] as const) {
        const streamed: Assignment[] = [];
        await streamAssignments(store.datastore, runId, 1_000, (batch) => {
          streamed.push(...batch);
          return Promise.resolve();
        });
        assertAssignments(target, `${runId}'s assignments read by stream on ${target.name}`, written, streamed);
      }
      // Pages that start after a key (Unicode, up to the column's length), as AssignmentConnection reads them.
      const paged = await everyEntityPage(997, (page) => repository.page('run-1', null, page));
      assertAssignments(target, `run-1's assignments read by page on ${target.name}`, first, paged);
      assert.equal(await repository.count('run-1', null), first.length);
      const cluster = first[0]!.cluster;
      assert.equal(await repository.count('run-1', cluster), first.filter((assignment) => assignment.cluster === cluster).length);
    });

    it('publish, publish again, publish a second run, then the first again: the outcome table holds the last published run each time, value for value', async () => {
      const scoredAt = EDGE_TIMESTAMPS;
      const publish = (runId: string, at: Date) =>
        store.datastore.transaction((transaction) =>
          new OutcomeRepository(store.datastore).publishFromAssignments(runId, OUTCOME_TABLE, DATASET_ID, at, transaction),
        );
      const steps: [string, string, readonly Assignment[], Date][] = [
        ['the first publish', 'run-1', first, scoredAt[0]!],
        ['the same run published again', 'run-1', first, scoredAt[0]!],
        ['a second run with changed assignments', 'run-2', second, scoredAt[2]!],
        ['the first run published once more', 'run-1', first, scoredAt[3]!],
      ];
      for (const [step, runId, assignments, at] of steps) {
        await publish(runId, at);
        const outcomes = await readOutcomes(store);
        assert.equal(await new OutcomeRepository(store.datastore).count(OUTCOME_TABLE, DATASET_ID), assignments.length, step);
        const expected = assignments.map((assignment) => ({
          datasetId: DATASET_ID,
          entityKey: assignment.entityKey,
          runId,
          cluster: assignment.cluster,
          distance: assignment.distance,
          scoredAt: at,
        }));
        const columns: RoundTripColumn<OutcomeRow, OutcomeRow>[] = (['datasetId', 'runId', 'cluster', 'distance', 'scoredAt'] as const).map((name) => ({
          name,
          expected: (row) => row[name],
          actual: (row) => row[name],
          ...(name === 'distance' ? { same: sameDouble(target) } : {}),
        }));
        assertRoundTrip({
          what: `${step}: ${OUTCOME_TABLE} on ${target.name}`,
          written: expected,
          read: outcomes,
          keyOfWritten: (row) => row.entityKey,
          keyOfRead: (row) => row.entityKey,
          columns,
        });
      }
    });
  });
}

/** The UPSERT AssignmentRepository.save writes for run-1's rows: every key new, the run id shared. */
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
 * column's 512 characters; clusters over INTEGER's range; distances over the whole double range.
 */
function generateAssignments(generator: RoundTripGenerator, count: number): Assignment[] {
  return Array.from({ length: count }, (_, index) => {
    const prefix = `${index}:`;
    const rest = index % 10 === 0 ? ENTITY_KEY_LIMIT - prefix.length : generator.integer(24);
    return { entityKey: `${prefix}${generator.text(rest)}`, cluster: generator.int32(), distance: generator.double() };
  });
}

function assertAssignments(target: RoundTripTarget, what: string, written: readonly Assignment[], read: readonly Assignment[]): void {
  assertRoundTrip({
    what,
    written,
    read,
    keyOfWritten: (row) => row.entityKey,
    keyOfRead: (row) => row.entityKey,
    columns: [
      { name: 'cluster', expected: (row) => row.cluster, actual: (row) => row.cluster },
      { name: 'distance', expected: (row) => row.distance, actual: (row) => row.distance, same: sameDouble(target) },
    ],
  });
}

/** Every row of the outcome table for the dataset, through OutcomeRepository.page. */
async function readOutcomes(store: RoundTripStore): Promise<OutcomeRow[]> {
  const outcomes = new OutcomeRepository(store.datastore);
  return everyEntityPage(997, (page) => outcomes.page(OUTCOME_TABLE, DATASET_ID, page));
}
