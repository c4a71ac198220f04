import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { AppError } from '../../../src/errors/app-error';
import { APP_MIGRATIONS } from '../../../src/datastore/migrations/app-migrations';
import { migrate, migrationScript } from '../../../src/datastore/migrations/migrator';
import type { ColumnDefinition, SqlValue } from '../../../src/datastore/types';
import { CatalogRepository } from '../../../src/modules/dataset/catalog.repository';
import { ddl, openDatastore, select } from '../../support/databases';
import { scriptStatements } from '../../support/sql-script';
import { openRoundTripStore, ROUND_TRIP_TARGETS, type RoundTripStore } from '../../support/round-trip-targets';

/**
 * The schema statements on the Oracle and Tibero dialects on H2 in Oracle mode: the script a DBA runs
 * (`npm run db:ddl`) builds the same tables as the server's migrations and records its versions, so
 * the server then migrates nothing; a column of every type created, added with ALTER TABLE, written by
 * MERGE (one row, several rows, every column a key) and read back as written; the ping and the version
 * query.
 */
const TYPES: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'a_string', type: 'string', length: 40 },
  { name: 'a_text', type: 'text' },
  { name: 'an_integer', type: 'integer' },
  { name: 'a_bigint', type: 'bigint' },
  { name: 'a_double', type: 'double' },
  { name: 'a_timestamp', type: 'timestamp' },
  { name: 'a_boolean', type: 'boolean' },
];
const ROW_ONE: Record<string, SqlValue> = {
  id: 1,
  a_string: '문자열 "quoted"',
  a_text: '긴 텍스트 '.repeat(100),
  an_integer: -2_147_483_648,
  a_bigint: 9_007_199_254_740_991,
  a_double: -1.5e-300,
  a_timestamp: new Date('1999-12-31T23:59:59.999Z'),
  a_boolean: true,
};
const rowOf = (id: number, flag: boolean): Record<string, SqlValue> => ({
  id,
  a_string: `row ${id}`,
  a_text: `text ${id}`,
  an_integer: id * 7,
  a_bigint: id * 1_000_000_007,
  a_double: id / 3,
  a_timestamp: new Date(Date.UTC(2026, 0, id, 12, 0, 0, id)),
  a_boolean: flag,
});
// NUMBER(1) holds a boolean; it reads back as 1 or 0, as on the other databases that store an integer.
const asRead = (row: Record<string, SqlValue>) => ({ ...row, a_boolean: row.a_boolean ? 1 : 0 });

