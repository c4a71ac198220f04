import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APP_MIGRATIONS } from '../../../../src/datastore/migrations/app-migrations';
import { MIGRATIONS_TABLE } from '../../../../src/datastore/migrations/migration';
import type { TableDefinition } from '../../../../src/datastore/types';
import { outcomeTableDefinition } from '../../../../src/modules/outcome/outcome-table';
import { createDialect, expectSqlPerDialect, backquoted } from '../../../support/sql-table';

/** Every ColumnType once, NOT NULL on some, a composite primary key. */
const modelScore: TableDefinition = {
  name: 'model_score',
  columns: [
    { name: 'run_id', type: 'string', length: 26, nullable: false },
    { name: 'row_index', type: 'integer', nullable: false },
    { name: 'label', type: 'string' },
    { name: 'notes', type: 'text' },
    { name: 'sample_count', type: 'bigint' },
    { name: 'score', type: 'double' },
    { name: 'scored_at', type: 'timestamp', nullable: false },
    { name: 'is_outlier', type: 'boolean', nullable: false },
  ],
  primaryKey: ['run_id', 'row_index'],
};

const lines = (...sql: string[]) => sql.join('\n');

describe('DDL', () => {
  const oracleTable = {
    sql: lines(
      'CREATE TABLE "MODEL_SCORE" (',
      '  "RUN_ID" VARCHAR2(26 CHAR) NOT NULL,',
      '  "ROW_INDEX" NUMBER(10) NOT NULL,',
      '  "LABEL" VARCHAR2(255 CHAR),',
      '  "NOTES" CLOB,',
      '  "SAMPLE_COUNT" NUMBER(19),',
      '  "SCORE" BINARY_DOUBLE,',
      '  "SCORED_AT" TIMESTAMP(3) NOT NULL,',
      '  "IS_OUTLIER" NUMBER(1) CHECK ("IS_OUTLIER" IN (0, 1)) NOT NULL,',
      '  PRIMARY KEY ("RUN_ID", "ROW_INDEX")',
      ')',
    ),
    parameters: [],
  };
  const mysqlTable = {
    sql: lines(
      'CREATE TABLE `model_score` (',
      '  `run_id` VARCHAR(26) NOT NULL,',
      '  `row_index` INT NOT NULL,',
      '  `label` VARCHAR(255),',
      '  `notes` LONGTEXT,',
      '  `sample_count` BIGINT,',
      '  `score` DOUBLE,',
      '  `scored_at` DATETIME(3) NOT NULL,',
      '  `is_outlier` TINYINT(1) NOT NULL,',
      '  PRIMARY KEY (`run_id`, `row_index`)',
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
    ),
    parameters: [],
  };
  expectSqlPerDialect('a table with every column type and a composite primary key', (d) => d.compileCreateTable(modelScore), {
    sqlite: backquoted({
      sql: lines(
        'CREATE TABLE "model_score" (',
        '  "run_id" VARCHAR(26) NOT NULL,',
        '  "row_index" INTEGER NOT NULL,',
        '  "label" VARCHAR(255),',
        '  "notes" TEXT,',
        '  "sample_count" BIGINT,',
        '  "score" DOUBLE,',
        '  "scored_at" TIMESTAMP NOT NULL,',
        '  "is_outlier" INTEGER NOT NULL,',
        '  PRIMARY KEY ("run_id", "row_index")',
        ')',
      ),
      parameters: [],
    }),
    postgresql: {
      sql: lines(
        'CREATE TABLE "model_score" (',
        '  "run_id" VARCHAR(26) NOT NULL,',
        '  "row_index" INTEGER NOT NULL,',
        '  "label" VARCHAR(255),',
        '  "notes" TEXT,',
        '  "sample_count" BIGINT,',
        '  "score" DOUBLE PRECISION,',
        '  "scored_at" TIMESTAMP(3) NOT NULL,',
        '  "is_outlier" BOOLEAN NOT NULL,',
        '  PRIMARY KEY ("run_id", "row_index")',
        ')',
      ),
      parameters: [],
    },
    mysql: mysqlTable,
    mariadb: mysqlTable,
    oracle: oracleTable,
    tibero: oracleTable,
  });

  const dataset: TableDefinition = {
    name: 'dataset',
    columns: [
      { name: 'id', type: 'string', length: 26, nullable: false },
      { name: 'name', type: 'string', length: 100, nullable: false },
    ],
    primaryKey: ['id'],
    unique: [['name']],
  };
  const oracleUnique = {
    sql: lines(
      'CREATE TABLE "DATASET" (',
      '  "ID" VARCHAR2(26 CHAR) NOT NULL,',
      '  "NAME" VARCHAR2(100 CHAR) NOT NULL,',
      '  PRIMARY KEY ("ID"),',
      '  UNIQUE ("NAME")',
      ')',
    ),
    parameters: [],
  };
  const mysqlUnique = {
    sql: lines(
      'CREATE TABLE `dataset` (',
      '  `id` VARCHAR(26) NOT NULL,',
      '  `name` VARCHAR(100) NOT NULL,',
      '  PRIMARY KEY (`id`),',
      '  UNIQUE (`name`)',
      ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
    ),
    parameters: [],
  };
  const ansiUnique = {
    sql: lines(
      'CREATE TABLE "dataset" (',
      '  "id" VARCHAR(26) NOT NULL,',
      '  "name" VARCHAR(100) NOT NULL,',
      '  PRIMARY KEY ("id"),',
      '  UNIQUE ("name")',
      ')',
    ),
    parameters: [],
  };
  expectSqlPerDialect('a UNIQUE constraint is declared after the primary key', (d) => d.compileCreateTable(dataset), {
    sqlite: backquoted(ansiUnique),
    postgresql: ansiUnique,
    mysql: mysqlUnique,
    mariadb: mysqlUnique,
    oracle: oracleUnique,
    tibero: oracleUnique,
  });

  const ansiAdd = { sql: 'ALTER TABLE "model_score" ADD COLUMN "reviewed_at" TIMESTAMP', parameters: [] };
  const mysqlAdd = { sql: 'ALTER TABLE `model_score` ADD COLUMN `reviewed_at` DATETIME(3)', parameters: [] };
  const oracleAdd = { sql: 'ALTER TABLE "MODEL_SCORE" ADD ("REVIEWED_AT" TIMESTAMP(3))', parameters: [] };
  expectSqlPerDialect(
    'a nullable column added to an existing table (Oracle has no COLUMN keyword)',
    (d) => d.compileAddColumn('model_score', { name: 'reviewed_at', type: 'timestamp' }),
    {
      sqlite: backquoted(ansiAdd),
      postgresql: { sql: 'ALTER TABLE "model_score" ADD COLUMN "reviewed_at" TIMESTAMP(3)', parameters: [] },
      mysql: mysqlAdd,
      mariadb: mysqlAdd,
      oracle: oracleAdd,
      tibero: oracleAdd,
    },
  );
});

