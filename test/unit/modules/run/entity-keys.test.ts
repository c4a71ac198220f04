import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntityKeyBuilder, JoinedEntityKeys, type EntityKeys } from '../../../../src/modules/run/entity-keys';

const CHUNK = 65_536;
const all = (keys: EntityKeys) => Array.from({ length: keys.length }, (_, row) => keys.keyOf(row));

describe('EntityKeyBuilder', () => {
  it('numeric keys across three chunks come back as their decimal text, row by row (integers, negatives, fractions, beyond 2^31)', () => {
    const builder = new EntityKeyBuilder();
    const expected: string[] = [];
    for (let row = 0; row < 2 * CHUNK + 17; row++) {
      const key = row % 3 === 0 ? row * 1_000_003 : row % 3 === 1 ? -row : row + 0.25;
      builder.addNumber(key);
      expected.push(String(key));
    }
    assert.equal(builder.length, expected.length);
    assert.deepEqual(all(builder), expected);
  });

  it('every numeric chunk form reads back exactly: consecutive ids, a descending step, 32-bit extremes, -0, a sequence broken at its last row, a fraction or 2^31 at the end', () => {
    // One builder, one chunk per case, so each chunk is sealed in the form its numbers allow.
    const cases: ((index: number) => number)[] = [
      (i) => i + 1, // consecutive ids
      (i) => 1_000_000 - 3 * i, // descending, step -3
      (i) => (i % 2 === 0 ? 2 ** 31 - 1 - i : -(2 ** 31) + i), // 32-bit, not a sequence, both extremes
      (i) => (i === 0 ? -0 : i), // -0 is written "0", as String(-0)
      (i) => (i === CHUNK - 1 ? 7 : i * 5), // a sequence but for its last row
      (i) => (i === CHUNK - 1 ? 0.5 : i), // integers but for a fraction at the end
      (i) => (i === CHUNK - 1 ? 2 ** 31 : i), // one key past 32 bits
      (i) => i * 2 ** 40, // a sequence of integers past 32 bits
    ];
    const builder = new EntityKeyBuilder();
    const expected: string[] = [];
    for (const keyAt of cases) {
      for (let index = 0; index < CHUNK; index++) {
        builder.addNumber(keyAt(index));
        expected.push(String(keyAt(index)));
      }
    }
    for (let index = 0; index < 5; index++) {
      builder.addNumber(index); // an unsealed chunk after them
      expected.push(String(index));
    }
    assert.equal(builder.length, expected.length);
    assert.deepEqual(all(builder), expected);
    assert.equal(builder.keyOf(3 * CHUNK), '0');
    assert.equal(builder.keyOf(6 * CHUNK - 1), '0.5');
    // numberOf gives each key as the number it was read as, in every form.
    for (let row = 0; row < builder.length; row++) {
      const number = builder.numberOf(row);
      assert.ok(number !== null && String(number) === expected[row], `row ${row}: ${number} for "${expected[row]}"`);
    }
    assert.equal(builder.numberOf(6 * CHUNK - 1), 0.5);
    assert.equal(builder.numberOf(7 * CHUNK - 1), 2 ** 31);
  });

  it('text keys (Unicode, empty, astral characters, lone surrogates) and numbers mixed in one chunk, across a chunk boundary', () => {
    const builder = new EntityKeyBuilder();
    const texts = ['', 'é', '日本語', '😀x', '\uD800', 'a"b,c', '0', ' '];
    const expected: string[] = [];
    for (let row = 0; row < CHUNK + 300; row++) {
      // The first text arrives mid-chunk, after numbers: the chunk's numbers become their text.
      if (row < 1_000 || row % 7 === 0) {
        builder.addNumber(row);
        expected.push(String(row));
      } else {
        const key = `${texts[row % texts.length]}${row}`;
        builder.addText(key);
        expected.push(key);
      }
    }
    assert.deepEqual(all(builder), expected);
    // A chunk holding a text keeps its numbers as text: none of its rows is a number.
    for (let row = 0; row < CHUNK; row++) assert.equal(builder.numberOf(row), null, `row ${row}`);
    assert.equal(expected[CHUNK + 5], String(CHUNK + 5), 'a number in the unsealed chunk after it, which began with a text');
    assert.equal(builder.numberOf(CHUNK + 5), null);
  });

  it('a chunk of numbers after a chunk of texts is numbers again, and both read back', () => {
    const builder = new EntityKeyBuilder();
    for (let row = 0; row < CHUNK; row++) builder.addText(`k${row}`);
    for (let row = 0; row < 10; row++) builder.addNumber(row);
    assert.equal(builder.keyOf(CHUNK - 1), `k${CHUNK - 1}`);
    assert.equal(builder.keyOf(0), 'k0');
    assert.deepEqual(all(builder).slice(CHUNK), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

describe('JoinedEntityKeys', () => {
  it('parts in order, an empty part among them, read as one sequence', () => {
    const parts = [['a', 'b'], [], ['c'], ['d', 'e', 'f']].map((keys) => {
      const builder = new EntityKeyBuilder();
      for (const key of keys) builder.addText(key);
      return builder;
    });
    const joined = new JoinedEntityKeys(parts);
    assert.equal(joined.length, 6);
    assert.deepEqual(all(joined), ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.deepEqual(
      Array.from({ length: 6 }, (_, row) => joined.numberOf(row)),
      [null, null, null, null, null, null],
    );
  });

  it("numberOf across parts of numbers and texts gives each row its own part's number", () => {
    const parts = [[3, 1], ['x'], [], [-7, 2.5]].map((keys) => {
      const builder = new EntityKeyBuilder();
      for (const key of keys) {
        if (typeof key === 'number') builder.addNumber(key);
        else builder.addText(key);
      }
      return builder;
    });
    const joined = new JoinedEntityKeys(parts);
    assert.deepEqual(
      Array.from({ length: joined.length }, (_, row) => joined.numberOf(row)),
      [3, 1, null, -7, 2.5],
    );
    assert.deepEqual(all(joined), ['3', '1', 'x', '-7', '2.5']);
  });
});
