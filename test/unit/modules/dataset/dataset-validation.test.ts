import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SqlDialect } from '../../../../src/datastore/dialects';
import { MysqlDialect } from '../../../../src/datastore/dialects/mysql';
import { OracleDialect } from '../../../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import { SqliteDialect } from '../../../../src/datastore/dialects/sqlite';
import type { CatalogColumn } from '../../../../src/datastore/types';
import { AppError } from '../../../../src/errors/app-error';
import { checkColumns, checkIdentifier, checkName } from '../../../../src/modules/dataset/dataset-validation';

function refusedFor(field: string, value?: unknown) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.equal(error.details?.field, field);
    if (value !== undefined) assert.deepEqual(error.details?.value, value);
    return true;
  };
}

/** Catalog columns as a dialect's readCatalogColumn would give them, in table order. */
function catalog(table: string, columns: [name: string, type: string][]): CatalogColumn[] {
  return columns.map(([name, type], index) => ({ table, name, type, nullable: true, position: index + 1 }));
}

const postgresql = new PostgresqlDialect();
const TABLE = 'plants';
const PLANTS = catalog(TABLE, [
  ['id', 'INTEGER'],
  ['site', 'VARCHAR'],
  ['height', 'DOUBLE PRECISION'],
  ['weight', 'NUMERIC(10,2)'],
  ['leaves', 'INTEGER'],
  ['label', 'VARCHAR'],
  ['notes', 'TEXT'],
  ['planted_on', 'DATE'],
]);

function check(keyColumns: string[], featureColumns: string[], dialect: SqlDialect = postgresql, columns = PLANTS): void {
  checkColumns(dialect, TABLE, columns, keyColumns, featureColumns);
}

describe('checkName', () => {
  it('a name is returned trimmed', () => {
    assert.equal(checkName('  iris  '), 'iris');
  });

  it('names of 1 and 128 characters are accepted', () => {
    assert.equal(checkName('a'), 'a');
    assert.equal(checkName('n'.repeat(128)), 'n'.repeat(128));
  });

  it('an empty or blank name is refused with BAD_USER_INPUT on field name', () => {
    assert.throws(() => checkName(''), refusedFor('name'));
    assert.throws(() => checkName('   '), refusedFor('name'));
  });

  it('a name of 129 characters is refused on field name', () => {
    assert.throws(() => checkName('n'.repeat(129)), refusedFor('name'));
  });
});

