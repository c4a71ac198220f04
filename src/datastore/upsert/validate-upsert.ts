import { AppError } from '../../errors/app-error';
import type { UpsertSpec } from '../types';
import { assertUniqueKeys } from './unique-keys';
import type { UpsertDialect } from './upsert-dialect';

/** Checks a whole batch before its first statement is built: every UPSERT_INVALID is thrown here. */
export function validateUpsert(dialect: UpsertDialect, spec: UpsertSpec): void {
  dialect.assertIdentifier(spec.table);
  const names = spec.columns.map((column) => column.name);
  names.forEach((name) => dialect.assertIdentifier(name));
  const shared = spec.sharedValues ?? {};
  const problems: string[] = [];
  if (spec.columns.length === 0) problems.push('no columns given');
  if (spec.keyColumns.length === 0) problems.push('no key columns given');
  if (new Set(names).size !== names.length) problems.push('a column is listed twice');
  for (const key of spec.keyColumns) if (!names.includes(key)) problems.push(`key column "${key}" is not among the columns`);
  for (const name of Object.keys(shared)) if (!names.includes(name)) problems.push(`shared value "${name}" is not among the columns`);
  if (problems.length > 0) {
    throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: ${problems.join('; ')}`, { table: spec.table, problems });
  }
  const perRow = names.filter((name) => !Object.hasOwn(shared, name));
  spec.rows.forEach((row, index) => {
    for (const name of perRow) {
      if (!(name in row)) {
        throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: row ${index} has no value for "${name}"`, { table: spec.table, row: index });
      }
    }
  });
  // A plain INSERT is refused by the database for a repeated key anyway, and hashing a million keys
  // out of order costs a second; a MERGE would instead update the first row with the second.
  if (!(spec.newKeysOnly && dialect.newKeysAsPlainInsert)) assertUniqueKeys(spec);
}
