import { AppError } from '../errors/app-error';
import type { Streamer } from './contracts';
import type { SqlDialect } from './dialects/dialect';
import { lastPackedKey, readPackedPage, readPackedTexts, UnreadablePackedPage, type PackedRows } from './packed-page';
import { RowBatch } from './row-batch';
import type { KeyRange, OrderedRead, SqlCondition, SqlValue, Statement } from './types';
import { SQL_BIGINT, SQL_DOUBLE } from './values';

type OnBatch = (batch: RowBatch) => void | Promise<void>;

/** What reading in key order needs of the driver; the datastore hands it over. */
export interface BatchSource {
  /** The dialect as it is now (detectServer may refine it). */
  dialect(): SqlDialect;
  /** One statement's rows as one batch. */
  queryBatch(statement: Statement): Promise<RowBatch>;
  /** A statement read through a cursor, `fetchSize` rows a batch; returns the rows read. */
  streamCursor(statement: Statement, fetchSize: number, onBatch: OnBatch): Promise<number>;
}

/**
 * Reads a table in key order (see Streamer): through a cursor where the dialect's is reliable, else page
 * by page by key, which costs the same for every page, unlike OFFSET. Every SQL text is the dialect's.
 */
export class KeysetReader implements Streamer {
  private packedProbe: Promise<boolean> | undefined;

  constructor(private readonly source: BatchSource) {}

  streamOrdered(read: OrderedRead, fetchSize: number, onBatch: OnBatch, range: KeyRange = {}): Promise<number> {
    const invalid = invalidOrderedRead(read, range);
    if (invalid) return Promise.reject(invalid);
    const dialect = this.source.dialect();
    if (dialect.compilePackedPage(read, [], fetchSize)) return this.streamPacked(dialect, read, fetchSize, onBatch, range);
    return this.streamRows(dialect, read, fetchSize, onBatch, range);
  }

  /**
   * Pages of the packed form (SqlDialect.compilePackedPage) while it carries the rows, then on from the
   * last whole key by the driver (streamRows): at a key that is no integer, or a page all of one key.
   * A whole read takes its rows with a NULL key part first (readNullKeyed). The driver alone where this
   * library fails packedPageProbe. While a page is read here, the next page's statement runs on the
   * connection this page's has left: from the page's last key (lastPackedKey), where a full page's cut
   * makes the next page start; it is used only when the read confirms that key and goes on.
   */
  private async streamPacked(dialect: SqlDialect, read: OrderedRead, pageSize: number, onBatch: OnBatch, range: KeyRange): Promise<number> {
    if (!(await this.packedFormHolds(dialect))) return this.streamRows(dialect, read, pageSize, onBatch, range);
    const whole = range.after === undefined && range.through === undefined;
    const nullKeyed = whole ? await this.readNullKeyed(dialect, read, pageSize, this.masked(dialect, read, onBatch)) : 0;
    let total = nullKeyed;
    const keyed = whole ? withoutNullKeys(dialect, read) : read;
    const columns = read.columns.map((name, index) => ({ name, dataType: index === 0 ? SQL_BIGINT : SQL_DOUBLE }));
    const valueColumns = read.columns.length - 1;
    const pageAfter = (after: readonly SqlValue[] | undefined) => {
      const statement = dialect.compilePackedPage(keyed, rangeConditions(dialect, read, { ...range, after }), pageSize)!;
      // A page's texts are its columns (SQLite's several), in order.
      const page = this.source.queryBatch(statement).then((result) => ({
        texts: result.length === 0 ? [] : result.columns.map((_, column) => result.value(0, column)),
        rows: statement.rows,
        form: statement.form,
      }));
      // Marked handled at once: the next page's statement may fail while this page is handed over, before
      // anything awaits it (Node would end the process); the read still meets the failure where it awaits it.
      page.catch(() => undefined);
      return page;
    };
    let after = range.after;
    let next: ReturnType<typeof pageAfter> | undefined = pageAfter(after);
    let nextFrom: number | string | undefined;
    // The driver reads on from `after` once the next page's statement (unused) has ended: one connection at a
    // time. A whole read tells it how many of `keyed`'s rows came before, for paging by OFFSET where keys fail.
    const byDriver = async () => {
      await next?.catch(() => undefined);
      next = undefined;
      return this.streamRows(dialect, keyed, pageSize, onBatch, { ...range, ...(after ? { after } : {}) }, whole ? total - nullKeyed : undefined);
    };
    try {
      for (;;) {
        const { texts, rows: limit, form } = await next;
        next = undefined;
        const from = lastPackedKey(texts, valueColumns, form);
        if (from !== undefined) {
          next = pageAfter([integerBelow(from)]);
          nextFrom = from;
          // The pool hands the connection over in promise callbacks: they run (and the statement goes to
          // the driver's thread) before this page is read.
          await new Promise(setImmediate);
        }
        let page: PackedRows;
        try {
          page = readPackedTexts(texts, valueColumns, limit, form);
        } catch (error) {
          // A column whose text is no number's: the driver reads on, as it reads such a value.
          if (!(error instanceof UnreadablePackedPage)) throw error;
          return total + (await byDriver());
        }
        if (page.rows.length > 0) {
          total += page.rows.length;
          // A key past 2^53 comes as its digits: bound as the integer it is.
          const last = page.rows.at(-1)![0] as number | string;
          after = [typeof last === 'string' ? BigInt(last) : last];
          await onBatch(new RowBatch(columns, page.rows, dialect, page.nonNumbers));
        }
        if (page.then === 'done') return total;
        if (page.then === 'fallback') return total + (await byDriver());
        if (next === undefined || nextFrom !== page.lastKey) {
          await next?.catch(() => undefined);
          next = pageAfter(after);
        }
      }
    } finally {
      await next?.catch(() => undefined);
    }
  }

