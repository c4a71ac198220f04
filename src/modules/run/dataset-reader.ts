import type { KeyRange, OrderedRead } from '../../datastore/types';
import type { Streamer } from '../../datastore/contracts';
import type { SqlDialect } from '../../datastore/dialects';
import type { RowBatch } from '../../datastore/row-batch';
import { ModelInputError, RunCancelledError } from '../modeling/model';
import { EntityKeyBuilder, JoinedEntityKeys, type EntityKeys } from './entity-keys';
import { FeatureRows } from './feature-rows';
import type { WasmMemory } from '../modeling/model/wasm/shared-memory';
import type { RunParams } from './run.record';

export interface FeatureTable {
  /** Row-major feature values, NaN for NULL; exactly rows × columns long, on a SharedArrayBuffer. */
  readonly values: Float64Array;
  /** The shared WebAssembly memory `values` is in, when it is in one: a worker given it reads `values` in place. */
  readonly memory?: WasmMemory;
  readonly rows: number;
  readonly columns: number;
  /** Each row's entity key as stored in assignments and outcomes. */
  readonly keys: EntityKeys;
  /** In each feature, the values read that were no numbers (text in a SQLite column), NaN in `values` as NULL is. */
  readonly nonNumeric: readonly number[];
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

/** What readFeatureTable is told as it goes. */
export interface ReadHooks {
  /** Checked before each batch: true stops the read with RunCancelledError. */
  readonly shouldCancel: () => boolean;
  /** Rows read so far, over every part, after each batch. */
  readonly onRows?: (rowsRead: number) => void;
}

/**
 * Reads a dataset's keys and features in key order, batch by batch, straight into one shared matrix (no
 * row objects, no joined copy). With `parts` above 1, consecutive key ranges are read side by side on
 * their own connections, each into its own slot of the matrix sized by the split's count: the same rows
 * as one read. Only when a range held other rows than counted (the table changed, or keys tie at a
 * boundary) are the parts copied once into place. When a part fails, the others stop at their next batch
 * and the first failure is thrown.
 */
export async function readFeatureTable(
  streamer: Streamer,
  dialect: SqlDialect,
  params: RunParams,
  batchRows: number,
  hooks: ReadHooks,
  parts = 1,
  minRowsPerPart = MIN_ROWS_PER_READ_PART,
): Promise<FeatureTable> {
  const read = orderedReadOf(params, dialect);
  const columns = params.featureColumns.length;
  const ranges: KeyRange[] = parts > 1 ? await streamer.splitOrdered(read, parts, minRowsPerPart) : [{}];
  // Counted ranges share one matrix, each in its slot; uncounted ones (a streamer that gives no counts)
  // read into matrices of their own, joined after.
  const counted = ranges.length === 1 || ranges.every((range) => range.rows !== undefined);
  const shared = new FeatureRows(columns, ranges.length > 1 && counted ? ranges.reduce((sum, range) => sum + range.rows!, 0) : 0);
  const pieces: PartReader[] = [];
  let start = 0;
  for (const range of ranges) {
    const sole = ranges.length === 1 || !counted;
    pieces.push(
      new PartReader(
        sole && pieces.length > 0 ? new FeatureRows(columns) : shared,
        params.keyColumns.length,
        sole ? 0 : start,
        sole ? Number.POSITIVE_INFINITY : range.rows!,
      ),
    );
    start += range.rows ?? 0;
  }
  let failed = false;
  let rowsRead = 0;
  const settled = await Promise.allSettled(
    ranges.map((range, part) =>
      streamer
        .streamOrdered(
          read,
          batchRows,
          (batch) => {
            if (hooks.shouldCancel()) throw new RunCancelledError();
            if (failed) throw new SiblingFailed();
            pieces[part]!.add(batch);
            rowsRead += batch.length;
            hooks.onRows?.(rowsRead);
          },
          range,
        )
        .catch((error: unknown) => {
          failed = true;
          throw error;
        }),
    ),
  );
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  const failure = failures.findIndex((reason) => !(reason instanceof SiblingFailed));
  if (failure !== -1) throw failures[failure];

  const keys = pieces.length === 1 ? pieces[0]!.keys : new JoinedEntityKeys(pieces.map((piece) => piece.keys));
  const rows = keys.length;
  const inPlace = counted && pieces.every((piece) => piece.filledItsSlot());
  const matrix = inPlace ? shared : repack(pieces, columns, rows);
  const nonNumeric = params.featureColumns.map((_, column) => pieces.reduce((sum, piece) => sum + piece.nonNumeric[column]!, 0));
  return { values: matrix.view(rows), memory: matrix.memory, rows, columns, keys, nonNumeric };
}

/** The ordered read of a run's keys and features, its names checked. */
export function orderedReadOf(params: RunParams, dialect: SqlDialect): OrderedRead {
  for (const name of [params.table, ...params.keyColumns, ...params.featureColumns]) dialect.assertIdentifier(name);
  return { table: params.table, columns: [...params.keyColumns, ...params.featureColumns], keyColumns: params.keyColumns, numbers: params.featureColumns };
}

/** Adds a batch's counts of values that were no numbers (RowBatch.nonNumbers) in its features (after `keyCount` keys) to `counts`. */
export function addNonNumbers(batch: RowBatch, keyCount: number, counts: number[]): void {
  if (!batch.nonNumbers) return;
  for (let column = 0; column < counts.length; column++) counts[column]! += batch.nonNumbers[keyCount + column] ?? 0;
}

/**
 * Appends a batch's entity keys (its first `keyCount` columns) to `keys`, of the rows `keep` keeps
 * (default all). A NULL key part names no row (String(null) would be the text "null", another row's key
 * perhaps): NULL_KEY. Registering refuses such keys; this is a row written since.
 */
export function addKeys(batch: RowBatch, keyCount: number, keys: EntityKeyBuilder, keep?: (row: number) => boolean): void {
  if (keyCount === 1) {
    for (let row = 0; row < batch.length; row++) {
      if (keep && !keep(row)) continue;
      const value = batch.value(row, 0);
      if (typeof value === 'number') keys.addNumber(value);
      else if (value === null) throw nullKey(batch, 0);
      else keys.addText(keyText(value));
    }
    return;
  }
  const keyParts: unknown[] = new Array<unknown>(keyCount);
  for (let row = 0; row < batch.length; row++) {
    if (keep && !keep(row)) continue;
    for (let key = 0; key < keyCount; key++) {
      keyParts[key] = batch.value(row, key);
      if (keyParts[key] === null) throw nullKey(batch, key);
    }
    keys.addText(entityKey(keyParts));
  }
}

function nullKey(batch: RowBatch, column: number): ModelInputError {
  return new ModelInputError('NULL_KEY', `a row of the table has a NULL in key column "${batch.columnName(column)}"`);
}

/**
 * One part's rows: into its slot of the shared matrix (from `start`, `capacity` rows; a sole part's has
 * no end and grows the matrix), and past the slot, into rows of its own.
 */
class PartReader {
  readonly keys = new EntityKeyBuilder();
  readonly nonNumeric: number[];
  private overflow: FeatureRows | null = null;
  private rows = 0;
  private spilled = 0;

