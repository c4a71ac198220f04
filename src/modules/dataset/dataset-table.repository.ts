import type { Executor } from '../../datastore/contracts';
import type { Page } from '../../datastore/dialects/dialect';
import type { SqlDialect } from '../../datastore/dialects';
import type { CatalogColumn, Row } from '../../datastore/types';

export interface FeatureProfileRow {
  readonly column: string;
  /** Values that are numbers: what a run clusters. */
  readonly count: number;
  readonly nulls: number;
  /** Values that are neither NULL nor numbers (text in a SQLite column declared numeric); a run treats them as missing. */
  readonly nonNumeric: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  readonly stddev: number | null;
}

/** A key column with its catalog type name (CatalogColumn.type). */
export interface KeyColumn {
  readonly name: string;
  readonly type: string;
}

export interface KeyViolations {
  readonly nullKeys: number;
  readonly duplicateKeys: number;
  /** Characters of the longest entity key a run would store (an upper bound where a part is a number or a timestamp). */
  readonly longestEntityKey: number;
  /** Rows whose key has a text part holding U+0000, which the drivers cut there (SqlDialect.textHoldsNulSql); 0 where not checked. */
  readonly nulKeys: number;
  /** Timestamp key columns with values finer than a millisecond, and how many. */
  readonly subMillisecondKeys: readonly { readonly column: string; readonly rows: number }[];
}

/** Reads a dataset's own table: a profile computed by the database, and pages of rows. */
export class DatasetTableRepository {
  constructor(private readonly executor: Executor) {}

  /**
   * One statement for all features: counts, min, max, mean and the population variance, whose square
   * root is the standard deviation. No row leaves the database. Only numbers count as values, as a run
   * reads them (SqlDialect.numericValueSql), each as the double a run reads. Min, max and mean come as
   * exactNumberSql gives them (SQLite's driver reads a double through 15 digits). The variance is of
   * the deviations from the means of a first pass, one subquery for all features
   * (SqlDialect.populationVarianceSql), so a large mean does not cancel it. A mean or deviation the
   * database cannot hold in a double is null.
   */
  async profile(table: string, features: readonly string[]): Promise<FeatureProfileRow[]> {
    const dialect = this.executor.dialect;
    const from = dialect.quoteIdentifier(table);
    const exact = (expression: string) => dialect.exactNumberSql(expression) ?? expression;
    // Both passes alias the table, so its name never meets the first pass's alias (a table may be called feature_means).
    const asDouble = (alias: string, feature: string) => dialect.castToDouble(dialect.numericValueSql(`${alias}.${dialect.quoteIdentifier(feature)}`));
    const aggregates = features.flatMap((feature, index) => {
      const column = `profiled_rows.${dialect.quoteIdentifier(feature)}`;
      const value = asDouble('profiled_rows', feature);
      return [
        `COUNT(${dialect.numericValueSql(column)}) AS f${index}_count`,
        `COUNT(${column}) AS f${index}_present`,
        `${exact(`MIN(${value})`)} AS f${index}_min`,
        `${exact(`MAX(${value})`)} AS f${index}_max`,
        `${exact(`AVG(${value})`)} AS f${index}_mean`,
        `${dialect.populationVarianceSql(`(${value} - feature_means.mean_${index})`)} AS f${index}_variance`,
      ];
    });
    const means = `SELECT ${features.map((feature, index) => `AVG(${asDouble('first_pass', feature)}) AS mean_${index}`).join(', ')} FROM ${from} first_pass`;
    const [row] = await this.executor.query({
      sql: `SELECT COUNT(*) AS total_rows, ${aggregates.join(', ')} FROM ${from} profiled_rows CROSS JOIN (${means}) feature_means`,
      parameters: [],
      kind: 'select',
    });
    const total = Number(row?.total_rows ?? 0);
    return features.map((column, index) => {
      const value = (name: string) => row?.[`f${index}_${name}`] ?? null;
      const finite = (name: string) => {
        const read = value(name);
        const number = read === null ? Number.NaN : dialect.exactDouble(read);
        return Number.isFinite(number) ? number : null;
      };
      const count = Number(value('count') ?? 0);
      const present = Number(value('present') ?? 0);
      const variance = finite('variance');
      return {
        column,
        count,
        nulls: total - present,
        nonNumeric: present - count,
        min: finite('min'),
        max: finite('max'),
        mean: finite('mean'),
        stddev: variance === null ? null : Math.sqrt(Math.max(0, variance)),
      };
    });
  }