  // Whether this library writes packed pages exactly (SqlDialect.packedPageProbe): asked once; where the
  // probe itself fails, this read goes through the driver and the next one asks again.
  private async packedFormHolds(dialect: SqlDialect): Promise<boolean> {
    this.packedProbe ??= (async () => {
      const probe = dialect.packedPageProbe();
      if (!probe) return false;
      const page = readPackedPage((await this.source.queryBatch(probe.statement)).value(0, 0), 1, probe.values.length + 1, probe.form);
      return page.then === 'done' && page.rows.length === probe.values.length && page.rows.every((row, index) => Object.is(row[1], probe.values[index]));
    })();
    try {
      return await this.packedProbe;
    } catch {
      this.packedProbe = undefined;
      return false;
    }
  }

  /**
   * `continued`: this read goes on a whole read of `read` (its NULL keys excluded) from `range.after`,
   * after that many of its rows (streamPacked's fallback), not a range of it.
   */
  private streamRows(dialect: SqlDialect, read: OrderedRead, fetchSize: number, onBatch: OnBatch, range: KeyRange, continued?: number): Promise<number> {
    const deliver = this.masked(dialect, read, onBatch);
    if (dialect.reliableCursorFetch) {
      const texts = dialect.keyTexts(read);
      const statement = dialect.compileOrderedSelect(read, rangeConditions(dialect, read, range));
      const numbers = dialect.exactNumberColumns(read);
      return this.source.streamCursor(statement, fetchSize, (batch) => deliver(batch.withExactKeys(texts).withExactNumbers(numbers)));
    }
    if (continued !== undefined) return this.streamKeyPages(dialect, read, fetchSize, deliver, range, continued);
    return this.streamByKeyset(dialect, read, fetchSize, deliver, range);
  }

  // The batches of `read`'s own statements with their non-number masks (SqlDialect.nonNumberMasks) applied.
  private masked(dialect: SqlDialect, read: OrderedRead, onBatch: OnBatch): OnBatch {
    const masks = dialect.nonNumberMasks(read);
    return masks.length === 0 ? onBatch : (batch: RowBatch) => onBatch(batch.withNonNumbersAsNull(masks));
  }

  /**
   * The rows with a NULL key part, which meet no key condition: one statement in key order, handed over
   * `fetchSize` rows a batch (they are held at once; a run's dataset has none, its keys are checked).
   */
  private async readNullKeyed(dialect: SqlDialect, read: OrderedRead, fetchSize: number, onBatch: OnBatch): Promise<number> {
    const rows = await this.readBatch(dialect, read, dialect.compileOrderedSelect(read, [dialect.nullKeyCondition(read.keyColumns, true)]));
    for (let start = 0; start < rows.length; start += fetchSize) await onBatch(rows.slice(start, start + fetchSize));
    return rows.length;
  }

