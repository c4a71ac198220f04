import type { ColumnDefinition, ColumnType, SqlValue, UpsertSpec } from '../../../src/datastore/types';
import type { RunFilter, RunKey, RunOrder } from '../../../src/modules/run/run.repository';
import type { KeysetPage } from '../../../src/shared/keyset-page';

/**
 * TESTS ONLY: what the statement inventory (docs/development.md#the-statement-inventory) cannot find by
 * reflection: the variants of a method whose SQL text differs by its arguments, and the methods that
 * write no SQL the Oracle family runs, each with its reason.
 */

/** Files outside the dialects and repositories that write SQL text (inventory.test.ts finds them all). */
export const BUILDER_MODULES: readonly string[] = ['src/datastore/migrations/migrator.ts'];

/** Names a call's variants from its arguments and result; each variant must run on H2 once it is produced anywhere. */
export type VariantLabeler = (args: readonly unknown[], result: unknown) => readonly string[];

// A Record over ColumnType: a new column type stops this compiling until it is listed.
const COLUMN_TYPES = Object.keys({ string: 0, text: 0, integer: 0, bigint: 0, double: 0, timestamp: 0, boolean: 0 } satisfies Record<ColumnType, 0>);

const columnType = (column: unknown) => [(column as ColumnDefinition).type];
const upsertFlags = (spec: UpsertSpec) => [...(spec.newKeysOnly ? ['newKeysOnly'] : []), ...(spec.sharedValues ? ['sharedValues'] : [])];
const everyColumnAKey = (spec: UpsertSpec) => spec.columns.every((column) => spec.keyColumns.includes(column.name));

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/;

export function valueKind(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (value instanceof Date) return 'timestamp';
  if (Buffer.isBuffer(value)) return 'binary';
  if (typeof value === 'string') return TIMESTAMP_TEXT.test(value) ? 'timestamp as text' : 'text';
  return typeof value;
}

/** Dialect methods by name, whichever class defines them. */
export const DIALECT_VARIANTS: Readonly<Record<string, VariantLabeler>> = {
  paginate: (_args, result) => [/\bROWNUM\b/i.test((result as { sql: string }).sql) ? 'ROWNUM' : 'OFFSET/FETCH'],
  columnTypeSql: ([column]) => columnType(column),
  addColumnSql: ([column]) => columnType(column),
  compileAddColumn: ([, column]) => columnType(column),
  placeholder: ([column]) => columnType(column),
  parameterSql: ([column]) => columnType(column),
  compileKeyCondition: ([keys, values, strict, last]) => [
    `${String(strict)} … ${String(last)}`,
    (keys as unknown[]).length > 1 ? 'composite key' : 'one key column',
    ...(values as SqlValue[]).map(valueKind),
  ],
  compileUpsert: ([spec]) => upsertFlags(spec as UpsertSpec),
  upsertStatements: ([spec]) => upsertFlags(spec as UpsertSpec),
  valuesUpsertSql: ([spec, rowCount]) => [(rowCount as number) > 1 ? 'several rows' : 'one row', ...upsertFlags(spec as UpsertSpec)],
  mergeSql: ([spec]) => [everyColumnAKey(spec as UpsertSpec) ? 'every column a key' : 'update and insert'],
};

/** Builder methods by key: their SQL differs by filter, key types and options. */
export const BUILDER_VARIANTS: Readonly<Record<string, VariantLabeler>> = {
  // list and listWithDatasets both write their SQL here.
  'RunRepository.listPage': ([filter, order, page, fields, withDatasets]) => [
    fields === undefined ? 'every column' : 'the columns of some fields',
    withDatasets ? 'with datasets' : 'runs only',
    ...Object.entries(filter as RunFilter)
      .filter(([, value]) => value !== null && value !== undefined && (!Array.isArray(value) || value.length > 0))
      .map(([name]) => name),
    `ORDER BY ${(order as RunOrder).field}`,
    ...afterKey(page as KeysetPage<RunKey>, (key) => `after ${key.at === null ? 'a NULL' : 'a'} key, ORDER BY ${(order as RunOrder).field}`),
  ],
  // The per-entity table's page (runs before migration 7); a chunked run's page reads whole chunks whatever the arguments.
  'AssignmentRepository.pageOfRows': ([, cluster, page]) => [
    cluster === null ? 'every cluster' : 'one cluster',
    ...afterKey(page as KeysetPage<string>, () => 'after a key'),
  ],
  'OutcomeRepository.page': ([, , page]) => afterKey(page as KeysetPage<string>, () => 'after a key'),
  'OutcomeRepository.pageOfRun': ([, , , page]) => afterKey(page as KeysetPage<string>, () => 'after a key'),
  'DatasetTableRepository.rowsUpTo': ([, , options]) => [(options as { completeOnly: boolean }).completeOnly ? 'complete rows only' : 'every row'],
  'DatasetTableRepository.keyViolations': ([, keyColumns]) => {
    const columns = keyColumns as readonly { type: string }[];
    return columns.map((column) => `${columns.length > 1 ? 'composite' : 'one'} ${keyTypeKind(column.type)} key`);
  },
};

