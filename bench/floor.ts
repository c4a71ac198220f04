import { spawnSync } from 'node:child_process';
import type { Datastore } from '../src/datastore/datastore';
import type { Executor } from '../src/datastore/contracts';
import type { Statement } from '../src/datastore/types';
import { V2_MODEL_RUNS } from '../src/datastore/migrations/versions/002-model-runs';
import { outcomeTableDefinition } from '../src/modules/outcome/outcome-table';
import { featureColumns, openBenchDatastore, type BenchDatabase } from './data';
import type { FloorFigures } from './floor-report';
import { pgConfig } from './publish';

/**
 * The floor (issue 16 item 5): the database's own time for each phase of a run over the same table,
 * with no client handling rows. Every statement runs on the database the run used, after the run, on
 * tables of its own (`<prefix>floor_assignment`, `<prefix>floor_outcome`, dropped at the end):
 *
 * - read: PostgreSQL `COPY (SELECT key, features … ORDER BY key) TO '/dev/null'` through psql as the
 *   postgres superuser (peer authentication; needs root), else the ordered SELECT under an aggregate;
 *   MariaDB and SQLite the ordered SELECT under an aggregate (COUNT and SUM of every value), one row back.
 * - save: `INSERT INTO floor_assignment SELECT …` of every row, shaped as ai_run_assignment, timed
 *   without its commit as a run's saveMs is.
 * - publish: the UPSERT a run issues (SqlDialect.compileUpsertFromSelect, preamble included) from
 *   floor_assignment into an outcome-shaped table, empty, then again with every row there (updated).
 *
 * Times are the client's clock around one statement: the engine's work plus one round trip.
 */
export interface FloorTarget {
  readonly database: BenchDatabase;
  /** The connection the run's server used (PostgreSQL: with its search_path). */
  readonly connectionString: string;
  /** The blob table as named in the database, and its rows. */
  readonly table: string;
  readonly rows: number;
  /** Put before the floor's own table names (MariaDB's shared database). */
  readonly tablePrefix: string;
  /** PostgreSQL: the schema holding `table`, for psql. */
  readonly postgresqlSchema?: string;
}

const ASSIGNMENT_SHAPE = V2_MODEL_RUNS.tables.find((table) => table.name === 'ai_run_assignment')!;

export async function measureFloor(target: FloorTarget, log: (line: string) => void = () => undefined): Promise<FloorFigures> {
  const datastore = openBenchDatastore({ ...target.database, connectionString: target.connectionString });
  const dialect = () => datastore.dialect;
  const q = (name: string) => dialect().quoteIdentifier(name);
  const assignmentTable = `${target.tablePrefix}floor_assignment`;
  const outcomeTable = `${target.tablePrefix}floor_outcome`;
  const methods: Record<string, string> = {};
  const figures: { readMs?: number; saveMs?: number; publishEmptyMs?: number; publishFullMs?: number } = {};
  try {
    await datastore.detectServer();
    const columns = ['entity_id', ...featureColumns()];
    const ordered = `SELECT ${columns.map(q).join(', ')} FROM ${q(target.table)} ORDER BY ${q('entity_id')}`;

    const copied = target.database.dialect === 'postgresql' ? copyToDevNull(target, ordered) : null;
    if (copied && 'ms' in copied) {
      expectRows('read (COPY)', copied.rows, target.rows);
      figures.readMs = copied.ms;
      methods.read = `${code(`COPY (${ordered}) TO '/dev/null'`)} through psql as the postgres superuser (psql's \\timing)`;
    } else {
      const sum = columns.map(q).join(' + ');
      const sql = `SELECT COUNT(*) AS ${q('row_count')}, SUM(${sum}) AS ${q('total')} FROM (${ordered}) ${q('ordered_rows')}`;
      let counted = Number.NaN;
      figures.readMs = await timed(async () => {
        const [row] = await datastore.query({ sql, parameters: [], kind: 'select' });
        counted = Number(row?.row_count);
      });
      expectRows('read', counted, target.rows);
      methods.read = `${code(sql)} over the run's ODBC connection, one row back${copied ? ` (COPY refused: ${copied.refused})` : ''}`;
    }

    await dropTables(datastore, [assignmentTable, outcomeTable]);
    await datastore.execute(dialect().compileCreateTable({ ...ASSIGNMENT_SHAPE, name: assignmentTable }));
    const text = { postgresql: 'VARCHAR(512)', mysql: 'CHAR', sqlite: 'TEXT' }[target.database.dialect as string] ?? 'VARCHAR(512)';
    const save: Statement = {
      sql:
        `INSERT INTO ${q(assignmentTable)} (${['run_id', 'entity_key', 'cluster', 'distance'].map(q).join(', ')}) ` +
        `SELECT 'floor', CAST(${q('entity_id')} AS ${text}), ${q('entity_id')} % 10, ABS(${q('f01')}) FROM ${q(target.table)} ORDER BY ${q('entity_id')}`,
      parameters: [],
      kind: 'insert',
    };
    figures.saveMs = await inTransaction(datastore, (transaction) => transaction.execute(save));
    expectRows('save', await countRows(datastore, assignmentTable), target.rows);
    methods.save = `${code(save.sql)} in a transaction, timed without the commit (as saveMs), into an empty table shaped as ai_run_assignment`;
    // As a run does between its save and its publish, untimed.
    for (const statement of dialect().refreshStatisticsStatements(assignmentTable)) await datastore.execute(statement);

    const outcome = outcomeTableDefinition(outcomeTable);
    await datastore.execute(dialect().compileCreateTable(outcome));
    const publish = (scoredAt: Date): Statement[] => {
      const column = (name: string) => outcome.columns.find((candidate) => candidate.name === name)!;
      const select =
        `SELECT ${dialect().parameterSql(column('dataset_id'))} AS ${q('dataset_id')}, ${['entity_key', 'run_id', 'cluster', 'distance'].map(q).join(', ')}, ` +
        `${dialect().parameterSql(column('scored_at'))} AS ${q('scored_at')} FROM ${q(assignmentTable)} WHERE ${q('run_id')} = ?`;
      return dialect().compileUpsertFromSelect(
        { table: outcomeTable, keyColumns: outcome.primaryKey, columns: outcome.columns },
        { sql: select, parameters: ['floor-dataset', scoredAt, 'floor'], kind: 'select' },
      );
    };
    const statements = publish(new Date(Date.UTC(2026, 0, 1)));
    figures.publishEmptyMs = await inTransaction(datastore, async (transaction) => {
      for (const statement of statements) await transaction.execute(statement);
    });
    expectRows('publish into an empty table', await countRows(datastore, outcomeTable), target.rows);
    // Another scored_at: every row is updated, none left as it was.
    figures.publishFullMs = await inTransaction(datastore, async (transaction) => {
      for (const statement of publish(new Date(Date.UTC(2026, 0, 2)))) await transaction.execute(statement);
    });
    expectRows('publish into a full table', await countRows(datastore, outcomeTable), target.rows);
    methods.publish =
      `the run's own UPSERT from a SELECT, ${statements.map((statement) => code(statement.sql)).join(' then ')}, ` +
      "from floor_assignment into an empty outcome-shaped table (beside the run's publish), then into the same table holding every row (every row updated); timed without the commit, as publishMs";
    log(
      `floor ${target.database.name}: read ${ms(figures.readMs)}, save ${ms(figures.saveMs)}, publish ${ms(figures.publishEmptyMs)} (into a full table ${ms(figures.publishFullMs)})`,
    );
    await dropTables(datastore, [assignmentTable, outcomeTable]);
    return { ...figures, methods };
  } finally {
    await datastore.close();
  }
}

