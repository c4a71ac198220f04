import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { Executor } from '../../../src/datastore/contracts';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate } from '../../../src/datastore/migrations/migrator';
import { AppError } from '../../../src/errors/app-error';
import { createLogger } from '../../../src/logging/logger';
import { CatalogRepository } from '../../../src/modules/dataset/catalog.repository';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { DatasetRepository } from '../../../src/modules/dataset/dataset.repository';
import { DatasetService } from '../../../src/modules/dataset/dataset.service';
import { AssignmentRepository } from '../../../src/modules/run/assignment.repository';
import { RunRepository } from '../../../src/modules/run/run.repository';
import { RunService, type RunServiceDependencies } from '../../../src/modules/run/run.service';
import { mariadbDatabase, openDatastore, sqliteDatabase } from '../../support/databases';
import { createPostgresqlSchema, type PostgresqlSchema } from '../../support/postgresql-schema';
import { PrefixedAppTablesMariadbDialect } from '../../support/prefixed-mariadb';
import { createNoiseTable, dropTables } from '../../support/runs';

/**
 * deleteDataset and startModelRun, each stopped at the worst moment while the other runs, at the
 * service level on each real database: whatever the interleaving, no run row is left for a deleted
 * dataset, and the two calls never both succeed while a run of the deleted dataset would be left.
 */

const TABLE = 'race_det_points';

/** A gate: `reached` resolves when a call arrives at it; the call waits until `release()`. */
function gate() {
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { reached, opened, arrive, release: () => open() };
}

/** DatasetRepository whose countActiveRuns, once armed, stops after counting until released. */
class PausingDatasetRepository extends DatasetRepository {
  pauseAfterCount: ReturnType<typeof gate> | undefined;

  override async countActiveRuns(datasetId: string, executor?: Executor): Promise<number> {
    const count = await super.countActiveRuns(datasetId, executor);
    const pause = this.pauseAfterCount;
    this.pauseAfterCount = undefined;
    if (pause) {
      pause.arrive();
      await pause.opened;
    }
    return count;
  }
}

/** DatasetTableRepository whose rowsUpTo (startModelRun's last check before its run row) can stop until released. */
class PausingTableRepository extends DatasetTableRepository {
  pauseAfterChecks: ReturnType<typeof gate> | undefined;

  override async rowsUpTo(table: string, columns: readonly string[], options: { completeOnly: boolean; cap: number }): Promise<number> {
    const rows = await super.rowsUpTo(table, columns, options);
    const pause = this.pauseAfterChecks;
    this.pauseAfterChecks = undefined;
    if (pause) {
      pause.arrive();
      await pause.opened;
    }
    return rows;
  }
}

interface Target {
  readonly label: string;
  open(): Promise<{ datastore: Datastore; close: () => Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    label: 'SQLite',
    async open() {
      const { datastore } = await openDatastore(sqliteDatabase());
      return { datastore, close: () => datastore.close() };
    },
  },
  {
    label: 'PostgreSQL',
    async open() {
      const schema: PostgresqlSchema = await createPostgresqlSchema('delrace');
      return { datastore: schema.datastore, close: () => schema.drop() };
    },
  },
  {
    label: 'MariaDB (app tables prefixed delrace_)',
    async open() {
      const { datastore } = await openDatastore(mariadbDatabase(), { dialect: new PrefixedAppTablesMariadbDialect('delrace_') });
      assert.ok(datastore.dialect instanceof PrefixedAppTablesMariadbDialect);
      const appTables = ['ai_schema_migrations', ...APP_MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name))];
      await dropTables(datastore, [...appTables, TABLE]);
      return { datastore, close: async () => (await dropTables(datastore, [...appTables, TABLE]), await datastore.close()) };
    },
  },
];