// A keyset page's SQL has one condition more after a key (and on a nullable key, another form after a NULL).
function afterKey<Key>(page: KeysetPage<Key>, label: (key: Key) => string): string[] {
  return page.after === null ? ['first page'] : [label(page.after)];
}

function keyTypeKind(typeName: string): string {
  if (/TIMESTAMP|DATE/i.test(typeName)) return 'timestamp';
  if (/FLOAT|DOUBLE|REAL/i.test(typeName)) return 'double';
  if (/NUMBER|INT|DEC|NUMERIC/i.test(typeName)) return 'number';
  return 'text';
}

/**
 * Variants that must run on H2 even if no test produces them: by source key (a class's own method, a
 * builder), else, for a dialect method, by its name in every class that defines it.
 * The rest are the variants any test produces (a dialect unit test writing ROWNUM paging is enough).
 */
export const EXPECTED_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  // Oracle pages with OFFSET/FETCH; Tibero 7 (and 6 from FS07) too, an older or unknown Tibero with ROWNUM.
  paginate: ['OFFSET/FETCH'],
  'TiberoDialect.paginate': ['OFFSET/FETCH', 'ROWNUM'],
  columnTypeSql: COLUMN_TYPES,
  placeholder: COLUMN_TYPES,
  // A timestamp key's bound is a Date on the Oracle family (timestampKeysAsDates): its variant is required once produced.
  compileKeyCondition: ['> … >', '< … <=', 'one key column', 'composite key', 'text', 'number'],
  upsertStatements: ['newKeysOnly', 'sharedValues'],
  valuesUpsertSql: ['one row', 'several rows'],
  mergeSql: ['update and insert', 'every column a key'],
  'RunRepository.listPage': [
    'every column',
    'the columns of some fields',
    'with datasets',
    'runs only',
    'datasetIds',
    'statuses',
    'createdAfter',
    'createdBefore',
    'ORDER BY CREATED_AT',
    'ORDER BY FINISHED_AT',
    'first page',
    'after a key, ORDER BY CREATED_AT',
    'after a key, ORDER BY FINISHED_AT',
    'after a NULL key, ORDER BY FINISHED_AT',
  ],
  'AssignmentRepository.pageOfRows': ['every cluster', 'one cluster', 'first page', 'after a key'],
  'OutcomeRepository.page': ['first page', 'after a key'],
  'OutcomeRepository.pageOfRun': ['first page', 'after a key'],
  'DatasetTableRepository.rowsUpTo': ['complete rows only', 'every row'],
  // Those whose SQL differs: a text's length, escapes counted in a composite text, an integer's digits, a timestamp's fraction.
  'DatasetTableRepository.keyViolations': ['one text key', 'composite text key', 'composite number key', 'one timestamp key'],
};

/**
 * Methods (or `method#variant` units) that write no SQL the Oracle family runs, and why. An excluded
 * method that returns a statement fails the inventory, so this list cannot hide one.
 */
