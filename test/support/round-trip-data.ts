import type { ColumnDefinition, SqlValue } from '../../src/datastore/types';
import { characterCount } from '../../src/shared/character-count';
import { SeededRandom } from '../../src/shared/seeded-random';

/**
 * TESTS ONLY: the round-trip suite's data (test/integration/roundtrip/), from one seed. Every value a
 * path writes comes from here, so a failure is replayed by running the file again with the seed it
 * printed: ROUND_TRIP_SEED=<seed> node --test dist/test/integration/roundtrip/<file>.test.js
 */
export const ROUND_TRIP_SEED = seedFromEnvironment();

function seedFromEnvironment(): number {
  const text = process.env.ROUND_TRIP_SEED;
  if (text === undefined || text === '') return 20_261_203;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`ROUND_TRIP_SEED must be a non-negative integer, got "${text}"`);
  return seed;
}

/** Doubles at the edges of the format, and those that break naive printing and parsing. */
export const EXTREME_DOUBLES: readonly number[] = [
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE, // 5e-324, the smallest subnormal
  -Number.MIN_VALUE,
  -0,
  0,
  2.2250738585072014e-308, // the smallest normal
  2.225073858507201e-308, // the largest subnormal
  -1.5e-310,
  1e-300,
  1e300,
  -1e-7,
  1e21, // where JavaScript starts writing exponents
  0.1,
  1 / 3,
  Math.PI,
  123_456_789.123_456_78,
  2 ** 53,
  2 ** 53 + 2, // integers above 2^53, as doubles
  2 ** 60,
  -(2 ** 63),
  2 ** 64,
  1.7976931348623155e308, // the double below the largest
];

/** Timestamps at the stored precision (milliseconds), around the epoch and other edges, within every engine's range (MariaDB DATETIME: years 1000–9999). */
export const EDGE_TIMESTAMPS: readonly Date[] = [
  '1970-01-01T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z',
  '1970-01-01T00:00:00.001Z',
  '2038-01-19T03:14:07.999Z',
  '2038-01-19T03:14:08.000Z',
  '2000-02-29T12:00:00.500Z',
  '1000-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
].map((text) => new Date(text));

// Pieces that each test one thing about text: Hangul, astral characters (one code point, two UTF-16
// units), a family emoji (zero-width joiners), combining marks, right-to-left scripts and marks,
// quotes, backslashes, separators and controls a driver or an encoder might treat specially.
const TEXT_PIECES: readonly string[] = [
  '한국어',
  '미세먼지',
  '😀',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '👩‍👩‍👧‍👦',
  'e\u0301',
  'a\u0308\u0323',
  'שלום',
  'مرحبا',
  '\u200f',
  'ǅ',
  'ß',
  "'",
  '"',
  '\\',
  ',',
  '{}',
  '[]',
  '%_',
  '?',
  '\t',
  '\n',
  'NULL',
  '$[0]',
];

// Code point ranges single characters are drawn from: ASCII letters, Latin-1, Greek, Hebrew, Arabic,
// Hangul syllables, CJK, combining marks and emoji (astral).
const CODE_POINT_RANGES: readonly (readonly [number, number])[] = [
  [0x41, 0x5a],
  [0x61, 0x7a],
  [0xc0, 0xff],
  [0x391, 0x3c9],
  [0x5d0, 0x5ea],
  [0x627, 0x64a],
  [0xac00, 0xd7a3],
  [0x4e00, 0x9fff],
  [0x300, 0x36f],
  [0x1f300, 0x1f64f],
];

/** How NULLs fall in a generated column. `edges`: the first and last row of every batch of `batchRows`. */
export type NullPattern = 'none' | 'random' | 'edges' | 'alternating' | 'all';

export interface GeneratedColumn extends ColumnDefinition {
  readonly nulls?: NullPattern;
}

/** Seeded values of every kind the app stores. */
export class RoundTripGenerator {
  private readonly random: SeededRandom;