  /**
   * The features that have no number at all (every row NULL or text, or no rows), in the order
   * given. One statement of one EXISTS per feature: each stops at the first number it finds, so only
   * a column that really is empty is read to the end.
   */
  async featuresWithoutValue(table: string, features: readonly string[]): Promise<string[]> {
    const dialect = this.executor.dialect;
    const from = dialect.quoteIdentifier(table);
    const probes = features.map(
      (feature, index) =>
        `CASE WHEN EXISTS (SELECT 1 FROM ${from} WHERE ${dialect.numericValueSql(dialect.quoteIdentifier(feature))} IS NOT NULL) THEN 1 ELSE 0 END AS f${index}_present`,
    );
    const [row] = await this.executor.query({ sql: dialect.selectWithoutTable(probes.join(', ')), parameters: [], kind: 'select' });
    return features.filter((_, index) => Number(row?.[`f${index}_present`] ?? 0) === 0);
  }

  /**
   * The table's rows, or with `completeOnly` the rows with a number in every given column, counted up
   * to `cap` only: exact below it, `cap` at or above it, so the database stops early. The capped
   * subquery has no ORDER BY on purpose (any `cap` rows will do; a sort would read them all).
   */
  async rowsUpTo(table: string, columns: readonly string[], options: { completeOnly: boolean; cap: number }): Promise<number> {
    const dialect = this.executor.dialect;
    const where = options.completeOnly
      ? ` WHERE ${columns.map((name) => `${dialect.numericValueSql(dialect.quoteIdentifier(name))} IS NOT NULL`).join(' AND ')}`
      : '';
    const capped = dialect.firstRows(
      { sql: `SELECT 1 AS present FROM ${dialect.quoteIdentifier(table)}${where}`, parameters: [], kind: 'select' },
      options.cap,
    );
    const [row] = await this.executor.query({ sql: `SELECT COUNT(*) AS row_count FROM (${capped.sql}) capped`, parameters: capped.parameters, kind: 'select' });
    return Number(row?.row_count ?? 0);
  }

  /**
   * What keeps the key columns from identifying rows as assignments and outcomes store them, in one
   * statement of aggregates: rows whose key has a NULL part; distinct key values held by more than one
   * row; the longest entity key (entityKeyLength); and, per timestamp key column, the values finer than
   * a millisecond, which the server reads as the same Date (keys 1 µs apart collide).
   */
  async keyViolations(table: string, keyColumns: readonly KeyColumn[]): Promise<KeyViolations> {
    const dialect = this.executor.dialect;
    const from = dialect.quoteIdentifier(table);
    const keys = keyColumns.map((column) => dialect.quoteIdentifier(column.name)).join(', ');
    const anyNull = keyColumns.map((column) => `${dialect.quoteIdentifier(column.name)} IS NULL`).join(' OR ');
    const length = entityKeyLength(dialect, keyColumns);
    const timestamps = keyColumns.filter((column) => dialect.isTimestampType(column.type));
    // Where a numeric column can hold text (SQLite), every key column is checked.
    const nul = keyColumns
      .filter((column) => dialect.numericColumnsHoldText || (!dialect.isNumericType(column.type) && !dialect.isTimestampType(column.type)))
      .flatMap((column) => dialect.textHoldsNulSql(dialect.quoteIdentifier(column.name), column.type) ?? []);
    const [row] = await this.executor.query({
      sql: dialect.selectWithoutTable(
        [
          `(SELECT COUNT(*) FROM ${from} WHERE ${anyNull}) AS null_keys`,
          `(SELECT COUNT(*) FROM (SELECT ${keys} FROM ${from} GROUP BY ${keys} HAVING COUNT(*) > 1) repeated) AS duplicate_keys`,
          ...(length.perRow ? [`(SELECT MAX(${length.perRow}) FROM ${from}) AS longest_key`] : []),
          ...(nul.length > 0 ? [`(SELECT COUNT(*) FROM ${from} WHERE ${nul.join(' OR ')}) AS nul_keys`] : []),
          ...timestamps.map(
            (column, index) => `(SELECT COUNT(*) FROM ${from} WHERE ${dialect.subMillisecondSql(dialect.quoteIdentifier(column.name))}) AS sub_ms_${index}`,
          ),
        ].join(', '),
      ),
      parameters: [],
      kind: 'select',
    });
    return {
      nullKeys: Number(row?.null_keys ?? 0),
      duplicateKeys: Number(row?.duplicate_keys ?? 0),
      longestEntityKey: length.perRow ? Number(row?.longest_key ?? 0) : length.atMost,
      nulKeys: Number(row?.nul_keys ?? 0),
      subMillisecondKeys: timestamps
        .map((column, index) => ({ column: column.name, rows: Number(row?.[`sub_ms_${index}`] ?? 0) }))
        .filter((found) => found.rows > 0),
    };
  }

