import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CSV, NDJSON, type ExportColumn } from '../../../src/http/export/table-format';
import { SeededRandom } from '../../../src/shared/seeded-random';
import { csvText, parseCsv } from '../../support/csv';

interface Row {
  readonly key: string | null;
  readonly count: number | null;
  readonly value: number | null;
  readonly at: Date | null;
}

const COLUMNS: readonly ExportColumn<Row>[] = [
  { name: 'key', type: 'text', value: (row) => row.key },
  { name: 'count', type: 'integer', value: (row) => row.count },
  { name: 'value', type: 'double', value: (row) => row.value },
  { name: 'at', type: 'timestamp', value: (row) => row.at },
];

const AWKWARD_TEXT = [
  '=SUM(A1:A9)',
  '+cmd',
  '-2+3',
  '@import',
  '\tTAB',
  '\rCR',
  "'already",
  "''twice",
  '-2',
  '-2.5e3',
  '12',
  'comma,in',
  'say "hi"',
  'line\nbreak',
  'crlf\r\nend',
  ' spaces ',
  'über 😀 日本',
  '',
  '"',
];

const EXTREME_DOUBLES = [Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1 / 3, 2 ** 53 + 2, 1e21, 1e-7, 0, -1.5];

function rows(): Row[] {
  const random = new SeededRandom(15);
  const drawn = Array.from({ length: 200 }, () => {
    const bits = new DataView(new ArrayBuffer(8));
    bits.setUint32(0, Math.floor(random.next() * 2 ** 32));
    bits.setUint32(4, Math.floor(random.next() * 2 ** 32));
    return bits.getFloat64(0);
  }).filter(Number.isFinite);
  const values = [...EXTREME_DOUBLES, ...drawn];
  return values.map((value, index) => ({
    key: index < AWKWARD_TEXT.length ? AWKWARD_TEXT[index]! : index % 7 === 0 ? null : `k${index}`,
    count: index % 5 === 0 ? null : index - 100,
    value: index % 11 === 10 ? null : value,
    at: index % 3 === 0 ? null : new Date(Date.UTC(2026, 11, 3, 0, 0, 0, index)),
  }));
}

describe('export formats', () => {
  it('CSV: a header, CRLF records, RFC 4180 quoting; read back, every value is exact (NULL empty, "" for empty text, doubles shortest and exact)', () => {
    const written = rows();
    const records = parseCsv(CSV.header(COLUMNS) + CSV.rows(COLUMNS, written));
    assert.deepEqual(
      records[0]!.map((field) => field.text),
      ['key', 'count', 'value', 'at'],
    );
    assert.equal(records.length, written.length + 1);
    written.forEach((row, index) => {
      const [key, count, value, at] = records[index + 1]!;
      assert.equal(csvText(key!), row.key, `row ${index} key`);
      assert.equal(count!.text === '' ? null : Number(count!.text), row.count, `row ${index} count`);
      if (row.value === null) assert.equal(value!.text, '');
      else {
        assert.ok(Object.is(Number(value!.text), row.value === 0 ? 0 : row.value), `row ${index}: ${value!.text} reads back as ${row.value}`);
        assert.equal(value!.text, String(row.value), 'the shortest text that reads back the same (ECMAScript Number::toString)');
      }
      assert.equal(at!.text === '' ? null : at!.text, row.at?.toISOString() ?? null, `row ${index} at`);
    });
  });

  it('CSV: text a spreadsheet would run as a formula gets one leading apostrophe; numbers and text that is a plain number do not', () => {
    const text = CSV.rows(
      [{ name: 'key', type: 'text', value: (row: { key: string }) => row.key }],
      ['=1+1', '+1', '-1+1', '@x', '\tx', "'x", '-2', '-2.5e3', 'x=1', ' =1+1', '|calc', '\uFF1D1+1', '\u3000@x', 'a|b', 'x -1'].map((key) => ({ key })),
    );
    const guarded = ["'=1+1", "'+1", "'-1+1", "'@x", "'\tx", "''x", '-2', '-2.5e3', 'x=1', "' =1+1", "'|calc", "'\uFF1D1+1", "'\u3000@x", 'a|b', 'x -1'];
    assert.equal(text, guarded.map((cell) => `${cell}\r\n`).join(''));
    // A line feed first: guarded, and quoted as any field holding a line break.
    assert.equal(CSV.rows([{ name: 'key', type: 'text', value: (row: { key: string }) => row.key }], [{ key: '\n=1+1' }]), `"'\n=1+1"\r\n`);
    const numbers = CSV.rows([{ name: 'value', type: 'double', value: (row: { value: number }) => row.value }], [{ value: -1e-300 }, { value: -0.5 }]);
    assert.equal(numbers, '-1e-300\r\n-0.5\r\n');
  });

  it('NDJSON: one object a line with the columns as keys, null for NULL, text and doubles exact', () => {
    const written = rows();
    const lines = NDJSON.rows(COLUMNS, written).split('\n');
    assert.equal(lines.pop(), '', 'every line ends in LF');
    assert.equal(NDJSON.header(COLUMNS), '');
    lines.forEach((line, index) => {
      const row = written[index]!;
      assert.deepEqual(JSON.parse(line), { key: row.key, count: row.count, value: row.value, at: row.at?.toISOString() ?? null });
      assert.deepEqual(Object.keys(JSON.parse(line) as object), ['key', 'count', 'value', 'at']);
    });
  });
});
