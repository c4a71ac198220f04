import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import type { ModelRunRecord, RunStatus } from '../../../src/modules/run/run.record';
import { RunRepository, runKey, type RunFilter, type RunKey, type RunOrder } from '../../../src/modules/run/run.repository';
import type { KeysetPage } from '../../../src/shared/keyset-page';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';
import { runRecord, expectedRunOrder } from '../../support/runs';

/**
 * Keyset paging of runs on every dialect (H2 in Oracle mode for oracle and tibero): in each order
 * ModelRunOrder allows, with ties in the sort column and NULL finished_at, while new runs arrive
 * between pages. Every run there before the first page is read exactly once and in order; the
 * runs count under each filter is the number of rows that match it.
 */
const BASE = Date.UTC(2026, 5, 1, 12, 0, 0, 0);
const STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'QUEUED', 'RUNNING'];

/** 14 runs: created_at ties in threes, finished_at NULL for every fourth and tied in pairs otherwise; ids not in creation order. */
function existingRuns(): ModelRunRecord[] {
  return Array.from({ length: 14 }, (_, index) => {
    const finished = index % 4 !== 0;
    return runRecord(index % 2 === 0 ? 'ds-even' : 'ds-odd', {
      id: `run-${String((index * 5) % 14).padStart(2, '0')}`,
      status: finished ? STATUSES[index % 3]! : STATUSES[3 + (index % 2)]!,
      createdAt: new Date(BASE + Math.floor(index / 3) * 60_000 + 7),
      finishedAt: finished ? new Date(BASE + 3_600_000 + Math.floor(index / 2) * 1_000 + 123) : null,
    });
  });
}

const ORDERS: readonly RunOrder[] = [
  { field: 'CREATED_AT', direction: 'DESC' },
  { field: 'CREATED_AT', direction: 'ASC' },
  { field: 'FINISHED_AT', direction: 'DESC' },
  { field: 'FINISHED_AT', direction: 'ASC' },
];

for (const target of ROUND_TRIP_TARGETS) {
  describe(`keyset paging of runs on ${target.name}`, () => {
    let store: RoundTripStore;
    let runs: RunRepository;
    let existing: ModelRunRecord[];

    before(async () => {
      store = await openRoundTripStore(target, 'rtkey_');
      await migrate(store.datastore, APP_MIGRATIONS);
      runs = new RunRepository(store.datastore);
    });
    beforeEach(async () => {
      await store.datastore.execute({ sql: `DELETE FROM ${store.datastore.dialect.quoteIdentifier('ai_model_run')}`, parameters: [], kind: 'delete' });
      existing = existingRuns();
      for (const run of existing) await runs.insert(run);
    });
    after(async () => {
      await store?.close();
    });

    for (const order of ORDERS) {
      it(`${order.field} ${order.direction}, 3 a page, a new run inserted before each page: every existing run once, in order`, async () => {
        const read: string[] = [];
        let arrivals = 0;
        for (let after: RunKey | null = null; ;) {
          // A run created now (newest of all, not finished): it lands where such runs sort, never shifting a page.
          await runs.insert(runRecord('ds-even', { id: `new-${arrivals++}`, createdAt: new Date(BASE + 86_400_000 + arrivals) }));
          const page: KeysetPage<RunKey> = { limit: 3, after };
          const rows = await runs.list({}, order, page);
          read.push(...rows.slice(0, 3).map((run) => run.id));
          if (rows.length <= 3) break;
          after = runKey(rows[2]!, order.field);
        }
        assert.equal(new Set(read).size, read.length, `no run twice: ${read.join(', ')}`);
        const existingIds = new Set(existing.map((run) => run.id));
        assert.deepEqual(
          read.filter((id) => existingIds.has(id)),
          expectedRunOrder(existing, order),
        );
      });
    }

    it('with a filter, paging keeps to the filter, and count() is the number of runs each filter matches', async () => {
      const filters: readonly [RunFilter, (run: ModelRunRecord) => boolean][] = [
        [{}, () => true],
        [{ datasetIds: ['ds-odd'] }, (run) => run.datasetId === 'ds-odd'],
        [{ statuses: ['SUCCEEDED', 'QUEUED'] }, (run) => run.status === 'SUCCEEDED' || run.status === 'QUEUED'],
        [{ createdAfter: new Date(BASE + 60_000 + 7) }, (run) => run.createdAt.getTime() > BASE + 60_000 + 7],
        [
          { createdBefore: new Date(BASE + 180_000 + 7), datasetIds: ['ds-even'] },
          (run) => run.createdAt.getTime() < BASE + 180_000 + 7 && run.datasetId === 'ds-even',
        ],
      ];
      const order: RunOrder = { field: 'FINISHED_AT', direction: 'DESC' };
      for (const [filter, keep] of filters) {
        const matching = existing.filter(keep);
        assert.equal(await runs.count(filter), matching.length, JSON.stringify(filter));
        const read: string[] = [];
        for (let after: RunKey | null = null; ;) {
          const rows = await runs.list(filter, order, { limit: 2, after });
          read.push(...rows.slice(0, 2).map((run) => run.id));
          if (rows.length <= 2) break;
          after = runKey(rows[1]!, order.field);
        }
        assert.deepEqual(read, expectedRunOrder(matching, order), JSON.stringify(filter));
      }
    });
  });
}
