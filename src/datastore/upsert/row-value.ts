import type { SqlValue, UpsertSpec } from '../types';

export type UpsertRow = Readonly<Record<string, SqlValue>>;

/** Reads a row's value of a column, or the spec's shared value for it. */
export function rowValue(spec: UpsertSpec): (row: UpsertRow, name: string) => SqlValue | undefined {
  const shared = spec.sharedValues;
  if (!shared || Object.keys(shared).length === 0) return (row, name) => row[name];
  return (row, name) => (Object.hasOwn(shared, name) ? shared[name] : row[name]);
}
