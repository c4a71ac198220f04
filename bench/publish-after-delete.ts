import { parseArgs } from 'node:util';
import { Datastore } from '../src/datastore/datastore';
import { type Executor } from '../src/datastore/contracts';
import { dialectFor } from '../src/datastore/dialects';
import { APP_MIGRATIONS } from '../src/datastore/migrations/app-migrations';
import { migrate } from '../src/datastore/migrations/migrator';
import type { Statement } from '../src/datastore/types';
import { DEFAULT_OUTCOME_TABLE } from '../src/modules/outcome/outcome-table';
import { OutcomeRepository } from '../src/modules/outcome/outcome.repository';
import { AssignmentRepository, type Assignment } from '../src/modules/run/assignment.repository';
import { SeededRandom } from '../src/shared/seeded-random';

/**
 * Issue 11, item 14: a run publishing its outcomes right after the dataset's outcome rows were deleted,
 * on PostgreSQL, the way the 1M-row run that timed out did:
 *
 * 1. run A's assignments stored and published, then everything analysed (as autovacuum would have);
 * 2. the dataset's outcome rows deleted, the outcome table analysed (autovacuum after the DELETE);
 * 3. run B's assignments stored (statistics know nothing of them), then B published — timed;
 * 4. run C stored and published over B's outcomes (the update path) — timed. Where B's publish
 *    failed, B is published first the way a run does now (untimed), so that C updates rows.
 *
 * Methods: `before` runs the statements as the code did before the change (the lock and the MERGE, no
 * statistics refresh); `after` runs what a run does now (ANALYZE of the assignments, then the lock,
 * SET LOCAL enable_nestloop = off and the MERGE); `analyze-only` and `nestloop-only` take one half each.
 * Each method gets a fresh schema. The statement timeout is DB_QUERY_TIMEOUT_MS's default, 30 s.
 *
 *   node dist/bench/publish-after-delete.js [--rows 1000000] [--methods before,after,analyze-only,nestloop-only]
 *
 * PostgreSQL from BENCH_POSTGRESQL_ODBC or TEST_POSTGRESQL_ODBC.
 */
const METHODS = ['before', 'after', 'analyze-only', 'nestloop-only'] as const;
type Method = (typeof METHODS)[number];
const QUERY_TIMEOUT_MS = 30_000;
const DATASET_ID = 'bench-publish-after-delete';

function assignments(rows: number, seed: number): Assignment[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: rows }, (_, index) => ({ entityKey: String(index + 1), cluster: random.integer(10), distance: random.next() * 12 }));
}

async function publish(
  datastore: Datastore,
  repository: AssignmentRepository,
  method: Method,
  runId: string,
): Promise<{ analyzeSeconds: number; publishSeconds: number | string }> {
  let started = performance.now();
  if (method === 'after' || method === 'analyze-only') await repository.refreshStatistics();
  const analyzeSeconds = (performance.now() - started) / 1000;
  const statements: Statement[] = [];
  const recorder: Executor = {
    dialect: datastore.dialect,
    query: (statement) => datastore.query(statement),
    execute: (statement) => Promise.resolve(statements.push(statement)),
  };
  await new OutcomeRepository(datastore).publishFromAssignments(runId, DEFAULT_OUTCOME_TABLE, DATASET_ID, new Date(), recorder);
  const run = method === 'after' || method === 'nestloop-only' ? statements : statements.filter((statement) => !statement.sql.includes('enable_nestloop'));
  started = performance.now();
  try {
    await datastore.transaction(async (transaction) => {
      for (const statement of run) await transaction.execute(statement);
    });
    return { analyzeSeconds, publishSeconds: (performance.now() - started) / 1000 };
  } catch (error) {
    return { analyzeSeconds, publishSeconds: `${(error as { code?: string }).code ?? 'error'} after ${((performance.now() - started) / 1000).toFixed(1)} s` };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, methods: { type: 'string', default: 'before,after' } } });
  const rows = Number(values.rows);
  const methods = values.methods.split(',') as Method[];
  for (const method of methods) if (!METHODS.includes(method)) throw new Error(`unknown method ${method}; one of ${METHODS.join(', ')}`);
  const base = process.env.BENCH_POSTGRESQL_ODBC ?? process.env.TEST_POSTGRESQL_ODBC;
  if (!base) throw new Error('set BENCH_POSTGRESQL_ODBC or TEST_POSTGRESQL_ODBC');
  const open = (connectionString: string) =>
    Datastore.create({
      connectionString,
      dialect: dialectFor('postgresql'),
      poolMax: 2,
      acquireTimeoutMs: 60_000,
      queryTimeoutMs: QUERY_TIMEOUT_MS,
      idleTimeoutMs: 60_000,
    });
  const admin = open(base);
  const ddl = (sql: string): Statement => ({ sql, parameters: [], kind: 'ddl' });
  console.log(`${rows} rows; ${await admin.detectServer()}`);
  console.log('| method | analyze s | publish after DELETE s | analyze s | publish over existing rows s |');
  console.log('|---|---|---|---|---|');
  for (const method of methods) {
    const schema = `bench_pad_${process.pid}_${method.replace('-', '_')}`;
    await admin.execute(ddl(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    await admin.execute(ddl(`CREATE SCHEMA ${schema}`));
    const datastore = open(`${base.replace(/;?\s*$/, ';')}ConnSettings=SET search_path TO ${schema};`);
    try {
      await datastore.detectServer();
      await migrate(datastore, APP_MIGRATIONS);
      const repository = new AssignmentRepository(datastore);
      await datastore.transaction((transaction) => repository.save('run-a', assignments(rows, 1), transaction));
      await datastore.transaction((transaction) =>
        new OutcomeRepository(datastore).publishFromAssignments('run-a', DEFAULT_OUTCOME_TABLE, DATASET_ID, new Date(), transaction),
      );
      await datastore.execute(ddl('ANALYZE'));
      await datastore.execute({ sql: `DELETE FROM ${DEFAULT_OUTCOME_TABLE} WHERE dataset_id = ?`, parameters: [DATASET_ID], kind: 'delete' });
      await datastore.execute(ddl(`ANALYZE ${DEFAULT_OUTCOME_TABLE}`));
      await datastore.transaction((transaction) => repository.save('run-b', assignments(rows, 2), transaction));
      const afterDelete = await publish(datastore, repository, method, 'run-b');
      if (typeof afterDelete.publishSeconds !== 'number') await publish(datastore, repository, 'after', 'run-b');
      await datastore.transaction((transaction) => repository.save('run-c', assignments(rows, 3), transaction));
      const update = await publish(datastore, repository, method, 'run-c');
      const seconds = (value: number | string) => (typeof value === 'number' ? value.toFixed(2) : value);
      console.log(
        `| ${method} | ${seconds(afterDelete.analyzeSeconds)} | ${seconds(afterDelete.publishSeconds)} | ${seconds(update.analyzeSeconds)} | ${seconds(update.publishSeconds)} |`,
      );
    } finally {
      await datastore.close();
      await admin.execute(ddl(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    }
  }
  await admin.close();
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
