import type { Streamer } from '../../datastore/datastore';
import type { SqlDialect } from '../../datastore/dialects';
import { RunCancelledError } from '../modeling/model';
import type { RunParams } from './run.record';

export interface FeatureTable {
  /** Row-major feature values, NaN for NULL; exactly rows × columns long. */
  readonly values: Float64Array;
  readonly rows: number;
  readonly columns: number;
  /** Each row's entity key as stored in assignments and outcomes. */
  readonly entityKeys: string[];
}

/**
 * Reads a dataset's keys and features in batches into one growing Float64Array: no row objects are
 * kept beyond a batch, so memory is the features (8 bytes a value) plus the key strings.
 */
export async function readFeatureTable(
  streamer: Streamer,
  dialect: SqlDialect,
  params: RunParams,
  batchRows: number,
  shouldCancel: () => boolean,
): Promise<FeatureTable> {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const columns = params.featureColumns.length;
  let values = new Float64Array(Math.max(1, batchRows) * columns);
  const entityKeys: string[] = [];
  const select = [...params.keyColumns, ...params.featureColumns].map(q).join(', ');
  await streamer.stream(
    { sql: `SELECT ${select} FROM ${q(params.table)} ORDER BY ${params.keyColumns.map(q).join(', ')}`, parameters: [], kind: 'select' },
    batchRows,
    (rows) => {
      if (shouldCancel()) throw new RunCancelledError();
      const needed = (entityKeys.length + rows.length) * columns;
      if (needed > values.length) {
        const grown = new Float64Array(Math.max(needed, values.length * 2));
        grown.set(values);
        values = grown;
      }
      for (const row of rows) {
        const offset = entityKeys.length * columns;
        params.featureColumns.forEach((name, index) => {
          const value = row[name];
          values[offset + index] = value === null || value === undefined ? Number.NaN : Number(value);
        });
        entityKeys.push(entityKey(params.keyColumns.map((name) => row[name])));
      }
    },
  );
  const rows = entityKeys.length;
  // A view, not a copy: the buffer moves to the worker as it is.
  return { values: values.subarray(0, rows * columns), rows, columns, entityKeys };
}

/**
 * One string per entity: a single key's value as text, a composite key as a JSON array. Dates are
 * ISO 8601 in UTC, so keys read on any database compare equal.
 */
export function entityKey(parts: readonly unknown[]): string {
  const text = parts.map((part) => (part instanceof Date ? part.toISOString() : part));
  return text.length === 1 ? String(text[0]) : JSON.stringify(text);
}
