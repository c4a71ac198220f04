import { AppError } from '../../errors/app-error';
import type { SqlValue, UpsertSpec } from '../types';
import { rowValue, type UpsertRow } from './row-value';

/**
 * Refuses a batch that holds one key twice: ON CONFLICT and MERGE would fail on it (PostgreSQL "cannot
 * affect row a second time", ORA-30926) or MySQL keep either row. Keys in increasing order (a run's
 * outcomes) are checked with one comparison a row; otherwise a tree of maps, one level per key column.
 */
export function assertUniqueKeys(spec: UpsertSpec): void {
  const rows = spec.rows;
  const value = rowValue(spec);
  // A shared key part is the same in every row: the other parts decide.
  const keyColumns = spec.keyColumns.filter((name) => !Object.hasOwn(spec.sharedValues ?? {}, name));
  if (keyColumns.length === 0) {
    if (rows.length > 1)
      throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: row 1 repeats the key of row 0 (every key column is shared)`, {
        table: spec.table,
        row: 1,
      });
    return;
  }
  let ordered = true;
  for (let index = 1; index < rows.length && ordered; index++) ordered = keyFollows(rows[index - 1]!, rows[index]!, keyColumns);
  if (ordered) return;
  const seen = new Map<unknown, unknown>();
  const last = keyColumns.length - 1;
  rows.forEach((row, index) => {
    let level = seen;
    for (let position = 0; position < last; position++) {
      const part = keyPart(row[keyColumns[position]!]);
      let next = level.get(part) as Map<unknown, unknown> | undefined;
      if (next === undefined) level.set(part, (next = new Map()));
      level = next;
    }
    // One hash lookup, not two: a key already present leaves the size unchanged.
    const size = level.size;
    level.set(keyPart(row[keyColumns[last]!]), true);
    if (level.size === size) {
      const shown = JSON.stringify(spec.keyColumns.map((name) => keyValue(value(row, name))));
      throw new AppError('UPSERT_INVALID', `Invalid UPSERT into ${spec.table}: row ${index} repeats key ${shown} of an earlier row in the same batch`, {
        table: spec.table,
        row: index,
      });
    }
  });
}

// Whether `row`'s key is greater than `previous`'s; only strings with strings and numbers with numbers
// count (anything else, or NaN, is "not known to follow").
function keyFollows(previous: UpsertRow, row: UpsertRow, keyColumns: readonly string[]): boolean {
  for (const name of keyColumns) {
    const before = previous[name];
    const after = row[name];
    if (typeof before !== typeof after || (typeof before !== 'string' && typeof before !== 'number')) return false;
    if (after! > before) return true;
    if (!(after === before)) return false;
  }
  return false;
}

// A key part as a Map key: strings and numbers as they are (so '1' and 1 stay apart), anything else as its text.
function keyPart(value: SqlValue | undefined): unknown {
  if (typeof value === 'string' || typeof value === 'number') return value;
  return keyValue(value);
}

function keyValue(value: SqlValue | undefined): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  return value ?? null;
}