describe('checkIdentifier', () => {
  it('a plain identifier passes', () => {
    assert.doesNotThrow(() => checkIdentifier(postgresql, 'table', 'plant_measurements$2'));
  });

  for (const name of ['', '1abc', 'two words', 'semi;colon', 'quo"te', 'dotted.name', 'x'.repeat(64)]) {
    it(`${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}… (${name.length} chars)` : name)} is refused with BAD_USER_INPUT on the field given`, () => {
      assert.throws(() => checkIdentifier(postgresql, 'table', name), refusedFor('table', name.slice(0, 80)));
    });
  }

  it('the identifier length limit is the dialect one: 64 characters pass on Oracle', () => {
    assert.doesNotThrow(() => checkIdentifier(new OracleDialect(), 'table', 'x'.repeat(64)));
  });
});

describe('checkColumns', () => {
  it('known key columns and numeric feature columns pass', () => {
    assert.doesNotThrow(() => check(['id'], ['height', 'weight', 'leaves']));
  });

  it('a composite key of text and date columns passes (keys need not be numeric)', () => {
    assert.doesNotThrow(() => check(['site', 'planted_on'], ['height']));
  });

  it('an unknown key column is refused on field keyColumns naming the column', () => {
    assert.throws(() => check(['plant_id'], ['height']), refusedFor('keyColumns', 'plant_id'));
  });

  it('an unknown feature column is refused on field featureColumns naming the column', () => {
    assert.throws(() => check(['id'], ['height', 'width']), refusedFor('featureColumns', 'width'));
  });

  it('column names match the catalog exactly: a differently-cased name is unknown', () => {
    assert.throws(() => check(['id'], ['Height']), refusedFor('featureColumns', 'Height'));
  });

  it('a key column listed twice is refused on field keyColumns', () => {
    assert.throws(() => check(['id', 'id'], ['height']), refusedFor('keyColumns'));
  });

  it('a feature column listed twice is refused on field featureColumns', () => {
    assert.throws(() => check(['id'], ['height', 'weight', 'height']), refusedFor('featureColumns'));
  });

  it('an empty key list is refused on field keyColumns', () => {
    assert.throws(() => check([], ['height']), refusedFor('keyColumns'));
  });

  it('an empty feature list is refused on field featureColumns', () => {
    assert.throws(() => check(['id'], []), refusedFor('featureColumns'));
  });

  for (const column of ['label', 'notes', 'planted_on']) {
    const type = PLANTS.find((c) => c.name === column)!.type;
    it(`a ${type} feature column is refused as not numeric on field featureColumns`, () => {
      assert.throws(() => check(['id'], ['height', column]), refusedFor('featureColumns', column));
    });
  }

  it('an invalid identifier as a key column is refused on field keyColumns', () => {
    assert.throws(() => check(['id; DROP TABLE plants'], ['height']), refusedFor('keyColumns'));
  });

  it('an invalid identifier as a feature column is refused on field featureColumns', () => {
    assert.throws(() => check(['id'], ['"height"']), refusedFor('featureColumns'));
  });

  it('the key columns are checked before the feature columns', () => {
    assert.throws(() => check(['nope'], ['nope_either']), refusedFor('keyColumns'));
  });

  it('PostgreSQL: INTEGER, double precision and NUMERIC(10,2) are accepted as features', () => {
    const columns = catalog(TABLE, [
      ['id', 'BIGINT'],
      ['a', 'INTEGER'],
      ['b', 'double precision'],
      ['c', 'NUMERIC(10,2)'],
      ['d', 'REAL'],
      ['e', 'SMALLINT'],
    ]);
    assert.doesNotThrow(() => check(['id'], ['a', 'b', 'c', 'd', 'e'], postgresql, columns));
  });

  it('Oracle: BINARY_DOUBLE, BINARY_FLOAT, NUMBER(12,4) and FLOAT are accepted, VARCHAR2 is refused', () => {
    const oracle = new OracleDialect();
    const columns = catalog(TABLE, [
      ['id', 'NUMBER'],
      ['a', 'BINARY_DOUBLE'],
      ['b', 'BINARY_FLOAT'],
      ['c', 'NUMBER(12,4)'],
      ['d', 'FLOAT'],
      ['name', 'VARCHAR2'],
    ]);
    assert.doesNotThrow(() => check(['id'], ['a', 'b', 'c', 'd'], oracle, columns));
    assert.throws(() => check(['id'], ['a', 'name'], oracle, columns), refusedFor('featureColumns', 'name'));
  });

  it('MySQL: int unsigned, DECIMAL(8,3) UNSIGNED ZEROFILL, double and tinyint are accepted, DATETIME is refused', () => {
    const mysql = new MysqlDialect();
    const columns = catalog(TABLE, [
      ['id', 'INT UNSIGNED'],
      ['a', 'int unsigned'],
      ['b', 'DECIMAL(8,3) UNSIGNED ZEROFILL'],
      ['c', 'double'],
      ['d', 'TINYINT'],
      ['seen_at', 'DATETIME'],
    ]);
    assert.doesNotThrow(() => check(['id'], ['a', 'b', 'c', 'd'], mysql, columns));
    assert.throws(() => check(['id'], ['a', 'seen_at'], mysql, columns), refusedFor('featureColumns', 'seen_at'));
  });

  it('SQLite: declared types follow affinity (BIGINT, DOUBLE, NUMERIC(10,2) pass; VARCHAR(16), TEXT and an untyped column do not)', () => {
    const sqlite = new SqliteDialect();
    const columns = catalog(TABLE, [
      ['id', 'INTEGER'],
      ['a', 'BIGINT'],
      ['b', 'DOUBLE'],
      ['c', 'NUMERIC(10,2)'],
      ['code', 'VARCHAR(16)'],
      ['body', 'TEXT'],
      ['anything', ''],
    ]);
    assert.doesNotThrow(() => check(['id'], ['a', 'b', 'c'], sqlite, columns));
    for (const column of ['code', 'body', 'anything']) {
      assert.throws(() => check(['id'], [column], sqlite, columns), refusedFor('featureColumns', column));
    }
    // The refusal names each type; a column without one is said to have none (it read "is , not numeric").
    assert.throws(() => check(['id'], ['body'], sqlite, columns), /Feature column "body" is TEXT, not numeric/);
    assert.throws(() => check(['id'], ['anything'], sqlite, columns), /Feature column "anything" is of no declared type, not numeric/);
  });
});