  /**
   * One statement counts the rows and those with a NULL key part; then each boundary is the key of the
   * row at that position (LIMIT 1 OFFSET n, a walk over the key index). A range ends at a key value, so
   * rows whose keys tie land in the same range.
   */
  async splitOrdered(read: OrderedRead, parts: number, minRowsPerPart: number): Promise<KeyRange[]> {
    const invalid = invalidOrderedRead(read, {});
    if (invalid) throw invalid;
    const whole: KeyRange[] = [{}];
    if (!Number.isInteger(parts) || parts < 2) return whole;
    const dialect = this.source.dialect();
    const [counts] = (await this.source.queryBatch(dialect.compileKeyCounts(read))).toRows();
    const total = Number(counts?.total_rows ?? 0);
    if (Number(counts?.null_keys ?? 0) > 0) return whole;
    const count = Math.min(parts, Math.floor(total / Math.max(1, minRowsPerPart)));
    if (count < 2) return whole;
    const keysOnly: OrderedRead = { ...read, columns: read.keyColumns };
    const keyIndexes = read.keyColumns.map((_, index) => index);
    const bounds: SqlValue[][] = [];
    // The position of each bound's row: a range's rows are the positions after the last one's up to its own.
    const positions: number[] = [];
    for (let part = 1; part < count; part++) {
      const offset = Math.floor((total * part) / count) - 1;
      const probe = await this.readBatch(dialect, keysOnly, dialect.compileKeyProbe(keysOnly, [], offset));
      if (probe.length === 0) break; // rows deleted since the count: fewer ranges
      const key = probe.rawValues(0, keyIndexes);
      if (key.some((value) => value === null)) return whole;
      // Keys that tie across the boundary: the next range would be empty.
      if (bounds.length > 0 && sameKey(bounds.at(-1)!, key)) continue;
      bounds.push(key);
      positions.push(offset);
    }
    return [...bounds, undefined].map((through, index) => ({
      ...(index > 0 ? { after: bounds[index - 1]! } : {}),
      ...(through ? { through } : {}),
      rows: (index < positions.length ? positions[index]! : total - 1) - (index > 0 ? positions[index - 1]! : -1),
    }));
  }

  /**
   * Each page is two statements: the key of the pageSize-th row after the last page (a probe, LIMIT 1
   * OFFSET pageSize − 1), then every row after the last page's key up to and including that key. The
   * database compares the keys, so rows whose keys tie (duplicates, case-insensitive text) land in one
   * page. A NULL key part satisfies neither comparison: the rows with one come first, in one statement
   * in key order (where NULL sorts first, as on MySQL, MariaDB and SQLite, the dialects that page today,
   * that is their place for a one-column key; a composite key's such rows come before all others), and
   * the pages read the rest. A NULL probe key, or a page shorter than the probe promised (rows written
   * or deleted meanwhile), switches to OFFSET for the rest.
   */
  private async streamByKeyset(dialect: SqlDialect, read: OrderedRead, pageSize: number, onBatch: OnBatch, range: KeyRange): Promise<number> {
    if (range.after !== undefined || range.through !== undefined) return this.streamKeyPages(dialect, read, pageSize, onBatch, range);
    const nullKeyed = await this.readNullKeyed(dialect, read, pageSize, onBatch);
    return nullKeyed + (await this.streamKeyPages(dialect, withoutNullKeys(dialect, read), pageSize, onBatch, range));
  }

  /**
   * Pages by key within `range`; `continued` as in streamRows. Where the driver reads a key as NULL (a
   * value of another type in the key column: SQLite's text in an INTEGER column), keys cannot page: a
   * whole or continued read goes on by OFFSET, a range (splitOrdered's, which has no NULL keys) fails.
   */
  private async streamKeyPages(
    dialect: SqlDialect,
    read: OrderedRead,
    pageSize: number,
    onBatch: OnBatch,
    range: KeyRange,
    continued?: number,
  ): Promise<number> {
    const keyIndexes = read.keyColumns.map((name) => read.columns.indexOf(name));
    const keysOnly: OrderedRead = { ...read, columns: read.keyColumns };
    const key = (values: readonly SqlValue[], strict: '<' | '>', last: '<' | '<=' | '>') => dialect.compileKeyCondition(read.keyColumns, values, strict, last);
    // The upper end goes into the probe and the last read only, so each statement bounds the key once
    // from each side (SQLite's planner takes the first of two lower bounds: measured 30× slower).
    const upperEnd = range.through ? [key(range.through, '<', '<=')] : [];
    const ranged = continued === undefined && (range.after !== undefined || range.through !== undefined);
    const before = continued ?? 0;
    let after = range.after ? [...range.after] : undefined;
    let total = before;
    for (;;) {
      const from = after ? [key(after, '>', '>')] : [];
      const probe = await this.readBatch(dialect, keysOnly, dialect.compileKeyProbe(keysOnly, [...from, ...upperEnd], pageSize - 1));
      if (probe.length === 0) {
        // Fewer than pageSize rows remain: read them all.
        const rest = await this.readBatch(dialect, read, dialect.compileOrderedSelect(read, [...from, ...upperEnd]));
        if (rest.length > 0) await onBatch(rest);
        return total + rest.length - before;
      }
      const upTo = probe.rawValues(
        0,
        read.keyColumns.map((_, index) => index),
      );
      // In a range a short page only means rows deleted meanwhile: splitOrdered makes no ranges over NULL keys.
      if (upTo.some((value) => value === null)) {
        if (ranged) throw unreadableKey(read);
        return (await this.streamByPages(dialect, read, pageSize, onBatch, total)) - before;
      }
      const page = await this.readBatch(dialect, read, dialect.compileOrderedSelect(read, [...from, key(upTo, '<', '<=')]));
      if (!ranged && page.length < pageSize) return (await this.streamByPages(dialect, read, pageSize, onBatch, total)) - before;
      // Taken before onBatch, which may blank values that are not numbers.
      const reached = page.length === 0 ? upTo : page.rawValues(page.length - 1, keyIndexes);
      // No further than before: the driver reads keys other than they compare (SQLite's 2.5 as 2 in a
      // column typed as integer), and paging by them would go round for ever.
      if (after !== undefined && sameKey(reached, after)) {
        if (ranged) throw unreadableKey(read);
        // The page's rows are not handed over: the pages by OFFSET read them, from the rows before.
        return (await this.streamByPages(dialect, read, pageSize, onBatch, total)) - before;
      }
      after = reached;
      if (page.length === 0) continue;
      total += page.length;
      await onBatch(page);
    }
  }

