import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SqlValue, TableDefinition } from '../../../src/datastore/types';
import { readFeatureTable } from '../../../src/modules/run/dataset-reader';
import { RoundTripGenerator, ROUND_TRIP_SEED, type GeneratedColumn } from '../../support/round-trip-data';
import { assertRoundTrip } from '../../support/round-trip-compare';
import { exactly, openRoundTripStore, ROUND_TRIP_TARGETS, sameDouble, type RoundTripStore, type RoundTripTarget } from '../../support/round-trip-targets';
import { runRecord } from '../../support/runs';

/**
 * Path (b) of the round trip: a dataset's rows as a run reads them (readFeatureTable). Tables keyed by
 * an INTEGER, a BIGINT beyond 2^53, Unicode text at its column's limit, a TIMESTAMP and all three
 * together are written as a user would, then read back in batches of BATCH rows, on one connection and
 * in three key ranges side by side (each into its slot of one matrix); every entity key and every
 * feature value (NaN for NULL) is compared with what was written.
 */
const ROWS = 3_100;
// The reader's batch and the multi-row VALUES form's statement: NULLs sit at both edges of each, and
// 3,100 rows make three full statements of one text and a short one.
const BATCH = 1_000;

interface KeyColumn extends GeneratedColumn {
  /** A key value; `emptyIsNull`: the engine stores '' as NULL (SqlDialect.emptyStringIsNull), so no NOT NULL key can be ''. */
  readonly unique: (generator: RoundTripGenerator, row: number, emptyIsNull: boolean) => SqlValue;
}

const FEATURES: readonly GeneratedColumn[] = [
  { name: 'f_random', type: 'double', nulls: 'random' },
  { name: 'f_edges', type: 'double', nulls: 'edges' },
  { name: 'f_alternating', type: 'double', nulls: 'alternating' },
  { name: 'f_all_null', type: 'double', nulls: 'all' },
  { name: 'f_complete', type: 'double' },
  { name: 'f_integer', type: 'integer', nulls: 'random' },
  { name: 'f_bigint', type: 'bigint', nulls: 'random' },
];

const TABLES: readonly { readonly name: string; readonly keys: readonly KeyColumn[]; readonly features: readonly GeneratedColumn[] }[] = [
  { name: 'rtread_integer_key', keys: [{ name: 'id', type: 'integer', nullable: false, unique: (generator) => generator.int32() }], features: FEATURES },
  {
    name: 'rtread_bigint_key',
    keys: [{ name: 'id', type: 'bigint', nullable: false, unique: (generator) => generator.bigint() }],
    features: FEATURES.slice(0, 2),
  },
  {
    name: 'rtread_text_key',
    // A row-number prefix keeps keys apart; the rest is Unicode up to the column's 40 characters.
    keys: [{ name: 'code', type: 'string', length: 40, nullable: false, unique: (generator, row) => `${row}:${generator.text(40 - String(row).length - 1)}` }],
    features: FEATURES.slice(0, 2),
  },
  {
    name: 'rtread_timestamp_key',
    keys: [{ name: 'observed_at', type: 'timestamp', nullable: false, unique: (generator) => generator.timestamp() }],
    features: FEATURES.slice(0, 2),
  },
  {
    name: 'rtread_composite_key',
    keys: [
      {
        name: 'region',
        type: 'string',
        length: 24,
        nullable: false,
        unique: (generator, _row, emptyIsNull) => generator.text(emptyIsNull ? 1 + generator.integer(24) : generator.integer(25)),
      },
      { name: 'observed_at', type: 'timestamp', nullable: false, unique: (generator) => generator.timestamp() },
      { name: 'serial', type: 'bigint', nullable: false, unique: (generator) => generator.bigint() },
    ],
    features: FEATURES.slice(0, 3),
  },
];