  constructor(readonly seed: number = ROUND_TRIP_SEED) {
    this.random = new SeededRandom(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.random.next();
  }

  /** An integer in [0, bound). */
  integer(bound: number): number {
    return this.random.integer(bound);
  }

  pick<T>(values: readonly T[]): T {
    return values[this.random.integer(values.length)]!;
  }

  /**
   * A double: one of EXTREME_DOUBLES a fifth of the time, a random bit pattern (any exponent, subnormals
   * included) two fifths, else an ordinary measurement-like value. `allowed` filters what an engine refuses.
   */
  double(allowed: (value: number) => boolean = () => true): number {
    for (;;) {
      const roll = this.random.next();
      const value =
        roll < 0.2 ? this.pick(EXTREME_DOUBLES) : roll < 0.6 ? this.randomBits() : Math.round(this.random.normal() * 1e6) / 10 ** this.random.integer(9);
      if (allowed(value)) return value;
    }
  }

  /** A double no larger than `magnitude` in absolute value (features a run must be able to scale). */
  boundedDouble(magnitude: number, allowed: (value: number) => boolean = () => true): number {
    for (;;) {
      const value = this.double(allowed);
      if (Number.isFinite(value) && Math.abs(value) <= magnitude) return value;
    }
  }

  private randomBits(): number {
    const bits = new Uint32Array(2);
    const view = new Float64Array(bits.buffer);
    do {
      bits[0] = this.random.integer(2 ** 32);
      bits[1] = this.random.integer(2 ** 32);
    } while (!Number.isFinite(view[0]!));
    return view[0]!;
  }

  /** An integer within INTEGER's 32-bit range, the edges included now and then. */
  int32(): number {
    const roll = this.random.next();
    if (roll < 0.05) return 2_147_483_647;
    if (roll < 0.1) return -2_147_483_648;
    if (roll < 0.15) return 0;
    return this.random.integer(2 ** 32) - 2 ** 31;
  }

  /** A BIGINT: a JavaScript number when safe, else a bigint (the app reads those back as decimal text). */
  bigint(): number | bigint {
    const roll = this.random.next();
    if (roll < 0.05) return 9_223_372_036_854_775_807n;
    if (roll < 0.1) return -9_223_372_036_854_775_808n;
    if (roll < 0.4) return this.random.integer(2 ** 31) * (this.random.next() < 0.5 ? -1 : 1);
    const big = (BigInt(this.random.integer(2 ** 31)) << 32n) | BigInt(this.random.integer(2 ** 32));
    const value = this.random.next() < 0.5 ? -big : big;
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }

  /** One character (code point) as a string. */
  character(): string {
    const [from, to] = this.pick(CODE_POINT_RANGES);
    return String.fromCodePoint(from + this.random.integer(to - from + 1));
  }

  /**
   * Text of exactly `length` characters (code points, as VARCHAR(n) counts them) mixing TEXT_PIECES and single characters. It never starts
   * or ends with whitespace or a combining mark (a name is trimmed; a lone mark at the start has
   * nothing to combine with).
   */
  text(length: number): string {
    const parts: string[] = [];
    let count = 0;
    while (count < length) {
      const piece = this.random.next() < 0.3 ? this.pick(TEXT_PIECES) : this.character();
      const size = characterCount(piece);
      if (count + size > length) continue;
      parts.push(piece);
      count += size;
    }
    const text = parts.join('');
    const points = [...text];
    const edge = (point: string) => /\s|\p{M}|\u200f/u.test(point);
    if (points.length > 0 && edge(points[0]!)) points[0] = 'A';
    if (points.length > 1 && edge(points.at(-1)!)) points[points.length - 1] = 'Z';
    return points.join('');
  }

  /** Text of 0 to `limit` code points; exactly `limit` a quarter of the time. */
  textUpTo(limit: number): string {
    return this.text(this.random.next() < 0.25 ? limit : this.random.integer(limit + 1));
  }

  /** A timestamp with milliseconds: one of EDGE_TIMESTAMPS a fifth of the time, else between 1000 and 9999. */
  timestamp(): Date {
    if (this.random.next() < 0.2) return new Date(this.pick(EDGE_TIMESTAMPS).getTime());
    const from = Date.UTC(1000, 0, 1);
    const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    return new Date(from + Math.floor(this.random.next() * (to - from)));
  }

  /**
   * Rows of `count` with each column's values from `value` and NULLs where its pattern says, in
   * batches of `batchRows` (the writer's rows per statement, or the reader's per batch).
   */
  rows(
    count: number,
    columns: readonly GeneratedColumn[],
    batchRows: number,
    value: (column: GeneratedColumn, row: number) => SqlValue,
  ): Record<string, SqlValue>[] {
    return Array.from({ length: count }, (_, row) => {
      const record: Record<string, SqlValue> = {};
      for (const column of columns) record[column.name] = this.isNull(column.nulls ?? 'none', row, count, batchRows) ? null : value(column, row);
      return record;
    });
  }

  private isNull(pattern: NullPattern, row: number, count: number, batchRows: number): boolean {
    switch (pattern) {
      case 'none':
        return false;
      case 'all':
        return true;
      case 'alternating':
        return row % 2 === 1;
      case 'edges':
        return row % batchRows === 0 || row % batchRows === batchRows - 1 || row === count - 1;
      case 'random':
        // The edges too, so a NULL sits where one statement ends and the next begins.
        return row % batchRows === 0 || row === count - 1 || this.random.next() < 0.05;
    }
  }
}
