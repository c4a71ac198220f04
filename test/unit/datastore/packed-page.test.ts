import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastPackedKey, readPackedPage, readPackedTexts, UnreadablePackedPage, type PackedRows } from '../../../src/datastore/packed-page';

/** readPackedPage over texts written here: the flat form (PostgreSQL's) and the scaled form (SQLite's; sqlite-packed-read.test.ts reads real ones). */
describe('readPackedPage', () => {
  /** A page of [key, value] rows as its text, read with room for `limit` rows. */
  const pageOf = (rows: readonly (readonly unknown[])[], limit = 10): PackedRows => readPackedPage(JSON.stringify(rows.flat()), 1, limit, 'flat');
  const keysOf = (page: PackedRows) => page.rows.map((row) => row[0]);

  it('reads each row as [key, ...values]: numbers as they are, null as null, [m, e] as m × 2^e, 1e999 as Infinity', () => {
    const page = readPackedPage(`[1,0.5,null,2,[9007199254740991,971],-1e999,3,[-1,-1074],1e999]`, 2, 10, 'flat');
    assert.equal(page.then, 'done');
    assert.deepEqual(page.rows, [
      [1, 0.5, null],
      [2, Number.MAX_VALUE, Number.NEGATIVE_INFINITY],
      [3, -Number.MIN_VALUE, Number.POSITIVE_INFINITY],
    ]);
  });

  it('a value that is no number (false) reads as null and is counted in its column, only in the rows kept', () => {
    const page = readPackedPage(`[1,false,2,2,false,false,3,null,4,4,false,5]`, 2, 4, 'flat');
    assert.equal(page.then, 'next');
    assert.deepEqual(page.rows, [
      [1, null, 2],
      [2, null, null],
      [3, null, 4],
    ]);
    assert.deepEqual(page.nonNumbers, [0, 2, 1], 'the last row (key 4) is left for the next page, its value not counted');
  });

  it('keys past ±(2^53 − 1) come as their digits, in order with the others', () => {
    const keys = ['-9007199254740993', -5, 9007199254740991, '9007199254740992', '9223372036854775807'];
    const page = pageOf(keys.map((key, index) => [key, index]));
    assert.equal(page.then, 'done');
    assert.deepEqual(keysOf(page), keys);
  });

  it('NaN and ±Infinity as words (as PostgreSQL writes them) read as null and ±Infinity', () => {
    assert.deepEqual(readPackedPage('[1,NaN,2,Infinity,3,-Infinity]', 1, 10, 'flat').rows, [
      [1, null],
      [2, Number.POSITIVE_INFINITY],
      [3, Number.NEGATIVE_INFINITY],
    ]);
    assert.throws(
      () => readPackedPage('[1,Nope]', 1, 10, 'flat'),
      (error: Error) => error instanceof UnreadablePackedPage && !error.message.includes('Nope'),
    );
    assert.throws(
      () => readPackedPage('[1,NaN,2,secret text]', 1, 10, 'flat'),
      (error: Error) => error instanceof UnreadablePackedPage && !error.message.includes('secret'),
    );
  });

  it('an empty page (NULL text) is the end', () => {
    assert.deepEqual(readPackedPage(null, 3, 10, 'flat'), { rows: [], nonNumbers: [0, 0, 0, 0], then: 'done' });
  });

  it('a full page goes on after its last whole key: the rows of its last key are left for the next page', () => {
    const page = pageOf(
      [
        [1, 1],
        [2, 2],
        [3, 3],
        [3, 4],
      ],
      4,
    );
    assert.equal(page.then, 'next');
    assert.deepEqual(keysOf(page), [1, 2]);
  });

  it('a full page of one key, a key that is not an integer, or keys out of order: the rows before that key (and its ties), then read on without the form', () => {
    const cases: readonly [string, readonly (readonly unknown[])[], number, readonly unknown[]][] = [
      [
        'one key fills the page',
        [
          [7, 1],
          [7, 2],
        ],
        2,
        [],
      ],
      [
        'a NULL key',
        [
          [1, 1],
          [2, 2],
          [2, 3],
          [null, 4],
          [5, 5],
        ],
        10,
        [1],
      ],
      [
        'a real key',
        [
          [1, 1],
          [2, 2],
          [3, 3],
          [1.5, 4],
        ],
        10,
        [1, 2],
      ],
      [
        '2^53 as a number',
        [
          [1, 1],
          [2 ** 53, 2],
        ],
        10,
        [],
      ],
      [
        'digits that are not an integer',
        [
          [1, 1],
          ['12a', 2],
        ],
        10,
        [],
      ],
      [
        'keys out of order',
        [
          [1, 1],
          [3, 2],
          [2, 3],
        ],
        10,
        [1],
      ],
      [
        'digit keys out of order',
        [
          ['9007199254740993', 1],
          ['9007199254740992', 2],
        ],
        10,
        [],
      ],
    ];
    for (const [what, rows, limit, kept] of cases) {
      const page = pageOf(rows, limit);
      assert.equal(page.then, 'fallback', what);
      assert.deepEqual(keysOf(page), kept, what);
    }
  });

  it('refuses what is no packed page: rows of another width, values of another kind', () => {
    assert.throws(() => readPackedPage('[1,2,3]', 1, 10, 'flat'), /rows of 2 values, got 3/);
    assert.throws(() => readPackedPage('[1,"x"]', 1, 10, 'flat'), /numbers, null, false and \[m, e\], got "x"/);
    assert.throws(() => readPackedPage('[1,[1,2,3]]', 1, 10, 'flat'), /got \[1,2,3\]/);
    assert.throws(() => readPackedPage(42, 1, 10, 'flat'), /is text, got number/);
  });

  it('a page of several texts reads as their rows one after another; a NULL text holds none; order and the cut hold across texts', () => {
    const page = readPackedTexts(['[1,0.5,2,false]', null, '[3,[1,-1],5,null]'], 1, 10, 'flat');
    assert.equal(page.then, 'done');
    assert.deepEqual(page.rows, [
      [1, 0.5],
      [2, null],
      [3, 0.5],
      [5, null],
    ]);
    assert.deepEqual(page.nonNumbers, [0, 1]);
    const full = readPackedTexts(['[1,1,2,2]', '[3,3,4,4]', '[5,5]'], 1, 5, 'flat');
    assert.equal(full.then, 'next');
    assert.deepEqual(
      full.rows.map((row) => row[0]),
      [1, 2, 3, 4],
      'a full page is cut before its last key, in the last text',
    );
    const unordered = readPackedTexts(['[5,1,6,2]', '[3,3,7,4]'], 1, 10, 'flat');
    assert.equal(unordered.then, 'fallback', 'a text whose keys come before the last text’s');
    assert.deepEqual(
      unordered.rows.map((row) => row[0]),
      [5],
    );
    assert.throws(() => readPackedTexts(['[1,1]', '[2,2,3]'], 1, 10, 'flat'), /rows of 2 values, got 3/, 'each text holds whole rows');
    // Key 2's rows go on from the first text into the second: neither text's rows of it can be trusted.
    const tied = readPackedTexts(['[1,1,2,2,2,3]', '[2,4,3,5]'], 1, 10, 'flat');
    assert.equal(tied.then, 'fallback', 'a key going on into the next text');
    assert.deepEqual(tied.rows, [[1, 1]]);
    const inText = readPackedTexts(['[1,1,2,2,2,3]', '[3,4,3,5]'], 1, 10, 'flat');
    assert.equal(inText.then, 'done', 'ties within a text are one statement’s');
    assert.deepEqual(
      inText.rows.map((row) => row[0]),
      [1, 2, 2, 3, 3],
    );
    assert.deepEqual(readPackedTexts([], 1, 10, 'flat'), { rows: [], nonNumbers: [0, 0], then: 'done' });
  });

  it('lastPackedKey finds the last row’s key from the end of the last text, as readPackedTexts reads it, or undefined', () => {
    const cases: [readonly unknown[], number, number | string | undefined][] = [
      [['[1,0.5,2,[9007199254740991,971]]'], 1, 2],
      [['[-9,[1,2],[3,-4],-7,[-1,-1074],null]'], 2, -7],
      [['[1,false,1e999,"9007199254740993",NaN,-Infinity]'], 2, '9007199254740993'],
      [['[5,1]', '[6,2,7,3]', null], 1, 7],
      [['[5,1]', null, null], 1, 5],
      [['[-9007199254740991,1]'], 1, -9007199254740991],
      [['[null,1]'], 1, undefined],
      [['[2.5,1]'], 1, undefined],
      [['[9007199254740993,1]'], 1, undefined],
      [['["12a",1]'], 1, undefined],
      [['[1,2,3]'], 3, undefined],
      [['[]'], 1, undefined],
      [[null], 1, undefined],
      [[], 1, undefined],
      [['[1,2'], 1, undefined],
      [[42], 1, undefined],
    ];
    for (const [texts, valueColumns, expected] of cases) {
      assert.equal(lastPackedKey(texts, valueColumns, 'flat'), expected, JSON.stringify(texts));
      const rows = texts.every((text) => text === null || (typeof text === 'string' && !text.includes('NaN'))) ? texts : undefined;
      if (rows && expected !== undefined) assert.equal(readPackedTexts(rows, valueColumns, 100, 'flat').lastKey, expected, 'as the page reads it');
    }
  });

  describe('the scaled form (SQLite’s)', () => {
    const scaled = (text: unknown, valueColumns = 1, limit = 10) => readPackedPage(text, valueColumns, limit, 'scaled');

    it('reads an integer i as i × 2^-52, [m, e] as m × 2^e, a text as the double its digits name, null, and false counted', () => {
      const page = scaled(
        `[[1,${2 ** 52},[-4611686018427387392,-62]],[2,"0.0001","-4.9406564584124654e-324"],[3,[-9007199254740991,971],[1,1024]],[4,null,false]]`,
        2,
      );
      assert.equal(page.then, 'done');
      assert.deepEqual(page.rows, [
        [1, 1, -(1 - 2 ** -53)],
        [2, 0.0001, -5e-324],
        [3, -Number.MAX_VALUE, Number.POSITIVE_INFINITY],
        [4, null, null],
      ]);
      assert.deepEqual(page.nonNumbers, [0, 0, 1]);
      assert.ok(Object.is(scaled('[[1,"-0"]]').rows[0]![1], -0), 'a negative zero stays one');
      assert.equal(scaled(`[[1,${-1024 * 2 ** 52}]]`).rows[0]![1], -1024);
    });

    it('a wide row’s groups are joined after its key', () => {
      const values = Array.from({ length: 130 }, (_, index) => index + 1);
      const text = JSON.stringify([[7, values.slice(0, 100).map((value) => value * 2 ** 52), values.slice(100).map((value) => value * 2 ** 52)]]);
      assert.deepEqual(scaled(text, 130).rows, [[7, ...values]]);
      assert.throws(() => scaled(JSON.stringify([[7, ...values]]), 130), /a key and 2 groups of values/, 'a wide row comes in groups');
      assert.throws(() => scaled(JSON.stringify([[7, values.slice(0, 100), values.slice(100, 129)]]), 130), /rows of 131 values/, 'every value');
    });

    it('refuses what is no page of the form: rows of another width, a text that is no number, a flat page', () => {
      assert.throws(() => scaled('[[1,2,3]]'), /rows of 2 values/);
      assert.throws(() => scaled('[1,2]'), /rows of 2 values/);
      assert.throws(() => scaled('{"a":1}'), /an array of rows/);
      for (const text of ['""', '"1e999"', '"0x10"', '" 1"', '"Infinity"', '"1,5"']) assert.throws(() => scaled(`[[1,${text}]]`), /texts of numbers/, text);
    });

    it('keys, ties, cuts and several texts read as in the flat form', () => {
      const full = readPackedTexts(['[[1,0],[2,0]]', '[[3,0],[3,0]]'], 1, 4, 'scaled');
      assert.equal(full.then, 'next');
      assert.deepEqual(
        full.rows.map((row) => row[0]),
        [1, 2],
      );
      const tied = readPackedTexts(['[[1,0],[2,0]]', '[[2,0],[3,0]]'], 1, 10, 'scaled');
      assert.equal(tied.then, 'fallback');
      assert.deepEqual(
        tied.rows.map((row) => row[0]),
        [1],
      );
      const keys = readPackedTexts(['[[-5,0],["9007199254740993",0]]', '[[null,0]]'], 1, 10, 'scaled');
      assert.equal(keys.then, 'fallback');
      assert.deepEqual(
        keys.rows.map((row) => row[0]),
        [-5],
      );
    });

    it('lastPackedKey finds the last row’s key from the end, its values holding arrays', () => {
      const cases: [readonly unknown[], number, number | string | undefined][] = [
        [['[[1,0],[2,[5,-62]]]'], 1, 2],
        [['[[1,0,0]]', '[[4,[1,2],[3,-4]]]', null], 2, 4],
        [['[["9007199254740993",[1,2]]]'], 1, '9007199254740993'],
        [['[[null,0]]'], 1, undefined],
        [['[[2.5,0]]'], 1, undefined],
        [['[]'], 1, undefined],
        [[null], 1, undefined],
        [['[[1,0'], 1, undefined],
      ];
      for (const [texts, valueColumns, expected] of cases) {
        assert.equal(lastPackedKey(texts, valueColumns, 'scaled'), expected, JSON.stringify(texts));
        if (expected !== undefined) assert.equal(readPackedTexts(texts, valueColumns, 100, 'scaled').lastKey, expected, 'as the page reads it');
      }
    });
  });
});
