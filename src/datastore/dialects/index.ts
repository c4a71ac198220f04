import { AppError } from '../../errors/app-error';
import type { SqlDialect } from './dialect';
import type { DialectName } from '../../config/dialect-name';
import { MariadbDialect } from './mariadb';
import { MysqlDialect } from './mysql';
import { OracleDialect } from './oracle';
import { PostgresqlDialect } from './postgresql';
import { SqliteDialect } from './sqlite';
import { TiberoDialect } from './tibero';

export type { SqlDialect } from './dialect';

const REGISTRY: Record<DialectName, () => SqlDialect> = {
  sqlite: () => new SqliteDialect(),
  postgresql: () => new PostgresqlDialect(),
  mysql: () => new MysqlDialect(),
  oracle: () => new OracleDialect(),
  tibero: () => new TiberoDialect(),
};

/** The dialect for a DB_DIALECT value; an unknown name is an error, never a silent default. */
export function dialectFor(name: string): SqlDialect {
  // Own keys only: `constructor` or `toString` would otherwise find Object.prototype's members.
  const create = Object.hasOwn(REGISTRY, name) ? REGISTRY[name as DialectName] : undefined;
  if (!create) {
    throw new AppError('DIALECT_UNSUPPORTED', `Unknown SQL dialect "${name}"; expected one of ${Object.keys(REGISTRY).join(', ')}`);
  }
  return create();
}

/**
 * Refines a dialect once the server has said what it is: DB_DIALECT=mysql covers MySQL and MariaDB,
 * whose UPSERT differs; MySQL before 8.0.20 takes MariaDB's form too.
 */
export function refineForServer(dialect: SqlDialect, serverVersion: string): SqlDialect {
  // The version also decides whether MariaDB's dialect may use JSON_TABLE (MariaDB ≥ 10.6, MySQL ≥ 8.0.4).
  if (dialect.constructor === MariadbDialect) return new MariadbDialect(serverVersion);
  // And whether PostgreSQL's UPSERT from a SELECT may be a MERGE (15+).
  if (dialect.constructor === PostgresqlDialect) return new PostgresqlDialect(serverVersion);
  // And whether Tibero pages with OFFSET/FETCH (7, and 6 from FS07) or ROWNUM.
  if (dialect.constructor === TiberoDialect) return new TiberoDialect(serverVersion);
  // And whether SQLite's library has JSON and the math functions for its columnArraysSources.
  if (dialect.constructor === SqliteDialect) return new SqliteDialect(serverVersion);
  if (dialect instanceof MysqlDialect && !(dialect instanceof MariadbDialect)) {
    if (/mariadb/i.test(serverVersion)) return new MariadbDialect(serverVersion);
    const match = /^(\d+)\.(\d+)\.(\d+)/.exec(serverVersion);
    if (match) {
      const [major, minor, patch] = match.slice(1).map(Number) as [number, number, number];
      if (major < 8 || (major === 8 && minor === 0 && patch < 20)) return new MariadbDialect(serverVersion);
    }
  }
  return dialect;
}
