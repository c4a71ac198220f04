import type { SqlDialect } from '../../datastore/dialects';
import type { CatalogColumn } from '../../datastore/types';
import { AppError } from '../../errors/app-error';
import { characterCount, leadingCharacters } from '../../shared/character-count';

/** The checks a dataset definition passes before anything is written; each failure names its field. */
export function badInput(field: string, message: string, value?: unknown): AppError {
  return new AppError('BAD_USER_INPUT', message, { field, ...(value === undefined ? {} : { value }) });
}

export function checkName(name: string): string {
  const trimmed = name.trim();
  const length = characterCount(trimmed);
  if (length < 1 || length > 128) throw badInput('name', 'A dataset name must have 1 to 128 characters', name);
  return trimmed;
}

/** An empty description is none: Oracle and Tibero store '' as NULL, so every database keeps it as null. */
export function checkDescription(description: string | null): string | null {
  return description === '' ? null : description;
}

export function checkIdentifier(dialect: SqlDialect, field: string, name: string): void {
  try {
    dialect.assertIdentifier(name);
  } catch (error) {
    throw badInput(field, (error as Error).message, leadingCharacters(name, 80));
  }
}

/** Key and feature columns: present, not repeated, in the table; features numeric. */
export function checkColumns(
  dialect: SqlDialect,
  table: string,
  columns: readonly CatalogColumn[],
  keyColumns: readonly string[],
  featureColumns: readonly string[],
): void {
  const byName = new Map(columns.map((column) => [column.name, column]));
  const checkList = (field: string, names: readonly string[]) => {
    if (names.length === 0) throw badInput(field, `${field} must name at least one column`);
    if (new Set(names).size !== names.length) throw badInput(field, `${field} lists a column twice`, names);
    for (const name of names) {
      checkIdentifier(dialect, field, name);
      if (!byName.has(name)) throw badInput(field, `Table "${table}" has no column "${name}"`, name);
    }
  };
  checkList('keyColumns', keyColumns);
  checkList('featureColumns', featureColumns);
  const nonNumeric = nonNumericFeature(dialect, columns, featureColumns);
  if (nonNumeric)
    throw badInput('featureColumns', `Feature column "${nonNumeric.name}" is ${typeOf(nonNumeric)}, not numeric; k-means needs numbers`, nonNumeric.name);
}

/** A column's catalog type as a refusal names it: a SQLite column declared without one has the type ''. */
export function typeOf(column: CatalogColumn): string {
  return column.type === '' ? 'of no declared type' : column.type;
}

/** The first of `featureColumns`, in their order, whose catalog type is not numeric; undefined when none is (a missing column is not one). */
export function nonNumericFeature(dialect: SqlDialect, columns: readonly CatalogColumn[], featureColumns: readonly string[]): CatalogColumn | undefined {
  const byName = new Map(columns.map((column) => [column.name, column]));
  return featureColumns.map((name) => byName.get(name)).find((column) => column !== undefined && !dialect.isNumericType(column.type));
}
