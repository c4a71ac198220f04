import assert from 'node:assert/strict';
import { ROUND_TRIP_SEED } from './round-trip-data';

/**
 * TESTS ONLY: the round-trip suite's one check. Every row written is looked up by its key among the
 * rows read back and compared value by value; a failure names the seed, how many values differ in
 * which columns, and the first differing row with each differing column's written and read value.
 */
export interface RoundTripCheck<W, R> {
  /** What was written and read, and where: "assignments on SQLite". */
  readonly what: string;
  readonly written: readonly W[];
  readonly read: readonly R[];
  readonly keyOfWritten: (row: W) => string;
  readonly keyOfRead: (row: R) => string;
  /** The columns compared: each one's written value (as the engine gives it back) and read value. */
  readonly columns: readonly RoundTripColumn<W, R>[];
  readonly seed?: number;
}

export interface RoundTripColumn<W, R> {
  readonly name: string;
  /** The value expected back: the written value, through the engine's documented rules where it has any. */
  readonly expected: (row: W) => unknown;
  readonly actual: (row: R) => unknown;
  /** Whether the read value is the written one. Default: sameValue. */
  readonly same?: (expected: unknown, actual: unknown) => boolean;
}

/** A column read under the same name as it was written, each value through `expect`. */
export function sameColumn(
  name: string,
  expect: (value: unknown) => unknown = (value) => value,
): RoundTripColumn<Record<string, unknown>, Record<string, unknown>> {
  return { name, expected: (row) => expect(row[name]), actual: (row) => row[name] };
}

export function assertRoundTrip<W, R>(check: RoundTripCheck<W, R>): void {
  const seed = check.seed ?? ROUND_TRIP_SEED;
  const readByKey = new Map<string, R>();
  for (const row of check.read) readByKey.set(check.keyOfRead(row), row);
  const problems: string[] = [];
  if (readByKey.size !== check.read.length) problems.push(`${check.read.length - readByKey.size} key(s) read back more than once`);

  const perColumn = new Map<string, number>();
  let differingRows = 0;
  let first: string | undefined;
  const missing: string[] = [];
  check.written.forEach((row, index) => {
    const key = check.keyOfWritten(row);
    const read = readByKey.get(key);
    readByKey.delete(key);
    if (read === undefined) {
      missing.push(key);
      return;
    }
    const differences = check.columns.filter((column) => !(column.same ?? sameValue)(column.expected(row), column.actual(read)));
    if (differences.length === 0) return;
    differingRows += 1;
    for (const column of differences) perColumn.set(column.name, (perColumn.get(column.name) ?? 0) + 1);
    first ??=
      `first differing row: #${index} (key ${show(key)})\n` +
      differences.map((column) => `  ${column.name}${describeDifference(column.expected(row), column.actual(read))}`).join('\n');
  });
  if (missing.length > 0) problems.push(`${missing.length} row(s) written but not read back, the first with key ${show(missing[0])}`);
  if (readByKey.size > 0) problems.push(`${readByKey.size} row(s) read back that were not written, the first with key ${show([...readByKey.keys()][0])}`);
  if (differingRows > 0) {
    const counts = [...perColumn].map(([name, count]) => `${name} ${count}`).join(', ');
    const values = [...perColumn.values()].reduce((sum, count) => sum + count, 0);
    problems.push(`${values} values differ, in ${differingRows} of ${check.written.length} rows (per column: ${counts})\n${first}`);
  }
  if (problems.length > 0) {
    assert.fail(`round trip of ${check.what} (seed ${seed}; replay with ROUND_TRIP_SEED=${seed}):\n${problems.join('\n')}`);
  }
}

/**
 * Equal as stored values: numbers by Object.is (−0 is not 0, NaN is NaN), Dates by their time,
 * Buffers by their bytes, arrays and plain objects member by member, everything else by ===.
 */
export function sameValue(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') return Object.is(expected, actual);
  if (expected instanceof Date && actual instanceof Date) return expected.getTime() === actual.getTime();
  if (Buffer.isBuffer(expected) && Buffer.isBuffer(actual)) return expected.equals(actual);
  if (Array.isArray(expected) && Array.isArray(actual))
    return expected.length === actual.length && expected.every((value, index) => sameValue(value, actual[index]));
  if (isPlainObject(expected) && isPlainObject(actual)) {
    const keys = Object.keys(expected);
    return keys.length === Object.keys(actual).length && keys.every((key) => Object.hasOwn(actual, key) && sameValue(expected[key], actual[key]));
  }
  return expected === actual;
}

/** `: written …, read …`, or for arrays and objects the path to the first member that differs. */
function describeDifference(expected: unknown, actual: unknown, path = ''): string {
  const nested = (Array.isArray(expected) && Array.isArray(actual)) || (isPlainObject(expected) && isPlainObject(actual));
  if (nested) {
    const keys = [...new Set([...Object.keys(expected as object), ...Object.keys(actual as object)])];
    for (const key of keys) {
      const member = (value: unknown) => (value as Record<string, unknown>)[key];
      if (!sameValue(member(expected), member(actual))) {
        return describeDifference(member(expected), member(actual), `${path}${Array.isArray(expected) ? `[${key}]` : `.${key}`}`);
      }
    }
  }
  return `${path}: written ${show(expected)}, read ${show(actual)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A value as a failure shows it: −0 with its sign, doubles in full, Dates in ISO, text escaped with its length in code points. */
export function show(value: unknown): string {
  if (value === null) return 'NULL';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
    return `${shown} (${[...value].length} code points)`;
  }
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString('hex')}>`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([key, member]) => `${key}: ${show(member)}`)
      .join(', ')} }`;
  return typeof value === 'boolean' || typeof value === 'symbol' ? String(value) : `[${typeof value}]`;
}
