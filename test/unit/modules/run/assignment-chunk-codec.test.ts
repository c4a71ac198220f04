import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys, decodeAssignmentChunk, encodeAssignmentChunk, type AssignmentColumns } from '../../../../src/modules/run/assignment-chunk-codec';
import { inKeyOrder, keyOrder } from '../../../../src/modules/run/assignment-order';

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
