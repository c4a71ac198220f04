import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, decodeAssignmentChunk, encodeAssignmentChunk, type AssignmentColumns } from '../../../../src/modules/run/assignment-chunk-codec';
import { inKeyOrder, integerKeyOrder, keyOrder } from '../../../../src/modules/run/assignment-order';
import { SeededRandom } from '../../../../src/shared/seeded-random';

function roundTrip(chunk: AssignmentColumns): AssignmentColumns {
  return decodeAssignmentChunk(encodeAssignmentChunk(chunk));
}

function columns(keys: string[], clusters: number[], distances: number[]): AssignmentColumns {
  return { keys, clusters: Int32Array.from(clusters), distances: Float64Array.from(distances) };
}

describe('assignment chunk codec', () => {
  it('an empty chunk packs to its 8-byte header and reads back empty', () => {
    const packed = encodeAssignmentChunk(columns([], [], []));
    assert.equal(packed.length, 8);
    const read = decodeAssignmentChunk(packed);
    assert.deepEqual([read.keys, [...read.clusters], [...read.distances]], [[], [], []]);
  });

  it('extreme doubles and int32 clusters read back bit for bit; −0 reads back as 0, as the datastore writes it', () => {
    const distances = [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308, 0.1, Infinity, -Infinity, NaN];
    const clusters = [0, -1, 2147483647, -2147483648, 1, 2, 3, 4, 5, 6, 7];
    const keys = distances.map((_, index) => `k${index}`);
    const read = roundTrip(columns(keys, clusters, distances));
    assert.deepEqual([...read.clusters], clusters);
    read.distances.forEach((value, index) =>
      assert.ok(Object.is(value, Object.is(distances[index], -0) ? 0 : distances[index]), `distance ${index}: ${value}`),
    );
  });

  it('hostile keys read back exactly: 4-byte UTF-8, combining marks, NUL-free control characters, JSON arrays of composite keys, the empty key, 512 characters', () => {
    const keys = ['', '😀🧪', '𝒜\u{10FFFF}', 'e\u0301', '한국어', '\u0001\t\r\n', '["a",1,null]', '["x\\"y",2.5]', 'é'.repeat(512), '\uFFFF', ' trailing '];
    const read = roundTrip(
      columns(
        keys,
        keys.map((_, index) => index),
        keys.map((_, index) => index / 3),
      ),
    );
    assert.deepEqual(read.keys, keys);
  });

  it('a chunk cut short or of another version is refused', () => {
    const packed = encodeAssignmentChunk(columns(['abc', 'def'], [1, 2], [1, 2]));
    assert.throws(() => decodeAssignmentChunk(packed.subarray(0, packed.length - 1)), /cut short/);
    assert.throws(() => decodeAssignmentChunk(packed.subarray(0, 20)), /cut short/);
    const other = Buffer.from(packed);
    other.writeUInt8(2, 0);
    assert.throws(() => decodeAssignmentChunk(other), /version 1/);
  });

  it('keys decoded without keys still give every cluster', () => {
    const read = decodeAssignmentChunk(encodeAssignmentChunk(columns(['a', 'b'], [7, 9], [0, 1])), false);
    assert.deepEqual([read.keys, [...read.clusters]], [[], [7, 9]]);
  });

  it('compareKeys orders by code point, as UTF-8 bytes do: U+FFFF before an astral character, unlike `<`', () => {
    const keys = ['\u{1F600}', '\uFFFF', 'b', 'a', 'ab', '', '\uE000', '\u{10000}'];
    const sorted = [...keys].sort(compareKeys);
    assert.deepEqual(sorted, ['', 'a', 'ab', 'b', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}']);
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(sorted, byBytes);
    assert.deepEqual(
      [...keyOrder(keys)].map((index) => keys[index]),
      sorted,
    );
    assert.ok(inKeyOrder(sorted));
    assert.ok(!inKeyOrder(keys));
    assert.deepEqual(
      [...keyOrder(['b', 'c', 'a'])].map((index) => ['b', 'c', 'a'][index]),
      ['a', 'b', 'c'],
    );
  });
});

describe('integerKeyOrder', () => {
  /** The order keyOrder gives the keys' texts, as the indexes' keys. */
  const byText = (keys: readonly number[]) => [...keyOrder(keys.map(String))].map((index) => keys[index]);
  const byRank = (keys: readonly number[]) => [...integerKeyOrder(keys.length, (index) => keys[index]!)!].map((index) => keys[index]);

  it('orders integer keys as their texts sort (code points): ids 1…200,000, then every digit count, sign and -0 at random, duplicates kept', () => {
    const ids = Array.from({ length: 200_000 }, (_, index) => 200_000 - index);
    assert.deepEqual(byRank(ids), byText(ids));

    const random = new SeededRandom(20_261_204);
    const keys: number[] = [0, -0, 1, -1, 9, 10, 11, 19, 2, 100, 1_000_000_000, 9_999_999_999, -9_999_999_999, 2 ** 31, -(2 ** 31)];
    for (let index = 0; index < 100_000; index++) {
      const digits = 1 + random.integer(10);
      const magnitude = Math.floor(random.next() * 10 ** digits);
      keys.push(random.next() < 0.3 ? -magnitude : magnitude);
    }
    keys.push(...keys.slice(0, 1_000)); // the same key twice lands side by side
    const ordered = byRank(keys);
    assert.deepEqual(ordered.map(String), byText(keys).map(String));
    assert.ok(inKeyOrder([...new Set(ordered.map(String))]));
  });

  it('ties keep their first order (a stable sort), so two rows of one key stay in row order', () => {
    const keys = [5, 3, 5, 3, -0, 0];
    assert.deepEqual([...integerKeyOrder(keys.length, (index) => keys[index]!)!], [4, 5, 1, 3, 0, 2]);
  });

  it('no order (null) where a key is not an integer of at most 10 digits, or not a number', () => {
    for (const odd of [0.5, -1.25, 10_000_000_000, -10_000_000_000, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, null]) {
      const keys = [1, 2, odd, 3];
      assert.equal(
        integerKeyOrder(keys.length, (index) => keys[index]!),
        null,
        String(odd),
      );
    }
    assert.deepEqual([...integerKeyOrder(0, () => 1)!], []);
  });
});
