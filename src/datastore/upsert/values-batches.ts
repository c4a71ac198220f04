import type { SqlValue, Statement, UpsertSpec } from '../types';
import { rowValue } from './row-value';
import type { UpsertDialect } from './upsert-dialect';

/** Rows per multi-row VALUES statement: min(maxRowsPerStatement, maxBindParameters / columns), at least 1. */
export function valuesRowsPerStatement(dialect: UpsertDialect, spec: UpsertSpec): number {
  const once = dialect.columnsBoundOnce(spec).length;
  const perRow = Math.max(1, spec.columns.length - once);
  return Math.max(1, Math.min(dialect.maxRowsPerStatement, Math.floor((dialect.maxBindParameters - once) / perRow)));
}

/**
 * A validated batch as multi-row VALUES statements, every value a bound parameter: `rowsPerStatement`
 * rows a statement, fewer where the text and binary values would pass maxValueBytesPerStatement
 * (3 bytes a character, UTF-8's most for a UTF-16 unit).
 */
export function* valuesStatements(dialect: UpsertDialect, spec: UpsertSpec, rowsPerStatement: number): Generator<Statement> {
  const once = dialect.columnsBoundOnce(spec);
  const first = once.map((column) => spec.sharedValues![column.name] ?? null);
  const perRow = spec.columns.filter((column) => !once.includes(column));
  const value = rowValue(spec);
  let parameters: SqlValue[] = [...first];
  let rows = 0;
  let bytes = 0;
  for (const row of spec.rows) {
    let rowBytes = 0;
    for (const column of perRow) {
      const cell = value(row, column.name);
      if (typeof cell === 'string') rowBytes += 3 * cell.length;
      else if (Buffer.isBuffer(cell)) rowBytes += cell.length;
    }
    if (rows > 0 && (rows >= rowsPerStatement || bytes + rowBytes > dialect.maxValueBytesPerStatement)) {
      yield { sql: dialect.valuesUpsertSql(spec, rows), parameters, kind: 'upsert' };
      parameters = [...first];
      rows = 0;
      bytes = 0;
    }
    for (const column of perRow) parameters.push(value(row, column.name) ?? null);
    rows += 1;
    bytes += rowBytes;
  }
  if (rows > 0) yield { sql: dialect.valuesUpsertSql(spec, rows), parameters, kind: 'upsert' };
}
