import { parseArgs } from 'node:util';
import type { Datastore } from '../src/datastore/datastore';
import type { SqlDialect } from '../src/datastore/dialects/dialect';
import { readFeatureTable } from '../src/modules/run/dataset-reader';
import { benchTable, ensureBlobTable, featureColumns, median, openBenchDatastore, readParams } from './data';
import { benchDatabase } from './read';

/**
 * `node dist/bench/driver-read.js --database sqlite|postgresql|mariadb [--rows 200000] [--repeat 5]`: what
 * reading every value whole costs where a run reads through the driver, a dataset keyed by text (no
 * packed form). The bench table's rows (bench/data.ts) are copied once into `bench_text_keys_<rows>`,
 * keyed by `k000000001`…; then readFeatureTable reads it as a run does, alternating two forms in this
 * process: `whole`, as the server reads (each feature as SqlDialect.exactNumberSql, SQLite's keys as
 * exactKeyTextSql), and `as-driver`, the same dialect with both turned off (the columns as the driver
 * reads them: SQLite's doubles through 15 digits, a negative DECIMAL that fills its precision cut).
 * The checksums differ where the driver rounds. Timings are results, not assertions (bench/RESULTS.md).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { database: { type: 'string', default: 'sqlite' }, rows: { type: 'string', default: '200000' }, repeat: { type: 'string', default: '5' } },
  });
  const database = benchDatabase(values.database);
  const rows = Number(values.rows);
  const datastore = openBenchDatastore(database);
  try {
    await datastore.detectServer();
    await ensureBlobTable(datastore, rows, (line) => process.stderr.write(`${line}\n`));
    const table = await ensureTextKeyedCopy(datastore, rows);
    const params = readParams(table, ['entity_key']);
    // `as-driver`: the datastore's own dialect with the whole-value forms off (own properties over its
    // methods, removed after each read), as the reads were before them.
    const dialect = datastore.dialect as SqlDialect & Record<string, unknown>;
    const asDriver = (on: boolean) => {
      for (const name of ['exactNumberSql', 'exactKeyTextSql']) {
        if (on) Object.defineProperty(dialect, name, { value: () => undefined, configurable: true });
        else delete dialect[name];
      }
    };
    const seconds: Record<'whole' | 'as-driver', number[]> = { whole: [], 'as-driver': [] };
    const checksums: Record<string, number> = {};
    for (let run = 0; run < Number(values.repeat); run++) {
      for (const form of ['whole', 'as-driver'] as const) {
        asDriver(form === 'as-driver');
        const started = performance.now();
        const read = await readFeatureTable(datastore, dialect, params, 2_000, { shouldCancel: () => false }, 1);
        seconds[form].push((performance.now() - started) / 1000);
        asDriver(false);
        let checksum = 0;
        for (const value of read.values) if (Number.isFinite(value)) checksum += value;
        checksums[form] = checksum;
        if (read.rows !== rows) throw new Error(`${form} read ${read.rows} of ${rows} rows`);
      }
    }
    const result = {
      database: database.name,
      rows,
      columns: featureColumns().length,
      medianSeconds: { whole: round(median(seconds.whole)), asDriver: round(median(seconds['as-driver'])) },
      seconds: { whole: seconds.whole.map(round), asDriver: seconds['as-driver'].map(round) },
      checksums,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await datastore.close();
  }
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** `bench_text_keys_<rows>`: the bench table keyed by text, made once (its rows are the bench table's). */
async function ensureTextKeyedCopy(datastore: Datastore, rows: number): Promise<string> {
  const dialect = datastore.dialect;
  const q = (name: string) => dialect.quoteIdentifier(name);
  const table = `bench_text_keys_${rows}`;
  const existing = await datastore.query(dialect.listTablesStatement());
  if (existing.some((row) => String(Object.values(row)[0]).toLowerCase() === table)) {
    const [count] = await datastore.query(dialect.countRowsStatement(table));
    if (Number(Object.values(count ?? {})[0]) === rows) return table;
    await datastore.execute({ sql: `DROP TABLE ${q(table)}`, parameters: [], kind: 'ddl' });
  }
  const features = featureColumns();
  await datastore.execute(
    dialect.compileCreateTable({
      name: table,
      columns: [
        { name: 'entity_key', type: 'string', length: 20, nullable: false },
        ...features.map((name) => ({ name, type: 'double' as const, nullable: false })),
      ],
      primaryKey: ['entity_key'],
    }),
  );
  // 'k' and the id as 9 digits: the same order as the ids (below 10^9).
  const id = q('entity_id');
  const keySql =
    dialect.variant === 'sqlite'
      ? `printf('k%09d', ${id})`
      : dialect.variant === 'postgresql'
        ? `'k' || lpad(CAST(${id} AS TEXT), 9, '0')`
        : `CONCAT('k', LPAD(${id}, 9, '0'))`;
  await datastore.execute({
    sql: `INSERT INTO ${q(table)} (${['entity_key', ...features].map(q).join(', ')}) SELECT ${keySql}, ${features.map(q).join(', ')} FROM ${q(benchTable(rows))}`,
    parameters: [],
    kind: 'update',
  });
  return table;
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
