import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DialectVariant, SqlDialect } from '../../src/datastore/dialects/dialect';
import { MariadbDialect } from '../../src/datastore/dialects/mariadb';
import { MysqlDialect } from '../../src/datastore/dialects/mysql';
import { OracleDialect } from '../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../src/datastore/dialects/postgresql';
import { SqliteDialect } from '../../src/datastore/dialects/sqlite';
import { TiberoDialect } from '../../src/datastore/dialects/tibero';
import type { Statement } from '../../src/datastore/types';

/**
 * Side-by-side SQL tables in the spirit of kysely's `testSql(query, dialect, { postgres, mysql, sqlite })`.
 * Every table is a Record over DialectVariant, so adding a variant stops the tests compiling until each
 * table says what that variant produces.
 */

export interface ExpectedSql {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** Each variant built through its own class, never through the registry under test. */
const DIALECT_CLASSES: Record<DialectVariant, new () => SqlDialect> = {
  sqlite: SqliteDialect,
  postgresql: PostgresqlDialect,
  mysql: MysqlDialect,
  mariadb: MariadbDialect,
  oracle: OracleDialect,
  tibero: TiberoDialect,
};

export const DIALECT_VARIANTS = Object.keys(DIALECT_CLASSES) as DialectVariant[];

export function createDialect(variant: DialectVariant): SqlDialect {
  return new DIALECT_CLASSES[variant]();
}

/**
 * One `it()` per variant, named `<variant>: <scenario>`, each checking that variant's entry of `expected`.
 * `scenario` may be a function of the entry when the outcome differs by variant and belongs in the name.
 */
export function itPerDialect<T>(
  scenario: string | ((expected: T) => string),
  expected: Record<DialectVariant, T>,
  check: (dialect: SqlDialect, expected: T) => void,
): void {
  for (const variant of DIALECT_VARIANTS) {
    const entry = expected[variant];
    const name = typeof scenario === 'string' ? scenario : scenario(entry);
    it(`${variant}: ${name}`, () => check(createDialect(variant), entry));
  }
}

/** One `it()` per variant for a scenario whose outcome is the same everywhere. */
export function itForEveryDialect(scenario: string, check: (dialect: SqlDialect) => void): void {
  for (const variant of DIALECT_VARIANTS) it(`${variant}: ${scenario}`, () => check(createDialect(variant)));
}

/**
 * Compiles with each variant and compares SQL text and parameters (not `kind`) with that variant's
 * expectation. A single statement and a one-element list compare alike.
 */
export function expectSqlPerDialect(
  scenario: string,
  compile: (dialect: SqlDialect) => Statement | Statement[],
  expected: Record<DialectVariant, ExpectedSql | ExpectedSql[]>,
): void {
  itPerDialect(scenario, expected, (dialect, expectation) => {
    const actual = asList(compile(dialect)).map(({ sql, parameters }) => ({ sql, parameters }));
    assert.deepEqual(actual, asList(expectation));
  });
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/**
 * `expected` with every double-quoted plain name in its texts backquoted, as SQLite's dialect quotes
 * names (a double-quoted name matching no column would be a string literal there). String literals in
 * the SQL are single-quoted, so only names change.
 */
export function backquoted<T>(expected: T): T {
  if (typeof expected === 'string') return expected.replace(/"([A-Za-z_][A-Za-z0-9_$]*)"/g, '`$1`') as T;
  if (Array.isArray(expected)) return expected.map((item: unknown) => backquoted(item)) as T;
  if (expected !== null && typeof expected === 'object') {
    return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, key === 'parameters' ? value : backquoted(value)])) as T;
  }
  return expected;
}