  // LIMIT/OFFSET from `offset` on: each page costs the rows before it, so only for what keys cannot page.
  private async streamByPages(dialect: SqlDialect, read: OrderedRead, pageSize: number, onBatch: OnBatch, offset: number): Promise<number> {
    const statement = dialect.compileOrderedSelect(read);
    let total = offset;
    for (;;) {
      const page = await this.readBatch(dialect, read, dialect.paginate(statement, { limit: pageSize, offset: total }));
      if (page.length === 0) break;
      total += page.length;
      await onBatch(page);
      if (page.length < pageSize) break;
    }
    return total;
  }

  // A statement of an ordered read (or its keys only) as a batch with exact keys and numbers (SqlDialect.keyTexts, exactNumberColumns).
  private async readBatch(dialect: SqlDialect, read: OrderedRead, statement: Statement): Promise<RowBatch> {
    return (await this.source.queryBatch(statement)).withExactKeys(dialect.keyTexts(read)).withExactNumbers(dialect.exactNumberColumns(read));
  }
}

// A key the driver read as NULL, or as a key already passed, in a range of keys: the rows from there on cannot be read in key order.
function unreadableKey(read: OrderedRead): AppError {
  return new AppError(
    'DB_ERROR',
    `A key of table ${read.table} (${read.keyColumns.join(', ')}) reads through the ODBC driver as NULL or as another key ` +
      `(a value of another type in the key column?): its rows cannot be read in key order`,
  );
}

/**
 * The integer just below a packed key: `key > integerBelow(k)` is `key >= k` for integer keys, so a page
 * read from it starts at k's rows, which a full page's cut leaves for the next page.
 */
function integerBelow(key: number | string): number | bigint {
  return typeof key === 'string' ? BigInt(key) - 1n : key - 1;
}

/** `read` without the rows that have a NULL key part (readNullKeyed reads those). */
function withoutNullKeys(dialect: SqlDialect, read: OrderedRead): OrderedRead {
  const noNull = dialect.nullKeyCondition(read.keyColumns, false);
  return { ...read, where: read.where ? dialect.allOf([read.where, noNull]) : noNull };
}

/** A range as conditions over the key columns (none for the whole read). */
function rangeConditions(dialect: SqlDialect, read: OrderedRead, range: KeyRange): SqlCondition[] {
  return [
    ...(range.after ? [dialect.compileKeyCondition(read.keyColumns, range.after, '>', '>')] : []),
    ...(range.through ? [dialect.compileKeyCondition(read.keyColumns, range.through, '<', '<=')] : []),
  ];
}

function invalidOrderedRead(read: OrderedRead, range: KeyRange): Error | undefined {
  const missing = read.keyColumns.filter((name) => !read.columns.includes(name));
  if (read.keyColumns.length === 0 || missing.length > 0) {
    return new Error(
      `An ordered read selects its key columns, and has at least one: keys [${read.keyColumns.join(', ')}], columns [${read.columns.join(', ')}]`,
    );
  }
  for (const end of [range.after, range.through]) {
    if (end && end.length !== read.keyColumns.length) return new Error(`A key range gives ${end.length} values for ${read.keyColumns.length} key columns`);
  }
  return undefined;
}

function sameKey(a: readonly SqlValue[], b: readonly SqlValue[]): boolean {
  return a.every((value, index) => {
    const other = b[index];
    if (Buffer.isBuffer(value) && Buffer.isBuffer(other)) return value.equals(other);
    if (value instanceof Date && other instanceof Date) return value.getTime() === other.getTime();
    return value === other;
  });
}