for (const target of ROUND_TRIP_TARGETS.filter(({ name }) => name === 'oracle' || name === 'tibero')) {
  describe(`schema statements on ${target.name} (H2 in Oracle mode)`, () => {
    let scripted: RoundTripStore;
    let migrated: RoundTripStore;
    let datastore: Datastore;
    const table = `omddl_types_${target.name}`;
    const widened = `omddl_added_${target.name}`;
    const keysOnly = `omddl_keys_${target.name}`;

    before(async () => {
      scripted = await openRoundTripStore(target, `omddl${target.name[0]}_`);
      migrated = await openRoundTripStore(target, `ommig${target.name[0]}_`);
      ({ datastore } = await openDatastore(target.database()));
      for (const name of [table, widened, keysOnly]) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(name)}`));
    });
    after(async () => {
      for (const name of [table, widened, keysOnly]) await datastore?.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(name)}`));
      await datastore?.close();
      await scripted?.close();
      await migrated?.close();
    });

    it('the db:ddl script, run statement by statement, builds the tables migrate() builds, stamps its versions in UTC now, and the server then migrates nothing', async () => {
      const script = migrationScript(scripted.datastore.dialect, APP_MIGRATIONS);
      const statements = scriptStatements(script);
      const started = Date.now();
      for (const sql of statements) await scripted.datastore.execute({ sql, parameters: [], kind: 'ddl' });
      const finished = Date.now();
      await migrate(migrated.datastore, APP_MIGRATIONS);

      const prefixes = { scripted: `OMDDL${target.name[0]!.toUpperCase()}_`, migrated: `OMMIG${target.name[0]!.toUpperCase()}_` };
      const dictionary = async (view: string, columns: string) => {
        const rows = await datastore.query(select(`SELECT ${columns} FROM ${view} ORDER BY ${columns}`));
        const of = (prefix: string) =>
          rows
            .filter((row) => String(row.table_name).startsWith(prefix))
            .map((row) => JSON.stringify({ ...row, table_name: String(row.table_name).slice(prefix.length) }));
        return { scripted: of(prefixes.scripted), migrated: of(prefixes.migrated) };
      };
      const columns = await dictionary('user_tab_columns', 'table_name, column_id, column_name, data_type, nullable');
      assert.equal(
        columns.scripted.length,
        APP_MIGRATIONS.flatMap((migration) => [...migration.tables.flatMap((t) => t.columns), ...(migration.columns ?? [])]).length + 3,
      );
      assert.deepEqual(columns.scripted, columns.migrated);
      const keys = await dictionary('user_cons_columns', 'table_name, position, column_name');
      assert.deepEqual(keys.scripted, keys.migrated);

      const versions = await scripted.datastore.query(
        select(
          `SELECT ${['version', 'name', 'applied_at'].map((name) => scripted.datastore.dialect.quoteIdentifier(name)).join(', ')} FROM ${scripted.datastore.dialect.quoteIdentifier('ai_schema_migrations')} ORDER BY 1`,
        ),
      );
      assert.deepEqual(
        versions.map((row) => [row.version, row.name]),
        APP_MIGRATIONS.map((migration) => [migration.version, migration.name]),
      );
      for (const row of versions) {
        const appliedAt = (row.applied_at as Date).getTime();
        // The database's clock, read as UTC: between the moments around the script (a second of slack for its precision).
        assert.ok(
          appliedAt >= started - 1_000 && appliedAt <= finished + 1_000,
          `applied_at ${(row.applied_at as Date).toISOString()} is the UTC time of the script`,
        );
      }
      assert.deepEqual(await migrate(scripted.datastore, APP_MIGRATIONS), { applied: [], current: APP_MIGRATIONS.at(-1)!.version });
    });

    it('a column of every type: created, added with ALTER TABLE, written by MERGE one row and several rows at a time, read back as written', async () => {
      const dialect = datastore.dialect;
      await datastore.execute(dialect.compileCreateTable({ name: table, columns: TYPES, primaryKey: ['id'] }));
      await datastore.execute(dialect.compileCreateTable({ name: widened, columns: [TYPES[0]!], primaryKey: ['id'] }));
      for (const column of TYPES.slice(1)) await datastore.execute(dialect.compileAddColumn(widened, column));

      for (const name of [table, widened]) {
        const upsert = (rows: Record<string, SqlValue>[]) =>
          datastore.executeAll(dialect.compileUpsert({ table: name, keyColumns: ['id'], columns: TYPES, rows }));
        const read = () => datastore.query(select(`SELECT * FROM ${dialect.quoteIdentifier(name)} ORDER BY ${dialect.quoteIdentifier('id')}`));
        await upsert([ROW_ONE]);
        assert.deepEqual(await read(), [asRead(ROW_ONE)], `${name}: one row inserted`);
        await upsert([rowOf(1, false), rowOf(2, true), rowOf(3, false)]);
        assert.deepEqual(await read(), [rowOf(1, false), rowOf(2, true), rowOf(3, false)].map(asRead), `${name}: one row updated, two inserted`);
      }
      const catalog = await new CatalogRepository(datastore).columnsOf([table, widened]);
      const types = (name: string) => catalog.get(name)!.map((column) => `${column.name} ${column.type}`);
      assert.deepEqual(types(widened), types(table), 'the added columns have the types of the created ones');
      assert.deepEqual(types(table), [
        'id NUMBER',
        'a_string VARCHAR2',
        'a_text CLOB',
        'an_integer NUMBER',
        'a_bigint NUMBER',
        'a_double BINARY_DOUBLE',
        'a_timestamp TIMESTAMP(3)',
        'a_boolean NUMBER',
      ]);
      await assert.rejects(
        datastore.executeAll(dialect.compileUpsert({ table, keyColumns: ['id'], columns: TYPES, rows: [{ ...rowOf(4, true), a_boolean: 2 }] })),
        (error: unknown) => error instanceof AppError && error.code === 'DB_CONSTRAINT_VIOLATION',
        'a boolean column holds 0 and 1 only',
      );
    });

    it('a MERGE whose every column is a key inserts the new rows and leaves the existing ones', async () => {
      const dialect = datastore.dialect;
      const columns: ColumnDefinition[] = [
        { name: 'tag', type: 'string', length: 20, nullable: false },
        { name: 'n', type: 'integer', nullable: false },
      ];
      await datastore.execute(dialect.compileCreateTable({ name: keysOnly, columns, primaryKey: ['tag', 'n'] }));
      const upsert = (rows: Record<string, SqlValue>[]) =>
        datastore.executeAll(dialect.compileUpsert({ table: keysOnly, keyColumns: ['tag', 'n'], columns, rows }));
      await upsert([
        { tag: '가', n: 1 },
        { tag: 'b', n: 2 },
      ]);
      await upsert([
        { tag: 'b', n: 2 },
        { tag: 'b', n: 3 },
      ]);
      const read = await datastore.query(select(`SELECT * FROM ${dialect.quoteIdentifier(keysOnly)} ORDER BY 1, 2`));
      assert.deepEqual(read, [
        { tag: 'b', n: 2 },
        { tag: 'b', n: 3 },
        { tag: '가', n: 1 },
      ]);
    });

    it('the ping answers and the version query names the server', async () => {
      await datastore.ping();
      const version = await datastore.detectServer();
      assert.match(version, target.name === 'tibero' ? /^PRODUCT_MAJOR=7 PRODUCT_MINOR=2 STABLE_VERSION=H2 2\.\d+\.\d+$/ : /^H2 2\.\d+\.\d+ in Oracle mode$/);
    });
  });
}