  /**
   * Rows in key order, `page.limit + 1` of them so the caller knows whether more follow. Each column of
   * `columns` (the table's, from the catalog) that the driver would not read whole also comes as the
   * dialect's exact form beside it (SqlDialect.previewExactSql), which replaces its value.
   */
  async preview(table: string, keyColumns: readonly string[], columns: readonly CatalogColumn[], page: Page): Promise<Row[]> {
    const dialect = this.executor.dialect;
    const order = keyColumns.map((name) => dialect.quoteIdentifier(name)).join(', ');
    const taken = new Set(columns.map((column) => column.name.toLowerCase()));
    // At most MAX_PREVIEW_SELECTED columns and expressions in all (Oracle's limit is 1,000, PostgreSQL's
    // 1,664, SQLite's 2,000): on a wider table the columns past it read as the driver reads them.
    const room = Math.max(0, MAX_PREVIEW_SELECTED - columns.length);
    const exact = columns
      .flatMap((column) => {
        const sql = exactPreviewSql(dialect, column);
        if (sql === undefined) return [];
        let alias = `preview_exact_${column.position}`;
        while (taken.has(alias)) alias = `${alias}_`;
        taken.add(alias);
        return [{ name: column.name, type: column.type, sql, alias }];
      })
      .slice(0, room);
    const selected = ['t.*', ...exact.map((column) => `${column.sql} AS ${dialect.quoteIdentifier(column.alias)}`)].join(', ');
    const rows = await this.executor.query(
      dialect.paginate(
        { sql: `SELECT ${selected} FROM ${dialect.quoteIdentifier(table)} t ORDER BY ${order}`, parameters: [], kind: 'select' },
        { limit: page.limit + 1, offset: page.offset },
      ),
    );
    if (exact.length === 0) return rows;
    return rows.map((row) => {
      const whole: Row = { ...row };
      for (const column of exact) {
        const value = row[column.alias];
        delete whole[column.alias];
        if (value !== null && value !== undefined) whole[column.name] = dialect.previewValue(value, column.type);
      }
      return whole;
    });
  }
}

