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
  });
});