export const EXCLUDED: Readonly<Record<string, string>> = {
  'SqlDialect.assertIdentifier': 'validates a name; returns nothing',
  'SqlDialect.schemaLockStatements': 'none for the Oracle family (DBMS_LOCK needs a grant): its migrations rely on being idempotent',
  'OracleDialect.identifierFromDatabase': 'reads a name the catalog returned; writes no SQL',
  'SqlDialect.readServerVersion': 'reads the version query’s rows; writes no SQL',
  'TiberoDialect.readServerVersion': 'reads the version query’s rows; writes no SQL',
  'SqlDialect.readCatalogColumn': 'reads a catalog row; writes no SQL',
  'SqlDialect.isNumericType': 'a predicate over a catalog type name',
  'SqlDialect.isTimestampType': 'a predicate over a catalog type name',
  'SqlDialect.isFloatingType': 'a predicate over a catalog type name',
  'SqlDialect.textHoldsNulSql': 'undefined on the Oracle family (its CHR(0) is not checked against a server here): no SQL',
  'SqlDialect.isReservedTableName': 'a predicate over a table name; writes no SQL',
  'SqlDialect.packedRowCharacters': 'a count of characters (the text budget of compilePackedPage, which has no Oracle-family form); writes no SQL',
  'SqlDialect.classifyError': 'classifies driver errors; writes no SQL',
  'OracleDialect.classifyNative': 'classifies driver errors; writes no SQL',
  'TiberoDialect.classifyNative': 'classifies driver errors; writes no SQL',
  'SqlDialect.updatableColumns': 'returns column definitions; writes no SQL',
  'SqlDialect.columnsBoundOnce': 'returns column definitions (none for the Oracle family); writes no SQL',
  'SqlDialect.setBasedUpsert': 'undefined for the Oracle family: its UPSERT is the multi-row MERGE',
  'SqlDialect.columnArraysSources': 'undefined for the Oracle family: its rows go through the multi-row MERGE',
  'SqlDialect.serverCursorStatements': 'undefined for the Oracle family: the driver’s cursor reads',
  'SqlDialect.refreshStatisticsStatements': 'none for the Oracle family (DBMS_STATS would commit)',
  'SqlDialect.compileUpsertFromSelectPreamble': 'none for the Oracle family: its MERGE needs no lock first',
  'SqlDialect.compileStoreUncompressed': 'none for the Oracle family: a CLOB’s storage is left to the DBA',
  'SqlDialect.nonNumberMasks': 'none for the Oracle family: its numeric columns hold only numbers',
  'SqlDialect.nonNumericSql': 'called only where numeric columns hold text (SQLite)',
  'SqlDialect.exactKeyType': 'maps a key column’s ODBC type code; writes no SQL',
  'SqlDialect.exactNumber': 'reads exactNumberSql’s text back as a number; writes no SQL',
  'SqlDialect.exactDouble': 'reads the value exactDoubleSelectSql selected (a number on the Oracle family) back as a double; writes no SQL',
  'SqlDialect.previewValue': 'reads the value previewExactSql selected back (a double, or a decimal’s text); writes no SQL',
  'SqlDialect.exactNumberColumns': 'names the columns read as exactNumberSql’s text (none for the Oracle family); writes no SQL',
  'SqlDialect.compilePackedPage': 'undefined for the Oracle family: its driver reads NUMBER columns as doubles already',
  'SqlDialect.driverConnectionString': 'returns the connection string the driver is given; writes no SQL',
  'SqlDialect.allOf': 'joins a read’s own condition to the NULL-key one in reads by key (SQLite, MariaDB); the Oracle family reads through the driver’s cursor',
  'SqlDialect.packedPage': 'compilePackedPage’s shared part; the Oracle family has no packed form',
  'SqlDialect.packedProbe': 'packedPageProbe’s shared part; the Oracle family has no packed form',
  'SqlDialect.packedPageProbe': 'undefined for the Oracle family: it has no packed pages to check',
  'SqlDialect.valuesRows': 'the ON CONFLICT form of PostgreSQL and SQLite; the Oracle family never calls it',
  'SqlDialect.onConflictUpsertSql': 'the ON CONFLICT form of PostgreSQL and SQLite; the Oracle family never calls it',
  'SqlDialect.onConflictClause': 'the ON CONFLICT form of PostgreSQL and SQLite; the Oracle family never calls it',
  'run.repository.toRecord': 'maps a row to a record; writes no SQL',
  'run.repository.runKey': 'reads the sort key a cursor holds from a record; writes no SQL',
  'run.repository.columnsOfFields':
    'names the columns a listing reads for the fields asked; writes no SQL (RunRepository.listPage, whose statements run on H2, uses it)',
  'dataset.repository.datasetJoin':
    'writes parts of a statement, not one: RunRepository.listPage joins them into its listing with datasets, whose statements run on H2',
  'dataset.repository.joinedDataset': 'maps a joined row to a dataset record; writes no SQL',
  'AssignmentRepository.refreshStatistics': 'runs refreshStatisticsStatements, none for the Oracle family',
  'OutcomeRepository.refreshStatistics': 'runs refreshStatisticsStatements, none for the Oracle family',
};
