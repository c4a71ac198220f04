import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Datastore } from '../src/datastore/datastore';
import { dialectFor, refineForServer, type SqlDialect } from '../src/datastore/dialects';
import { APP_MIGRATIONS } from '../src/datastore/migrations/app-migrations';
import { migrate } from '../src/datastore/migrations/migrator';
import { MIGRATIONS_TABLE } from '../src/datastore/migrations/migration';
import { OutcomeRepository } from '../src/modules/outcome/outcome.repository';
import { DEFAULT_OUTCOME_TABLE } from '../src/modules/outcome/outcome-table';
import type { AssignmentColumns } from '../src/modules/run/assignment-chunk-codec';
import { keyOrder, pickRows } from '../src/modules/run/assignment-order';
import { ASSIGNMENT_CHUNK_ROWS, AssignmentRepository, type Assignment } from '../src/modules/run/assignment.repository';
import { SeededRandom } from '../src/shared/seeded-random';
import { benchDatabases } from './main';

/**
 * Issue 16 item 1: a run's two final writes at the end of a 1M-row run, the way the code did them before
 * (`rows`: every assignment INSERTed into ai_run_assignment in the final transaction, then the outcomes
 * UPSERTed from that table by one statement inside the database) and the way a run does now (`chunks`:
 * the assignments packed into ai_run_assignment_chunk, then the outcomes UPSERTed from memory), in the
 * same process, alternating, on tables of its own (`i16s_` + the app's names), into an empty outcome table
 * each time as in a fresh end-to-end run. `sortMs` is the key sort a run does while its worker computes.
 *
 *   node dist/bench/assignment-storage.js [--databases postgresql,sqlite,mariadb] [--rows 1000000] [--repeat 3]
 *     [--methods rows,chunks] [--chunk-rows 16384]
 */
const PREFIX = 'i16s_';
const DATASET_ID = 'bench-assignment-storage';
const APP_TABLES = [MIGRATIONS_TABLE.name, ...APP_MIGRATIONS.flatMap((migration) => migration.tables.map((table) => table.name))];