for (const target of ROUND_TRIP_TARGETS) {
  describe(`round trip, dataset rows as a run reads them, on ${target.name}`, () => {
    let store: RoundTripStore;

    before(async () => {
      store = await openRoundTripStore(target, 'rtread_');
    });
    after(async () => {
      await store?.drop(TABLES.map((table) => table.name));
      await store?.close();
    });

    TABLES.forEach((table, index) => {
      const keyKinds = table.keys.map((key) => (key.type === 'string' ? `text(${key.length})` : key.type)).join(', ');
      it(`key (${keyKinds}): every entity key and feature value is read back as written, NULL as NaN (${ROWS} rows in batches of ${BATCH}, in 1 and 3 parts)`, async () => {
        const seed = ROUND_TRIP_SEED + index;
        const rows = generateRows(new RoundTripGenerator(seed), table.keys, table.features, store.datastore.dialect.emptyStringIsNull);
        const definition: TableDefinition = { name: table.name, columns: [...table.keys, ...table.features], primaryKey: table.keys.map((key) => key.name) };
        await store.drop([table.name]);
        await store.datastore.execute(store.datastore.dialect.compileCreateTable(definition));
        await store.datastore.executeAll(
          store.datastore.dialect.compileUpsert({ table: table.name, keyColumns: definition.primaryKey, columns: definition.columns, rows }),
        );

        const params = {
          ...runRecord('round-trip').params,
          table: table.name,
          keyColumns: definition.primaryKey,
          featureColumns: table.features.map((feature) => feature.name),
        };
        // One connection, then three key ranges side by side, each read into its slot of one matrix.
        let whole: { keys: string[]; values: number[] } | undefined;
        for (const parts of [1, 3]) {
          const read = await readFeatureTable(store.datastore, store.datastore.dialect, params, BATCH, { shouldCancel: () => false }, parts, 500);
          assert.equal(read.columns, table.features.length);
          assert.equal(read.values.length, read.rows * read.columns);
          const readRows = Array.from({ length: read.rows }, (_, row) => ({
            key: read.keys.keyOf(row),
            values: Array.from(read.values.subarray(row * read.columns, (row + 1) * read.columns)),
          }));
          assertRoundTrip({
            what: `${table.name} read by readFeatureTable in ${parts} part(s) on ${target.name}`,
            seed,
            written: rows,
            read: readRows,
            keyOfWritten: (row) => entityKeyOf(table.keys.map((key) => row[key.name] ?? null)),
            keyOfRead: (row) => row.key,
            columns: table.features.map((feature, column) => ({
              name: feature.name,
              expected: (row: Record<string, SqlValue>) => featureValue(row[feature.name] ?? null),
              actual: (row: { values: number[] }) => row.values[column],
              ...(feature.type === 'double' ? { same: sameFeature(target) } : {}),
            })),
          });
          const seen = { keys: readRows.map((row) => row.key), values: Array.from(read.values) };
          if (whole) assert.deepEqual(seen, whole, `${parts} parts read the same rows in the same order as one`);
          whole ??= seen;
        }
      });
    });
  });
}

/**
 * How a double reads back. SQLite reads a table with one integer key in packed pages, every double
 * exact (SqliteDialect.compilePackedPage), and the rest through the driver with each feature selected
 * as its exact text (SqliteDialect.exactNumberSql), so every double is exact there too; the other
 * targets as their driver reads a double.
 */
function sameFeature(target: RoundTripTarget): (expected: unknown, actual: unknown) => boolean {
  return target.name === 'sqlite' ? sameDouble({ ...target, readsBackDouble: exactly }) : sameDouble(target);
}

/** ROWS rows with unique keys, features drawn from the generator (what the engine would refuse left out). */
function generateRows(
  generator: RoundTripGenerator,
  keys: readonly KeyColumn[],
  features: readonly GeneratedColumn[],
  emptyIsNull: boolean,
): Record<string, SqlValue>[] {
  const seen = new Set<string>();
  const keyValues = Array.from({ length: ROWS }, (_, row) => {
    for (;;) {
      const values = keys.map((key) => key.unique(generator, row, emptyIsNull));
      const text = entityKeyOf(values);
      if (seen.has(text)) continue;
      seen.add(text);
      return values;
    }
  });
  const rows = generator.rows(ROWS, features, BATCH, (column) => {
    if (column.type === 'integer') return generator.int32();
    if (column.type === 'bigint') return generator.bigint();
    return generator.double();
  });
  return rows.map((row, index) => ({ ...Object.fromEntries(keys.map((key, part) => [key.name, keyValues[index]![part]!])), ...row }));
}

/**
 * The entity key the reader is documented to give (README, "The outcome table"): a single key's value as
 * text, a composite key as a JSON array; timestamps in ISO 8601 UTC, a BIGINT beyond 2^53 as its decimal text.
 */
function entityKeyOf(parts: readonly SqlValue[]): string {
  const asRead = parts.map((part) => (part instanceof Date ? part.toISOString() : typeof part === 'bigint' ? part.toString() : part));
  return asRead.length === 1 ? String(asRead[0]) : JSON.stringify(asRead);
}

/** A feature as the reader gives it: NULL as NaN, an integer as the nearest double. */
function featureValue(value: SqlValue): number {
  if (value === null) return Number.NaN;
  return Number(value);
}
