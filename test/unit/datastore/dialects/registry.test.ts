import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import { DIALECT_NAMES, type DialectName } from '../../../../src/config/dialect-name';
import { dialectFor, refineForServer } from '../../../../src/datastore/dialects/index';
import { MariadbDialect } from '../../../../src/datastore/dialects/mariadb';
import { MysqlDialect } from '../../../../src/datastore/dialects/mysql';
import { OracleDialect } from '../../../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import { SqliteDialect } from '../../../../src/datastore/dialects/sqlite';
import { TiberoDialect } from '../../../../src/datastore/dialects/tibero';

describe('dialect registry', () => {
  const byName: Record<DialectName, new () => SqlDialect> = {
    sqlite: SqliteDialect,
    postgresql: PostgresqlDialect,
    mysql: MysqlDialect,
    oracle: OracleDialect,
    tibero: TiberoDialect,
  };
  for (const name of DIALECT_NAMES) {
    it(`DB_DIALECT=${name} gives the ${byName[name].name} with variant ${name}`, () => {
      const dialect = dialectFor(name);
      assert.equal(dialect.constructor, byName[name]);
      assert.equal(dialect.variant, name);
    });
  }

  for (const name of ['postgres', 'MySQL', '', 'mariadb', 'constructor', 'toString', '__proto__']) {
    it(`an unknown name ${JSON.stringify(name)} is refused with DIALECT_UNSUPPORTED listing the known names`, () => {
      assert.throws(() => dialectFor(name), {
        name: 'AppError',
        code: 'DIALECT_UNSUPPORTED',
        message: /expected one of sqlite, postgresql, mysql, oracle, tibero/,
      });
    });
  }
});

describe('refining a dialect once the server says what it is', () => {
  const mysqlServers: [string, typeof MysqlDialect | typeof MariadbDialect, string][] = [
    ['10.11.19-MariaDB-0+deb12u1', MariadbDialect, 'mariadb'],
    ['5.5.5-10.6.18-MariaDB-log', MariadbDialect, 'mariadb'],
    ['5.7.44-log', MariadbDialect, 'mariadb'],
    ['8.0.19', MariadbDialect, 'mariadb'],
    ['8.0.20', MysqlDialect, 'mysql'],
    ['8.0.36', MysqlDialect, 'mysql'],
    ['8.4.3-0ubuntu0.24.04.1', MysqlDialect, 'mysql'],
    ['9.1.0', MysqlDialect, 'mysql'],
  ];
  for (const [version, expectedClass, variant] of mysqlServers) {
    it(`DB_DIALECT=mysql on server ${version} compiles the ${variant} UPSERT form`, () => {
      const refined = refineForServer(new MysqlDialect(), version);
      assert.equal(refined.constructor, expectedClass);
      assert.equal(refined.variant, variant);
    });
  }

  it('a MySQL server version is kept as the same dialect object', () => {
    const dialect = new MysqlDialect();
    assert.equal(refineForServer(dialect, '8.0.36'), dialect);
  });

  it('a MariaDB dialect learns from the server version whether it may use JSON_TABLE (MariaDB 10.6+, MySQL 8.0.4+)', () => {
    for (const [version, json] of [
      ['10.11.19-MariaDB-0+deb12u1', true],
      ['10.5.23-MariaDB', false],
      ['8.0.36', true],
      ['8.0.3', false],
    ] as const) {
      const refined = refineForServer(new MariadbDialect(), version);
      assert.ok(refined instanceof MariadbDialect, version);
      assert.equal(refined.hasJsonTable, json, version);
    }
  });

  it('a PostgreSQL dialect learns from the server version whether its UPSERT from a SELECT is a MERGE (PostgreSQL 15+)', () => {
    const cases = [
      ['PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu', true],
      ['PostgreSQL 17.2 on aarch64-unknown-linux-gnu', true],
      ['PostgreSQL 14.13 (Ubuntu 14.13-0ubuntu0.22.04.1)', false],
      ['PostgreSQL 9.6.24', false],
      ['unknown', false],
    ] as const;
    for (const [version, merge] of cases) {
      const refined = refineForServer(new PostgresqlDialect(), version);
      assert.equal(refined.constructor, PostgresqlDialect, version);
      assert.equal((refined as PostgresqlDialect).mergeFromSelect, merge, version);
    }
    assert.equal(new PostgresqlDialect().mergeFromSelect, false, 'not before the version is known');
  });

  it('a SQLite dialect is made anew for the library: the JSON form of its column-wise UPSERT only where it has JSON and the math functions', () => {
    for (const [version, json] of [
      ['3.40.1 (json, math)', true],
      ['3.40.1', false],
      ['unknown', false],
    ] as const) {
      const refined = refineForServer(new SqliteDialect(), version);
      assert.equal(refined.constructor, SqliteDialect, version);
      assert.equal((refined as SqliteDialect).readsJsonWithMath, json, version);
    }
    assert.equal(new SqliteDialect().readsJsonWithMath, false, 'not before the library is known');
  });

  const others: [string, SqlDialect, string][] = [['oracle', new OracleDialect(), 'Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production']];
  it('a Tibero dialect is made anew for the server version (its paging depends on it)', () => {
    const refined = refineForServer(new TiberoDialect(), 'PRODUCT_MAJOR=7 PRODUCT_MINOR=2');
    assert.equal(refined.constructor, TiberoDialect);
    assert.equal(refined.variant, 'tibero');
  });

  for (const [variant, dialect, version] of others) {
    it(`${variant} is unchanged whatever the server version says`, () => {
      assert.equal(refineForServer(dialect, version), dialect);
    });
  }
});
