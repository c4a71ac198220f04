import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { Executor } from '../../../src/datastore/contracts';
import type { SqlDialect } from '../../../src/datastore/dialects';
import type { ColumnDefinition, SqlValue } from '../../../src/datastore/types';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { ddl, mariadbDatabase, openDatastore, oracleDatabase, postgresqlDatabase, sqliteDatabase, tiberoDatabase } from '../../support/databases';

/**
 * The bounded queries startModelRun refuses bad data with (DatasetTableRepository.featuresWithoutValue
 * and rowsUpTo), on each real database through its ODBC driver, and — no Oracle or Tibero server can
 * run here — the Oracle and Tibero statements on H2 in Oracle mode (rowsUpTo's ROWNUM has no
 * PostgreSQL equivalent). Their answers are checked against the full-scan profile() of the same tables.
 */

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer', nullable: false },
  { name: 'a', type: 'double' },
  { name: 'b', type: 'double' },
  { name: 'empty_col', type: 'double' },
];
// 50 rows: a always set, b NULL on every fifth row (40 complete rows), empty_col never set.
const ROWS: Record<string, SqlValue>[] = Array.from({ length: 50 }, (_, index) => ({
  id: index + 1,
  a: index / 4,
  b: index % 5 === 0 ? null : index * 1.5,
  empty_col: null,
}));

interface Target {
  readonly label: string;
  readonly connect: () => Promise<{ datastore: Datastore; compiler?: SqlDialect }>;
}

const TARGETS: Target[] = [
  { label: 'SQLite', connect: async () => openDatastore(sqliteDatabase()) },
  { label: 'PostgreSQL', connect: async () => openDatastore(postgresqlDatabase()) },
  { label: 'MariaDB', connect: async () => openDatastore(mariadbDatabase()) },
  ...[oracleDatabase(), tiberoDatabase()].map((database) => ({
    label: `${database.dialect} SQL on H2 in Oracle mode`,
    connect: () => openDatastore(database),
  })),
];

function describeOn(target: Target): void {
  describe(`bounded start checks on ${target.label}`, () => {
    let datastore: Datastore;
    let repository: DatasetTableRepository;
    const suffix = target.label.split(' ')[0]!.toLowerCase();
    const table = `bounded_${suffix}`;
    const none = `bounded_${suffix}_none`;

    before(async () => {
      const connected = await target.connect();
      datastore = connected.datastore;
      const dialect = datastore.dialect;
      for (const [name, rows] of [
        [table, ROWS],
        [none, []],
      ] as const) {
        await datastore.execute(ddl(`DROP TABLE IF EXISTS ${dialect.quoteIdentifier(name)}`));
        await datastore.execute(dialect.compileCreateTable({ name, columns: COLUMNS, primaryKey: ['id'] }));
        if (rows.length > 0) await datastore.executeAll(dialect.compileUpsert({ table: name, keyColumns: ['id'], columns: COLUMNS, rows }));
      }
      // The statements compiled by the target's dialect (Oracle's or Tibero's), run on this database.
      const compiler = connected.compiler ?? dialect;
      const executor: Executor = { dialect: compiler, query: (statement) => datastore.query(statement), execute: (statement) => datastore.execute(statement) };
      repository = new DatasetTableRepository(executor);
    });
    after(async () => {
      if (!datastore) return;
      for (const name of [table, none]) await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(name)}`));
      await datastore.close();
    });

    it('featuresWithoutValue names the entirely NULL column, as profile() counts it, and every column of an empty table', async () => {
      const features = ['a', 'b', 'empty_col'];
      assert.deepEqual(await repository.featuresWithoutValue(table, features), ['empty_col']);
      const profile = await new DatasetTableRepository(datastore).profile(table, features);
      assert.deepEqual(
        profile.filter((feature) => feature.count === 0).map((feature) => feature.column),
        ['empty_col'],
      );
      assert.deepEqual(await repository.featuresWithoutValue(none, ['a', 'b']), ['a', 'b']);
    });

    it('rowsUpTo counts exactly below the cap (40 complete rows, 50 in all) and stops at the cap above it', async () => {
      const features = ['a', 'b'];
      assert.equal(await repository.rowsUpTo(table, features, { completeOnly: true, cap: 1_000 }), 40);
      assert.equal(await repository.rowsUpTo(table, features, { completeOnly: true, cap: 41 }), 40);
      assert.equal(await repository.rowsUpTo(table, features, { completeOnly: true, cap: 40 }), 40);
      assert.equal(await repository.rowsUpTo(table, features, { completeOnly: true, cap: 7 }), 7);
      assert.equal(await repository.rowsUpTo(table, features, { completeOnly: false, cap: 1_000 }), 50);
      assert.equal(await repository.rowsUpTo(table, features, { completeOnly: false, cap: 1 }), 1);
      assert.equal(await repository.rowsUpTo(none, features, { completeOnly: true, cap: 3 }), 0);
      assert.equal(await repository.rowsUpTo(none, features, { completeOnly: false, cap: 3 }), 0);
      const [a] = await new DatasetTableRepository(datastore).profile(table, ['a']);
      assert.equal(a!.count + a!.nulls, 50, 'profile() counts the same rows');
    });
  });
}

for (const target of TARGETS) describeOn(target);