for (const target of TARGETS) {
  describe(`deleteDataset against startModelRun at the worst moments, ${target.label}`, () => {
    let datastore: Datastore;
    let close: () => Promise<void>;
    let datasetRepository: PausingDatasetRepository;
    let tables: PausingTableRepository;
    let datasets: DatasetService;
    let runs: RunService;
    let features: string[];

    before(async () => {
      ({ datastore, close } = await target.open());
      await migrate(datastore, APP_MIGRATIONS);
      features = await createNoiseTable(datastore, TABLE, 60, 2, 3);
      datasetRepository = new PausingDatasetRepository(datastore);
      tables = new PausingTableRepository(datastore);
      datasets = new DatasetService(datasetRepository, new CatalogRepository(datastore), datastore, tables);
      const dependencies = {
        datastore,
        runs: new RunRepository(datastore),
        assignments: new AssignmentRepository(datastore),
        datasets,
        datasetTables: tables,
        // Nothing executes here: the runs stay QUEUED.
        claimer: { wake: () => undefined, freeSlots: 0 },
        queueLimit: 100,
        events: { on: () => undefined },
        updates: { publish: () => undefined },
        tracer: { started: () => undefined, finished: () => undefined },
        executor: { cancel: () => false },
        logger: createLogger('silent'),
        owner: 'delete-race-test',
        heartbeatMs: 60_000,
      } as unknown as RunServiceDependencies;
      runs = new RunService(dependencies);
    });
    after(async () => {
      await close?.();
    });

    const register = (name: string) => datasets.register({ name, table: TABLE, keyColumns: ['id'], featureColumns: features });
    const runRows = async (datasetId: string) => {
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      const [row] = await datastore.query({
        sql: `SELECT COUNT(*) AS n FROM ${q('ai_model_run')} WHERE ${q('dataset_id')} = ?`,
        parameters: [datasetId],
        kind: 'select',
      });
      return Number(row?.n ?? 0);
    };
    const assertRefusedAsGone = (result: PromiseSettledResult<unknown>) => {
      assert.equal(result.status, 'rejected', `startModelRun succeeded for a deleted dataset: ${JSON.stringify(result)}`);
      const error = result.reason as unknown;
      assert.ok(error instanceof AppError, String(error));
      assert.equal(error.code, 'BAD_USER_INPUT');
      assert.equal(error.details?.field, 'datasetId');
    };

    it('the dataset deleted after startModelRun checked it and before it wrote its run: the start is refused, no run row is left', async () => {
      const dataset = await register('after the checks');
      const pause = gate();
      tables.pauseAfterChecks = pause;
      const starting = runs.start({ datasetId: dataset.id, k: 2, seed: 1 });
      await pause.reached;
      await datasets.delete(dataset.id);
      pause.release();
      const [started] = await Promise.allSettled([starting]);
      assertRefusedAsGone(started);
      assert.equal(await runRows(dataset.id), 0, 'a run row of the deleted dataset');
    });

    it('startModelRun while deleteDataset has counted no active run and not yet deleted: the start waits for the delete and is refused; no run row is left', async () => {
      const dataset = await register('between count and delete');
      const pause = gate();
      datasetRepository.pauseAfterCount = pause;
      const deleting = datasets.delete(dataset.id);
      await pause.reached;
      const starting = runs.start({ datasetId: dataset.id, k: 2, seed: 2 });
      // The start either finishes in the window (the defect) or waits for the dataset the delete holds.
      await Promise.race([starting.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1_000))]);
      pause.release();
      const [started, deleted] = await Promise.allSettled([starting, deleting]);
      assert.equal(deleted.status, 'fulfilled', JSON.stringify(deleted));
      assertRefusedAsGone(started);
      assert.equal(await runRows(dataset.id), 0, 'a run row of the deleted dataset');
    });

    it('a run that exists when deleteDataset locks the dataset makes the delete a CONFLICT, and the run keeps its dataset', async () => {
      const dataset = await register('run first');
      const run = await runs.start({ datasetId: dataset.id, k: 2, seed: 3 });
      await assert.rejects(datasets.delete(dataset.id), (error: unknown) => error instanceof AppError && error.code === 'CONFLICT');
      assert.equal((await datasets.byIds([dataset.id]))[0]?.id, dataset.id);
      assert.equal(await runRows(dataset.id), 1);
      await runs.cancel(run.id);
      await datasets.delete(dataset.id);
      assert.equal(await runRows(dataset.id), 0);
    });
  });
}