function prefixed<T extends SqlDialect>(dialect: T): T {
  const names = new Map(APP_TABLES.map((name) => [name, `${PREFIX}${name}`]));
  const back = new Map([...names].map(([name, renamed]) => [renamed, name]));
  return new Proxy(dialect, {
    get(target, property, receiver) {
      if (property === 'quoteIdentifier') return (name: string) => target.quoteIdentifier.call(receiver, names.get(name) ?? name);
      if (property === 'identifierToDatabase') return (name: string) => target.identifierToDatabase.call(receiver, names.get(name) ?? name);
      if (property === 'identifierFromDatabase')
        return (name: string) => {
          const read = target.identifierFromDatabase.call(receiver, name);
          return back.get(read) ?? (names.has(read) ? `${read} (not this bench's)` : read);
        };
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

async function open(name: string): Promise<{ datastore: Datastore; cleanUp: () => void }> {
  const [database] = benchDatabases([name]);
  let connectionString = database!.connectionString;
  let folder: string | null = null;
  if (database!.dialect === 'sqlite') {
    folder = mkdtempSync(path.join(tmpdir(), 'i16s-bench-'));
    connectionString = `Driver={SQLite3};Database=${path.join(folder, 'bench.sqlite')};Timeout=10000;JournalMode=WAL`;
  }
  const options = { connectionString, poolMax: 2, acquireTimeoutMs: 60_000, queryTimeoutMs: 0, idleTimeoutMs: 60_000 };
  const probe = Datastore.create({ ...options, dialect: dialectFor(database!.dialect) });
  const version = await probe.detectServer();
  await probe.close();
  const datastore = Datastore.create({ ...options, dialect: prefixed(refineForServer(dialectFor(database!.dialect), version)) });
  return { datastore, cleanUp: () => folder && rmSync(folder, { recursive: true, force: true }) };
}

async function dropAll(datastore: Datastore): Promise<void> {
  for (const table of APP_TABLES)
    await datastore.execute({ sql: `DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`, parameters: [], kind: 'ddl' });
}

interface Figures {
  readonly database: string;
  readonly method: 'rows' | 'chunks';
  readonly sortMs: number;
  readonly saveMs: number;
  readonly publishMs: number;
}

async function once(
  datastore: Datastore,
  method: Figures['method'],
  runId: string,
  columns: AssignmentColumns,
  chunkRows: number,
): Promise<Omit<Figures, 'database'>> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const repository = new AssignmentRepository(datastore, chunkRows);
  const outcomes = new OutcomeRepository(datastore);
  const scoredAt = new Date();
  await datastore.execute({ sql: `DELETE FROM ${q(DEFAULT_OUTCOME_TABLE)}`, parameters: [], kind: 'delete' });
  let started = performance.now();
  let sortMs = 0;
  let saveMs: number;
  let publishMs: number;
  if (method === 'rows') {
    const rows: Assignment[] = columns.keys.map((entityKey, row) => ({ entityKey, cluster: columns.clusters[row]!, distance: columns.distances[row]! }));
    started = performance.now();
    await datastore.transaction((transaction) => repository.saveRows(runId, rows, transaction));
    saveMs = performance.now() - started;
    // What the executor ran between the two (PostgreSQL's ANALYZE of the assignments).
    await repository.refreshStatistics();
    started = performance.now();
    await datastore.transaction((transaction) => outcomes.publishFromAssignments(runId, DEFAULT_OUTCOME_TABLE, DATASET_ID, scoredAt, transaction));
    publishMs = performance.now() - started;
  } else {
    const order = keyOrder(columns.keys);
    const sorted = pickRows(columns, order);
    sortMs = performance.now() - started;
    started = performance.now();
    await datastore.transaction((transaction) => repository.saveColumns(runId, sorted, transaction, true));
    saveMs = performance.now() - started;
    started = performance.now();
    await datastore.transaction((transaction) => outcomes.publishColumns(runId, DEFAULT_OUTCOME_TABLE, DATASET_ID, scoredAt, sorted, transaction));
    publishMs = performance.now() - started;
  }
  const outcomeRows = await outcomes.count(DEFAULT_OUTCOME_TABLE, DATASET_ID);
  if (outcomeRows !== columns.keys.length) throw new Error(`${method}: ${outcomeRows} outcome rows for ${columns.keys.length} assignments`);
  return { method, sortMs, saveMs, publishMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      databases: { type: 'string', default: 'postgresql,sqlite,mariadb' },
      rows: { type: 'string', default: '1000000' },
      repeat: { type: 'string', default: '3' },
      'chunk-rows': { type: 'string', default: String(ASSIGNMENT_CHUNK_ROWS) },
      methods: { type: 'string', default: 'rows,chunks' },
    },
  });
  const rows = Number(values.rows);
  const random = new SeededRandom(16);
  // The bench table's keys (entity_id 1…rows as text), k = 10.
  const columns: AssignmentColumns = {
    keys: Array.from({ length: rows }, (_, index) => String(index + 1)),
    clusters: Int32Array.from({ length: rows }, () => random.integer(10)),
    distances: Float64Array.from({ length: rows }, () => random.next() * 12),
  };
  const figures: Figures[] = [];
  for (const name of values.databases.split(',')) {
    const { datastore, cleanUp } = await open(name);
    try {
      await dropAll(datastore);
      await migrate(datastore, APP_MIGRATIONS);
      for (let repetition = 0; repetition < Number(values.repeat); repetition++) {
        // Alternating which goes first, so neither always meets the other's dead rows.
        const chosen = values.methods.split(',') as Figures['method'][];
        const methods = repetition % 2 === 0 ? chosen : [...chosen].reverse();
        for (const method of methods) {
          const result = { database: name, ...(await once(datastore, method, `${method}-${repetition}`, columns, Number(values['chunk-rows']))) };
          figures.push(result);
          process.stderr.write(`${JSON.stringify(result)}\n`);
        }
      }
    } finally {
      await dropAll(datastore);
      await datastore.close();
      cleanUp();
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const lines = ["| database | storage | sort (in the worker's time) s | save s | publish s | save + publish s |", '|---|---|---|---|---|---|'];
  for (const name of values.databases.split(',')) {
    for (const method of values.methods.split(',') as Figures['method'][]) {
      const runs = figures.filter((figure) => figure.database === name && figure.method === method);
      const s = (pick: (figure: Figures) => number) => (median(runs.map(pick)) / 1000).toFixed(2);
      lines.push(`| ${name} | ${method} | ${s((f) => f.sortMs)} | ${s((f) => f.saveMs)} | ${s((f) => f.publishMs)} | ${s((f) => f.saveMs + f.publishMs)} |`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
