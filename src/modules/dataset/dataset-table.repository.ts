import type { Executor } from '../../datastore/datastore';
import type { Page } from '../../datastore/dialects/dialect';
import type { Row } from '../../datastore/types';

export interface FeatureProfileRow {
  readonly column: string;
  readonly count: number;
  readonly nulls: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly stddev: number | null;
}

/** Reads a dataset's own table: a profile computed by the database, and pages of rows. */
export class DatasetTableRepository {
  constructor(private readonly executor: Executor) {}

  /**
   * One statement for all features: counts, min, max, mean and the mean of squares, from which the
   * population standard deviation is derived (SQLite has no STDDEV). No row leaves the database.
   */
  async profile(table: string, features: readonly string[]): Promise<FeatureProfileRow[]> {
    const dialect = this.executor.dialect;
    const aggregates = features.flatMap((feature, index) => {
      const column = dialect.quoteIdentifier(feature);
      const asDouble = dialect.castToDouble(column);
      return [
        `COUNT(${column}) AS f${index}_count`,
        `MIN(${asDouble}) AS f${index}_min`,
        `MAX(${asDouble}) AS f${index}_max`,
        `AVG(${asDouble}) AS f${index}_mean`,
        `AVG(${asDouble} * ${asDouble}) AS f${index}_square`,
      ];
    });
    const [row] = await this.executor.query({
      sql: `SELECT COUNT(*) AS total_rows, ${aggregates.join(', ')} FROM ${dialect.quoteIdentifier(table)}`,
      parameters: [],
      kind: 'select',
    });
    const total = Number(row?.total_rows ?? 0);
    return features.map((column, index) => {
      const read = (name: string) => (row?.[`f${index}_${name}`] === null || row?.[`f${index}_${name}`] === undefined ? null : Number(row[`f${index}_${name}`]));
      const count = read('count') ?? 0;
      const mean = read('mean');
      const square = read('square');
      return {
        column,
        count,
        nulls: total - count,
        min: read('min'),
        max: read('max'),
        mean,
        stddev: mean === null || square === null ? null : Math.sqrt(Math.max(0, square - mean * mean)),
      };
    });
  }

  /**
   * The features that have no value at all (every row NULL, or no rows), in the order given. One
   * statement of one EXISTS per feature: each stops at the first non-NULL value it finds, so only a
   * column that really is empty is read to the end.
   */
  async featuresWithoutValue(table: string, features: readonly string[]): Promise<string[]> {
    const dialect = this.executor.dialect;
    const from = dialect.quoteIdentifier(table);
    const probes = features.map(
      (feature, index) => `CASE WHEN EXISTS (SELECT 1 FROM ${from} WHERE ${dialect.quoteIdentifier(feature)} IS NOT NULL) THEN 1 ELSE 0 END AS f${index}_present`,
    );
    const [row] = await this.executor.query({ sql: dialect.selectWithoutTable(probes.join(', ')), parameters: [], kind: 'select' });
    return features.filter((_, index) => Number(row?.[`f${index}_present`] ?? 0) === 0);
  }

  /**
   * The table's rows, or with `completeOnly` the rows where every given column has a value (what
   * k-means gets when rows with NULLs are dropped), counted only up to `cap`: exact below it, `cap`
   * at or above it, so the database can stop after `cap` rows instead of counting the whole table.
   * The paged subquery has no ORDER BY on purpose: any `cap` rows will do, and a sort would read
   * them all. Oracle 12c allows its row limit (OFFSET … FETCH NEXT) without ORDER BY and in a
   * subquery; Tibero 7 takes the same clause inside subqueries (its own Hibernate dialect pages
   * subqueries so), while Tibero without ORDER BY there is unconfirmed (TIBERO.md).
   */
  async rowsUpTo(table: string, columns: readonly string[], options: { completeOnly: boolean; cap: number }): Promise<number> {
    const dialect = this.executor.dialect;
    const where = options.completeOnly ? ` WHERE ${columns.map((name) => `${dialect.quoteIdentifier(name)} IS NOT NULL`).join(' AND ')}` : '';
    const capped = dialect.paginate({ sql: `SELECT 1 AS present FROM ${dialect.quoteIdentifier(table)}${where}`, parameters: [], kind: 'select' }, { limit: options.cap, offset: 0 });
    const [row] = await this.executor.query({ ...capped, sql: `SELECT COUNT(*) AS row_count FROM (${capped.sql}) capped` });
    return Number(row?.row_count ?? 0);
  }

  /**
   * How many rows break the key: rows whose key has a NULL part, plus distinct key values held by more
   * than one row. Zero means the columns identify rows, as assignments and outcomes need.
   */
  async keyViolations(table: string, keyColumns: readonly string[]): Promise<{ nullKeys: number; duplicateKeys: number }> {
    const dialect = this.executor.dialect;
    const keys = keyColumns.map((name) => dialect.quoteIdentifier(name)).join(', ');
    const anyNull = keyColumns.map((name) => `${dialect.quoteIdentifier(name)} IS NULL`).join(' OR ');
    const [row] = await this.executor.query({
      sql: dialect.selectWithoutTable(
        `(SELECT COUNT(*) FROM ${dialect.quoteIdentifier(table)} WHERE ${anyNull}) AS null_keys, ` +
          `(SELECT COUNT(*) FROM (SELECT ${keys} FROM ${dialect.quoteIdentifier(table)} GROUP BY ${keys} HAVING COUNT(*) > 1) repeated) AS duplicate_keys`,
      ),
      parameters: [],
      kind: 'select',
    });
    return { nullKeys: Number(row?.null_keys ?? 0), duplicateKeys: Number(row?.duplicate_keys ?? 0) };
  }

  /** Rows in key order, `page.limit + 1` of them so the caller knows whether more follow. */
  preview(table: string, keyColumns: readonly string[], page: Page): Promise<Row[]> {
    const dialect = this.executor.dialect;
    const order = keyColumns.map((name) => dialect.quoteIdentifier(name)).join(', ');
    return this.executor.query(
      dialect.paginate(
        { sql: `SELECT * FROM ${dialect.quoteIdentifier(table)} ORDER BY ${order}`, parameters: [], kind: 'select' },
        { limit: page.limit + 1, offset: page.offset },
      ),
    );
  }
}