// What the server's entity key (entityKey in src/modules/run/dataset-reader.ts) makes of a key part.
// A timestamp is ISO 8601 in UTC, 24 characters for years 0000–9999; a double's shortest text is at
// most 24 (-1.2345678901234567e-123); an integer or decimal is its digits, quoted in a composite key
// beyond 2^53 (the server reads it as text there).
const TIMESTAMP_KEY_LENGTH = 24;
const DOUBLE_KEY_LENGTH = 24;
// A number alone: a sign and DECIMAL(38)'s digits at most, nowhere near the limit.
const NUMBER_KEY_LENGTH = 41;
const MAX_SAFE_INTEGER = '9007199254740991';
// JSON.stringify in a composite key: `"` `\` and \b \t \n \f \r take two characters, the other
// control characters six (\u001f). U+0000 is left out: no database here stores it in text.
const ESCAPED_IN_TWO = [34, 92, 8, 9, 10, 12, 13];
const ESCAPED_IN_SIX = Array.from({ length: 31 }, (_, index) => index + 1).filter((code) => !ESCAPED_IN_TWO.includes(code));

/**
 * The length of the entity key of a row, as the database counts characters against entity_key: SQL
 * over the row (`perRow`), or, when no part varies in a way that matters, a bound that holds for every
 * row (`atMost`). One key column gives its value's text; several give a JSON array, strings quoted
 * and escaped. Doubles and timestamps count as their longest text.
 */
function entityKeyLength(dialect: SqlDialect, keyColumns: readonly KeyColumn[]): { perRow: string | null; atMost: number } {
  const composite = keyColumns.length > 1;
  let atMost = composite ? 2 + (keyColumns.length - 1) : 0; // [ ] and the commas
  const perRow: string[] = [];
  for (const column of keyColumns) {
    const quoted = dialect.quoteIdentifier(column.name);
    if (dialect.isTimestampType(column.type)) atMost += TIMESTAMP_KEY_LENGTH + (composite ? 2 : 0);
    else if (dialect.isNumericType(column.type) && !composite) atMost += NUMBER_KEY_LENGTH;
    else if (dialect.isNumericType(column.type) && dialect.isFloatingType(column.type)) atMost += DOUBLE_KEY_LENGTH;
    else if (dialect.isNumericType(column.type)) {
      // No ABS: ABS(−2^63) overflows a BIGINT.
      perRow.push(
        `${dialect.characterLengthSql(dialect.castToText(quoted))} + CASE WHEN ${quoted} > ${MAX_SAFE_INTEGER} OR ${quoted} < -${MAX_SAFE_INTEGER} THEN 2 ELSE 0 END`,
      );
    } else {
      const text = isTextType(column.type) ? quoted : dialect.castToText(quoted);
      const length = dialect.characterLengthSql(text);
      if (!composite) perRow.push(length);
      else {
        // One REPLACE per character, side by side: nested 30 deep they overflow SQLite's parser stack.
        const occurrences = (codes: readonly number[]) =>
          codes.map((code) => `(${length} - ${dialect.characterLengthSql(`REPLACE(${text}, ${dialect.characterSql(code)}, '')`)})`).join(' + ');
        atMost += 2;
        perRow.push(`${length} + ${occurrences(ESCAPED_IN_TWO)} + 5 * (${occurrences(ESCAPED_IN_SIX)})`);
      }
    }
  }
  return { perRow: perRow.length > 0 ? [...perRow, String(atMost)].join(' + ') : null, atMost };
}

function isTextType(typeName: string): boolean {
  return /CHAR|TEXT|CLOB|STRING/i.test(typeName) || typeName.trim() === '';
}

// Columns and expressions a preview selects at most: below Oracle's (and Tibero's) limit of 1,000, with
// room for the row number a ROWNUM page adds.
const MAX_PREVIEW_SELECTED = 990;

/**
 * A column's exact form for a preview; none where the dialect's quoting would not name the column (it
 * reads as the driver reads it): a name it refuses, or one the Oracle family keeps in mixed case
 * ("Amount"), which quoteIdentifier would upper-case.
 */
function exactPreviewSql(dialect: SqlDialect, column: CatalogColumn): string | undefined {
  let quoted: string;
  try {
    quoted = dialect.quoteIdentifier(column.name);
  } catch {
    return undefined;
  }
  if (dialect.identifierFromDatabase(quoted.slice(1, -1)) !== column.name) return undefined;
  return dialect.previewExactSql(`t.${quoted}`, column.type);
}
