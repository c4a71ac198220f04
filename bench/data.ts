import { Datastore } from '../src/datastore/datastore';
import { dialectFor } from '../src/datastore/dialects';
import type { DialectName } from '../src/config/dialect-name';
import type { ColumnDefinition, SqlValue } from '../src/datastore/types';
import type { RunParams } from '../src/modules/run/run.record';
import { SeededRandom } from '../src/shared/seeded-random';

/**
 * The benchmark data (issue 6): deterministic blob tables, the same on every database and every
 * machine, and the connection to the database a benchmark runs on.
 *
 * A table `bench_blobs_<rows>` (BENCH_BLOB_TABLE_PREFIX) holds `entity_id` (INTEGER, primary key, 1…rows) and `f01`…`f10`
 * (DOUBLE): each row is one of 10 centres drawn uniformly in [-10, 10]^10 plus Gaussian noise of
 * standard deviation `BLOB_SPREAD` (scikit-learn make_blobs' defaults: centre box ±10, cluster_std 1).
 */
export const BENCH_COLUMNS = 10;
export const BENCH_CLUSTERS = 10;
export const BLOB_SPREAD = 1;
export const BLOB_SEED = 20_261_126;

export interface BenchDatabase {
  /** sqlite | postgresql | mariadb: names the database in results. */
  readonly name: string;
  readonly dialect: DialectName;
  readonly connectionString: string;
}

export const featureColumns = (columns = BENCH_COLUMNS): string[] => Array.from({ length: columns }, (_, j) => `f${String(j + 1).padStart(2, '0')}`);

/** BENCH_BLOB_TABLE_PREFIX, default bench_blobs_: a bench of 1M+ rows on a shared server keeps its tables under its own name. */
const BLOB_TABLE_PREFIX = process.env.BENCH_BLOB_TABLE_PREFIX ?? 'bench_blobs_';
if (!/^[a-z][a-z0-9_]{0,40}$/.test(BLOB_TABLE_PREFIX)) throw new Error(`BENCH_BLOB_TABLE_PREFIX must be a lower-case SQL name, got "${BLOB_TABLE_PREFIX}"`);

export const benchTable = (rows: number): string => `${BLOB_TABLE_PREFIX}${rows}`;

/** The feature values of rows [from, to) of the blob table, row-major; every call for the same row gives the same values. */
export function blobValues(rows: number, columns = BENCH_COLUMNS, k = BENCH_CLUSTERS, spread = BLOB_SPREAD, seed = BLOB_SEED): Float64Array {
  const random = new SeededRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: columns }, () => random.next() * 20 - 10));
  const values = new Float64Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const centre = centres[random.integer(k)]!;
    for (let j = 0; j < columns; j++) values[i * columns + j] = centre[j]! + spread * random.normal();
  }
  return values;
}

export function openBenchDatastore(database: BenchDatabase, poolMax = 2): Datastore {
  return Datastore.create({
    connectionString: database.connectionString,
    dialect: dialectFor(database.dialect),
    poolMax,
    acquireTimeoutMs: 60_000,
    queryTimeoutMs: 0,
    idleTimeoutMs: 60_000,
  });
}

/**
 * Creates and fills `bench_blobs_<rows>` unless it already holds exactly `rows` rows (the content is
 * deterministic, so a table of the right size is the right table). Returns the seconds spent loading
 * (0 when the table was already there). Loading is set-up, not a measured figure.
 */
export async function ensureBlobTable(datastore: Datastore, rows: number, log: (line: string) => void = () => undefined): Promise<number> {
  const dialect = datastore.dialect;
  const table = benchTable(rows);
  const q = (name: string) => dialect.quoteIdentifier(name);
  const existing = await datastore.query(dialect.listTablesStatement());
  const present = existing.some((row) => String(Object.values(row)[0]).toLowerCase() === table);
  if (present) {
    const [count] = await datastore.query(dialect.countRowsStatement(table));
    if (Number(Object.values(count ?? {})[0]) === rows) return 0;
    await datastore.execute({ sql: `DROP TABLE ${q(table)}`, parameters: [], kind: 'ddl' });
  }
  const started = performance.now();
  log(`loading ${rows} rows into ${table}`);
  const columns: ColumnDefinition[] = [
    { name: 'entity_id', type: 'integer', nullable: false },
    ...featureColumns().map((name): ColumnDefinition => ({ name, type: 'double', nullable: false })),
  ];
  await datastore.execute(dialect.compileCreateTable({ name: table, columns, primaryKey: ['entity_id'] }));
  const values = blobValues(rows);
  const names = featureColumns();
  const chunk = 50_000;
  for (let from = 0; from < rows; from += chunk) {
    const batch: Record<string, SqlValue>[] = [];
    for (let i = from; i < Math.min(rows, from + chunk); i++) {
      const row: Record<string, SqlValue> = { entity_id: i + 1 };
      names.forEach((name, j) => (row[name] = values[i * BENCH_COLUMNS + j]!));
      batch.push(row);
    }
    await datastore.executeAll(dialect.compileUpsert({ table, keyColumns: ['entity_id'], columns, rows: batch }));
  }
  const seconds = (performance.now() - started) / 1000;
  log(`loaded ${table} in ${seconds.toFixed(1)} s`);
  return seconds;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** A run's parameters for reading `table` (keyed by `keyColumns`, the bench's features) as readFeatureTable reads it: k = 10, nothing dropped or scaled. */
export function readParams(table: string, keyColumns: readonly string[]): RunParams {
  return {
    k: 10,
    kRange: null,
    initialization: 'KMEANS_PLUS_PLUS',
    nInit: 1,
    maxIterations: 300,
    tolerance: 0,
    seed: 1,
    preparation: { missing: 'DROP', scaling: 'NONE' },
    publishOutcomes: false,
    table,
    keyColumns: [...keyColumns],
    featureColumns: featureColumns(),
  };
}