// A floor that did less than the whole work would look fast.
function expectRows(phase: string, found: number, expected: number): void {
  if (found !== expected) throw new Error(`floor ${phase}: ${found} rows, expected ${expected}`);
}

async function countRows(datastore: Datastore, table: string): Promise<number> {
  const [row] = await datastore.query({
    sql: `SELECT COUNT(*) AS ${datastore.dialect.quoteIdentifier('row_count')} FROM ${datastore.dialect.quoteIdentifier(table)}`,
    parameters: [],
    kind: 'select',
  });
  return Number(row?.row_count);
}

/** A markdown code span that holds MariaDB's backticks too. */
const code = (sql: string): string => (sql.includes('`') ? `\`\` ${sql} \`\`` : `\`${sql}\``);

const ms = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value)} ms`);

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** The work's time inside a transaction, the commit left out. */
async function inTransaction(datastore: Datastore, work: (transaction: Executor) => Promise<unknown>): Promise<number> {
  let elapsed = Number.NaN;
  await datastore.transaction(async (transaction) => {
    elapsed = await timed(() => work(transaction));
  });
  return elapsed;
}

async function dropTables(datastore: Datastore, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await datastore.execute({ sql: `DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`, parameters: [], kind: 'ddl' });
  }
}

/**
 * COPY … TO a server file needs a superuser (or pg_write_server_files): psql as postgres over the local
 * socket, as scripts/services/postgres.sh administers the test server. Its \timing is the statement's time.
 */
function copyToDevNull(target: FloorTarget, ordered: string): { ms: number; rows: number } | { refused: string } {
  if (process.getuid?.() !== 0) return { refused: 'not root, so no psql as postgres' };
  const config = pgConfig(target.connectionString);
  const qualified = ordered.replace(/ FROM ("[^"]+")/, ` FROM "${target.postgresqlSchema ?? 'public'}".$1`);
  const child = spawnSync(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      'psql',
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-p',
      String(config.port),
      '-d',
      String(config.database),
      '-c',
      '\\timing on',
      '-c',
      `COPY (${qualified}) TO '/dev/null'`,
    ],
    { encoding: 'utf8', cwd: '/' },
  );
  const time = /Time: ([\d.]+) ms/.exec(child.stdout ?? '');
  const reason = [child.stderr, child.error?.message].find((text) => text?.trim()) ?? 'no timing';
  if (child.status !== 0 || !time) return { refused: reason.trim().split('\n')[0]! };
  return { ms: Number(time[1]), rows: Number(/^COPY (\d+)/m.exec(child.stdout)?.[1]) };
}
