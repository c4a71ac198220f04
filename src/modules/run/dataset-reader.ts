import type { KeyRange } from '../../datastore/types';
import type { Streamer } from '../../datastore/contracts';
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

/** Below this many rows a part, a dataset is read on one connection: the split's own queries would not pay. */
export const MIN_ROWS_PER_READ_PART = 50_000;

/**
 * Connections one run reads on: RUN_READ_CONNECTIONS, but never so many that the runs computing at once
 * (RUN_CONCURRENCY) could take the whole pool: one connection always stays for the API. At least 1.
 */
export function readConnectionsPerRun(requested: number, poolMax: number, concurrency: number): number {
  return Math.max(1, Math.min(requested, Math.floor((poolMax - 1) / Math.max(1, concurrency))));
}

/**
 * Reads a dataset's keys and features in key order, batch by batch, into Float64Array blocks (no row
 * objects), joined once at the end into exactly rows × columns values. With `parts` above 1, consecutive
 * key ranges are read side by side on their own connections and joined in range order, the same rows
 * as one read; when a part fails, the others stop at their next batch and the first failure is thrown.
 */
export async function readFeatureTable(
  streamer: Streamer,
  dialect: SqlDialect,
  params: RunParams,
  batchRows: number,
  shouldCancel: () => boolean,
  parts = 1,
  onRows?: (rowsRead: number) => void,
): Promise<FeatureTable> {
  for (const name of [params.table, ...params.keyColumns, ...params.featureColumns]) dialect.assertIdentifier(name);
  const columns = params.featureColumns.length;
  const keyCount = params.keyColumns.length;
  const read = {
    table: params.table,
    columns: [...params.keyColumns, ...params.featureColumns],
    keyColumns: params.keyColumns,
    numbers: params.featureColumns,
  };
  const ranges: KeyRange[] = parts > 1 ? await streamer.splitOrdered(read, parts, MIN_ROWS_PER_READ_PART) : [{}];
  const pieces = ranges.map(() => ({ blocks: [] as Float64Array[], entityKeys: [] as string[] }));
  let failed = false;
  let rowsRead = 0;
  const settled = await Promise.allSettled(
    ranges.map((range, part) => {
      const { blocks, entityKeys } = pieces[part]!;
      return streamer
        .streamOrdered(
          read,
          batchRows,
          (batch) => {
            if (shouldCancel()) throw new RunCancelledError();
            if (failed) throw new SiblingFailed();
            const block = new Float64Array(batch.length * columns);
            for (let column = 0; column < columns; column++) batch.copyNumbers(keyCount + column, block, column, columns);
            blocks.push(block);
            if (keyCount === 1) {
              for (let row = 0; row < batch.length; row++) entityKeys.push(keyText(batch.value(row, 0)));
            } else {
              const keyParts: unknown[] = new Array<unknown>(keyCount);
              for (let row = 0; row < batch.length; row++) {
                for (let key = 0; key < keyCount; key++) keyParts[key] = batch.value(row, key);
                entityKeys.push(entityKey(keyParts));
              }
            }
            rowsRead += batch.length;
            onRows?.(rowsRead);
          },
          range,
        )
        .catch((error: unknown) => {
          failed = true;
          throw error;
        });
    }),
  );
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  const failure = failures.findIndex((reason) => !(reason instanceof SiblingFailed));
  if (failure !== -1) throw failures[failure];

  const entityKeys = pieces.length === 1 ? pieces[0]!.entityKeys : pieces.flatMap((piece) => piece.entityKeys);
  const rows = entityKeys.length;
  const values = new Float64Array(rows * columns);
  let offset = 0;
  for (const piece of pieces) {
    for (const block of piece.blocks.splice(0)) {
      values.set(block, offset);
      offset += block.length;
    }
  }
  return { values, rows, columns, entityKeys };
}

// Thrown into a part's read when another part has failed: that failure is the one reported.
class SiblingFailed extends Error {}

/**
 * One string per entity: a single key's value as text, a composite key as a JSON array. Dates are
 * ISO 8601 in UTC, so keys read on any database compare equal.
 */
export function entityKey(parts: readonly unknown[]): string {
  if (parts.length === 1) return keyText(parts[0]);
  return JSON.stringify(parts.map((part) => (part instanceof Date ? part.toISOString() : part)));
}

function keyText(part: unknown): string {
  return part instanceof Date ? part.toISOString() : String(part);
}