describe('DDL: VARCHAR2 holds 4,000 bytes in Oracle and Tibero 6, even with CHAR semantics (a character takes up to 4 in AL32UTF8)', () => {
  for (const variant of ['oracle', 'tibero'] as const) {
    it(`${variant}: a string column of 1,000 characters is VARCHAR2(1000 CHAR); one of 1,001 is refused with DIALECT_UNSUPPORTED`, () => {
      const dialect = createDialect(variant);
      assert.equal(dialect.columnTypeSql({ name: 'note', type: 'string', length: 1_000 }), 'VARCHAR2(1000 CHAR)');
      assert.throws(
        () => dialect.compileCreateTable({ name: 'notes', columns: [{ name: 'note', type: 'string', length: 1_001 }], primaryKey: ['note'] }),
        (error: unknown) => (error as { code?: string }).code === 'DIALECT_UNSUPPORTED' && (error as Error).message.includes('4,000 bytes'),
      );
    });

    it(`${variant}: every string column of the app's own tables and outcome tables fits (at most 1,000 characters)`, () => {
      const dialect = createDialect(variant);
      const tables = [MIGRATIONS_TABLE, ...APP_MIGRATIONS.flatMap((migration) => migration.tables), outcomeTableDefinition('outcome')];
      for (const table of tables) assert.doesNotThrow(() => dialect.compileCreateTable(table), table.name);
      const added = APP_MIGRATIONS.flatMap((migration) => migration.columns ?? []);
      for (const { table, column } of added) assert.doesNotThrow(() => dialect.compileAddColumn(table, column), `${table}.${column.name}`);
      const columns = [...tables.flatMap((table) => table.columns), ...added.map((added) => added.column)];
      const longest = Math.max(...columns.map((column) => (column.type === 'string' ? (column.length ?? 255) : 0)));
      assert.ok(longest <= 1_000, `longest string column: ${longest} characters`);
    });
  }
});
