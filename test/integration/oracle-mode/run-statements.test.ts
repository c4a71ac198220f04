import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { AssignmentRepository, type Assignment } from '../../../src/modules/run/assignment.repository';
import type { ModelRunRecord, RunStatus } from '../../../src/modules/run/run.record';
import { RunRepository, type RunFilter, type RunOrder } from '../../../src/modules/run/run.repository';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';
import { everyEntityPage, everyRunPage } from '../../support/keyset-pages';

/**
 * The run statements, on the Oracle and Tibero dialects on H2 in Oracle mode: a run's status
 * transitions and progress; the heartbeat, the owner's active runs and the stale search a server runs on a timer; a start
 * by idempotency key and the delete of a refused one; the runs page under every filter and both
 * orders, and the latest run of each dataset; assignments paged with and without a cluster, and the
 * clusters of chosen entities (the report's sample). Values
 * read back are compared with what was written (timestamps to the millisecond).
 */
const at = (iso: string) => new Date(iso);
const ids = (runs: readonly ModelRunRecord[]) => runs.map((run) => run.id);

for (const target of ROUND_TRIP_TARGETS.filter(({ name }) => name === 'oracle' || name === 'tibero')) {
  describe(`run statements on ${target.name} (H2 in Oracle mode)`, () => {
    let store: RoundTripStore;
    let runs: RunRepository;

    before(async () => {
      store = await openRoundTripStore(target, 'omrun_');
      await migrate(store.datastore, APP_MIGRATIONS);
      runs = new RunRepository(store.datastore);
    });
    beforeEach(async () => {
      const q = (name: string) => store.datastore.dialect.quoteIdentifier(name);
      for (const table of ['ai_run_assignment', 'ai_run_assignment_chunk', 'ai_model_run'])
        await store.datastore.execute({ sql: `DELETE FROM ${q(table)}`, parameters: [], kind: 'delete' });
    });
    after(async () => {
      await store?.close();
    });

    it("a run's life: started once, its progress recorded while RUNNING, ended once; an ended run changes no more", async () => {
      const startedAt = at('2026-03-04T05:06:07.008Z');
      const beat = at('2026-03-04T05:06:09.010Z');
      const finishedAt = at('2026-03-04T05:07:00.500Z');
      await runs.insert(runRecord('ds-life', { id: 'run-life' }));

      assert.equal(await runs.transition('run-life', ['QUEUED'], 'RUNNING', { started_at: startedAt, heartbeat_at: startedAt }), true);
      assert.equal(await runs.transition('run-life', ['QUEUED'], 'RUNNING', { started_at: beat }), false, 'started once');
      assert.equal(
        await runs.recordProgress(
          'run-life',
          { iteration: 5, maxIterations: 300, lastShift: 0.25, fraction: 5 / 300, rowsRead: 10_000_000, rowsPerSecond: 123_456.789 },
          beat,
        ),
        true,
      );
      const [running] = await runs.findByIds(['run-life']);
      assert.deepEqual(
        [running!.status, running!.startedAt?.toISOString(), running!.heartbeatAt?.toISOString(), running!.progress],
        [
          'RUNNING',
          startedAt.toISOString(),
          beat.toISOString(),
          { iteration: 5, maxIterations: 300, fraction: 5 / 300, lastShift: 0.25, rowsRead: 10_000_000, rowsPerSecond: 123_456.789 },
        ],
      );

      const clusterSizes = [3, 1, 4];
      assert.equal(
        await runs.transition('run-life', ['RUNNING'], 'SUCCEEDED', {
          finished_at: finishedAt,
          cluster_sizes: JSON.stringify(clusterSizes),
          progress_shift: null,
        }),
        true,
      );
      assert.equal(
        await runs.recordProgress('run-life', { iteration: 6, maxIterations: 300, lastShift: 0.125, fraction: 6 / 300 }, finishedAt),
        false,
        'no progress once ended',
      );
      assert.equal(await runs.transition('run-life', ['QUEUED', 'RUNNING'], 'CANCELLED', { finished_at: beat }), false, 'an ended run stays ended');
      const [ended] = await runs.findByIds(['run-life']);
      assert.deepEqual(
        [ended!.status, ended!.finishedAt?.toISOString(), ended!.clusterSizes, ended!.progress],
        [
          'SUCCEEDED',
          finishedAt.toISOString(),
          clusterSizes,
          { iteration: 5, maxIterations: 300, fraction: 1, lastShift: null, rowsRead: 10_000_000, rowsPerSecond: 123_456.789 },
        ],
      );
    });

    it("a heartbeat moves only the owner's queued and running runs; the stale search finds the other owner's run that stopped beating", async () => {
      const before = at('2026-03-01T08:00:00.125Z');
      const beat = at('2026-03-01T08:00:30.987Z');
      const written = [
        runRecord('ds-beat', { id: 'mine-queued', owner: 'server-a', status: 'QUEUED', heartbeatAt: before }),
        runRecord('ds-beat', { id: 'mine-running', owner: 'server-a', status: 'RUNNING', heartbeatAt: before }),
        runRecord('ds-beat', { id: 'mine-done', owner: 'server-a', status: 'SUCCEEDED', heartbeatAt: before, finishedAt: before }),
        runRecord('ds-beat', { id: 'theirs-running', owner: 'server-b', status: 'RUNNING', heartbeatAt: before }),
      ];
      for (const run of written) await runs.insert(run);

      await runs.heartbeat('server-a', beat);

      const active = await runs.findActiveOfOwner('server-a');
      assert.deepEqual(active.map((run) => [run.id, run.status, run.heartbeatAt?.toISOString()]).sort(), [
        ['mine-queued', 'QUEUED', beat.toISOString()],
        ['mine-running', 'RUNNING', beat.toISOString()],
      ]);
      const [done, theirs] = await Promise.all([runs.findByIds(['mine-done']), runs.findByIds(['theirs-running'])]);
      assert.equal(done[0]!.heartbeatAt?.toISOString(), before.toISOString(), 'a finished run keeps its last beat');
      assert.equal(theirs[0]!.heartbeatAt?.toISOString(), before.toISOString(), "another owner's run keeps its beat");

      const stale = await runs.findStale(at('2026-03-01T08:00:30.000Z'));
      assert.deepEqual(ids(stale), ['theirs-running']);
      assert.deepEqual(ids(await runs.findStale(before)), [], 'a beat exactly at the bound is not stale');
    });

    it('a start found again by its idempotency key; a refused start is deleted while QUEUED, never once RUNNING', async () => {
      await runs.insert(runRecord('ds-idem', { id: 'run-keyed', idempotencyKey: '요청-0001', createdAt: at('2026-03-02T01:02:03.004Z') }));
      await runs.insert(runRecord('ds-idem', { id: 'run-started', status: 'RUNNING', startedAt: at('2026-03-02T01:02:04.005Z') }));

      const found = await runs.findByIdempotencyKey('요청-0001');
      assert.deepEqual([found?.id, found?.idempotencyKey, found?.createdAt.toISOString()], ['run-keyed', '요청-0001', '2026-03-02T01:02:03.004Z']);
      assert.equal(await runs.findByIdempotencyKey('요청-0002'), null);

      assert.equal(await runs.deleteQueued('run-keyed'), true);
      assert.equal(await runs.deleteQueued('run-keyed'), false, 'already gone');
      assert.equal(await runs.deleteQueued('run-started'), false, 'no longer QUEUED');
      assert.deepEqual(ids(await runs.findByIds(['run-keyed', 'run-started'])), ['run-started']);
    });

    it('the runs page under each filter and both orders, page by page, and the latest run of each dataset', async () => {
      const statuses: RunStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SUCCEEDED'];
      const base = Date.parse('2026-03-03T10:00:00.001Z');
      const written = Array.from({ length: 12 }, (_, index) => {
        const status = statuses[index % statuses.length]!;
        // Runs 4 and 5 share a creation time: the id decides between them.
        const createdAt = new Date(base + (index === 5 ? 4 : index) * 61_001);
        const finished = status !== 'QUEUED' && status !== 'RUNNING';
        return runRecord(index % 3 === 0 ? 'ds-b' : 'ds-a', {
          id: `run-${String(index).padStart(2, '0')}`,
          status,
          createdAt,
          finishedAt: finished ? new Date(base + (11 - index) * 7_003) : null,
        });
      });
      for (const run of written) await runs.insert(run);

      const expected = (filter: (run: ModelRunRecord) => boolean, order: RunOrder) => {
        const field = (run: ModelRunRecord) => (order.field === 'CREATED_AT' ? run.createdAt : run.finishedAt!).getTime();
        const sign = order.direction === 'ASC' ? 1 : -1;
        return ids(written.filter(filter).sort((a, b) => sign * (field(a) - field(b) || (a.id < b.id ? -1 : 1))));
      };
      const listAll = async (filter: RunFilter, order: RunOrder, limit: number) => {
        return ids(await everyRunPage(limit, order.field, (page) => runs.list(filter, order, page)));
      };

      const newestFirst: RunOrder = { field: 'CREATED_AT', direction: 'DESC' };
      const oldestFirst: RunOrder = { field: 'CREATED_AT', direction: 'ASC' };
      assert.deepEqual(
        await listAll({}, newestFirst, 5),
        expected(() => true, newestFirst),
      );
      assert.deepEqual(
        await listAll({ datasetIds: ['ds-b'] }, oldestFirst, 2),
        expected((run) => run.datasetId === 'ds-b', oldestFirst),
      );
      assert.deepEqual(
        await listAll({ statuses: ['QUEUED', 'RUNNING'] }, oldestFirst, 3),
        expected((run) => run.status === 'QUEUED' || run.status === 'RUNNING', oldestFirst),
      );
      const after3 = written[3]!.createdAt;
      const before9 = written[9]!.createdAt;
      assert.deepEqual(
        await listAll({ createdAfter: after3, createdBefore: before9 }, oldestFirst, 4),
        expected((run) => run.createdAt > after3 && run.createdAt < before9, oldestFirst),
      );
      const finishedLast: RunOrder = { field: 'FINISHED_AT', direction: 'DESC' };
      const terminal: RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
      assert.deepEqual(
        await listAll({ datasetIds: ['ds-a', 'ds-b'], statuses: terminal, createdAfter: written[0]!.createdAt }, finishedLast, 2),
        expected((run) => terminal.includes(run.status) && run.createdAt > written[0]!.createdAt, finishedLast),
      );

      const latest = await runs.latestOfDatasets(['ds-a', 'ds-b', 'ds-none']);
      assert.deepEqual([...latest].map(([dataset, run]) => [dataset, run.id]).sort(), [
        ['ds-a', 'run-11'],
        ['ds-b', 'run-09'],
      ]);
    });

    for (const storage of ['rows', 'chunks'] as const) {
      it(`a run's assignments (stored as ${storage}) paged in entity-key order, of every cluster and of one`, async () => {
        const assignments: Assignment[] = Array.from({ length: 23 }, (_, index) => ({
          entityKey: `e-${String((index * 7) % 23).padStart(3, '0')}`,
          cluster: index % 3,
          distance: index / 8,
        }));
        await runs.insert(runRecord('ds-pages', { id: 'run-paged', status: 'RUNNING' }));
        // Chunks of 5 rows: pages cross chunk boundaries.
        const repository = new AssignmentRepository(store.datastore, 5);
        await store.datastore.transaction((transaction) =>
          storage === 'rows' ? repository.saveRows('run-paged', assignments, transaction) : repository.save('run-paged', assignments, transaction),
        );

        const pages = async (cluster: number | null, limit: number) => {
          return everyEntityPage(limit, (page) => repository.page('run-paged', cluster, page));
        };
        const inKeyOrder = (cluster: number | null) =>
          assignments.filter((assignment) => cluster === null || assignment.cluster === cluster).sort((a, b) => (a.entityKey < b.entityKey ? -1 : 1));
        assert.deepEqual(await pages(null, 5), inKeyOrder(null));
        assert.deepEqual(await pages(1, 3), inKeyOrder(1));
      });

      it(`the clusters of chosen entities in a run (stored as ${storage}), over more keys than one statement takes; other runs' rows and unknown keys are left out`, async () => {
        // 1,203 keys: three statements of at most 500 (Oracle's IN list ends at 1,000, its binds at 500 here).
        const assignments: Assignment[] = Array.from({ length: 1_203 }, (_, index) => ({ entityKey: `k-${index}-é`, cluster: (index * 7) % 5, distance: 0 }));
        await runs.insert(runRecord('ds-report', { id: 'run-report', status: 'RUNNING' }));
        await runs.insert(runRecord('ds-report', { id: 'run-other', status: 'RUNNING' }));
        const repository = new AssignmentRepository(store.datastore, 500);
        const save = storage === 'rows' ? repository.saveRows.bind(repository) : repository.save.bind(repository);
        await store.datastore.transaction(async (transaction) => {
          await save('run-report', assignments, transaction);
          await save('run-other', [{ entityKey: 'only-other', cluster: 4, distance: 0 }], transaction);
        });

        const asked = [...assignments.map((assignment) => assignment.entityKey).reverse(), 'only-other', 'never-assigned'];
        const clusters = await repository.clustersOf('run-report', asked);
        assert.deepEqual(
          [...clusters].sort(([a], [b]) => (a < b ? -1 : 1)),
          assignments.map((assignment) => [assignment.entityKey, assignment.cluster]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
        );
        assert.deepEqual([...(await repository.clustersOf('run-report', []))], []);
      });
    }
  });
}