  constructor(
    private readonly matrix: FeatureRows,
    private readonly keyCount: number,
    private readonly start: number,
    private readonly capacity: number,
  ) {
    this.nonNumeric = new Array<number>(matrix.columns).fill(0);
  }

  add(batch: RowBatch): void {
    addNonNumbers(batch, this.keyCount, this.nonNumeric);
    if (this.spilled === 0 && this.rows + batch.length <= this.capacity) {
      this.copyFeatures(batch, this.matrix.ensureRows(this.start + this.rows + batch.length), this.start + this.rows);
      this.rows += batch.length;
    } else {
      this.overflow ??= new FeatureRows(this.matrix.columns);
      this.copyFeatures(batch, this.overflow.ensureRows(this.spilled + batch.length), this.spilled);
      this.spilled += batch.length;
    }
    this.addKeys(batch);
  }

  /** Whether the part's rows lie exactly in its slot (one without an end always does). */
  filledItsSlot(): boolean {
    return this.spilled === 0 && (this.capacity === Number.POSITIVE_INFINITY || this.rows === this.capacity);
  }

  /** Writes the part's rows at `offset` rows into `target`. */
  copyInto(target: Float64Array, offset: number): number {
    const columns = this.matrix.columns;
    target.set(this.matrix.view(this.start + this.rows).subarray(this.start * columns), offset * columns);
    if (this.overflow) target.set(this.overflow.view(this.spilled), (offset + this.rows) * columns);
    return offset + this.rows + this.spilled;
  }

  private copyFeatures(batch: RowBatch, target: Float64Array, atRow: number): void {
    const columns = this.matrix.columns;
    for (let column = 0; column < columns; column++) batch.copyNumbers(this.keyCount + column, target, atRow * columns + column, columns);
  }

  private addKeys(batch: RowBatch): void {
    addKeys(batch, this.keyCount, this.keys);
  }
}

// The parts did not fit their slots (rows added or deleted during the read, or keys tied at a boundary): one copy.
function repack(pieces: readonly PartReader[], columns: number, rows: number): FeatureRows {
  const matrix = new FeatureRows(columns, rows);
  const target = matrix.view(rows);
  let offset = 0;
  for (const piece of pieces) offset = piece.copyInto(target, offset);
  return matrix;
}

// Thrown into a part's read when another part has failed: that failure is the one reported.
class SiblingFailed extends Error {}

/**
 * One string per entity: a single key's value as text, a composite key as a JSON array. Dates are
 * ISO 8601 in UTC, so keys read on any database compare equal; bytes (a BLOB key) are X'…' in hex.
 */
export function entityKey(parts: readonly unknown[]): string {
  if (parts.length === 1) return keyText(parts[0]);
  return JSON.stringify(parts.map((part) => (part instanceof Date ? part.toISOString() : Buffer.isBuffer(part) ? bytesText(part) : part)));
}

function keyText(part: unknown): string {
  if (part instanceof Date) return part.toISOString();
  return Buffer.isBuffer(part) ? bytesText(part) : String(part);
}

function bytesText(bytes: Buffer): string {
  return `X'${bytes.toString('hex').toUpperCase()}'`;
}
