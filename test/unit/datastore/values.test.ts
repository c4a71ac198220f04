import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OracleDialect } from '../../../src/datastore/dialects/oracle';
import { PostgresqlDialect } from '../../../src/datastore/dialects/postgresql';
import type { SqlValue } from '../../../src/datastore/types';
import { exactNumberText, formatUtcTimestamp, rowNormalizer, toParameter } from '../../../src/datastore/values';
import { awkwardDoubles } from '../../support/awkward-values';

// ODBC SQL type codes as the `odbc` package reports them in `columns[].dataType`.
const SQL_NUMERIC = 2;
const SQL_DECIMAL = 3;
const SQL_BIGINT = -5;
const SQL_BIT = -7;
const SQL_VARCHAR = 12;
const SQL_DATE = 9;
const SQL_TIMESTAMP = 11;
const SQL_TYPE_DATE = 91;
const SQL_TYPE_TIMESTAMP = 93;

const postgresql = new PostgresqlDialect();

/** Normalizes one value read from a column `v` of the given ODBC type. */
function normalize(dataType: number, value: unknown): unknown {
  return rowNormalizer([{ name: 'v', dataType }], postgresql)({ v: value }).v;
}

function utc(iso: string): Date {
  return new Date(iso);
}

describe('rowNormalizer', () => {
  describe('SQL_BIGINT (-5)', () => {
    it('a BigInt beyond Number.MAX_SAFE_INTEGER becomes its exact decimal text', () => {
      assert.equal(normalize(SQL_BIGINT, 9007199254740993n), '9007199254740993');
      assert.equal(normalize(SQL_BIGINT, -9007199254740993n), '-9007199254740993');
    });

    it('a BigInt within the safe range becomes a number', () => {
      assert.equal(normalize(SQL_BIGINT, 42n), 42);
      assert.equal(normalize(SQL_BIGINT, 9007199254740991n), 9007199254740991);
    });

    it('integer text from the driver becomes a number when safe, else stays exact text', () => {
      assert.equal(normalize(SQL_BIGINT, '42'), 42);
      assert.equal(normalize(SQL_BIGINT, '9007199254740993'), '9007199254740993');
    });

    it('a number from the driver passes through', () => {
      assert.equal(normalize(SQL_BIGINT, 7), 7);
    });
  });

  for (const [name, code] of [
    ['SQL_DECIMAL (3)', SQL_DECIMAL],
    ['SQL_NUMERIC (2)', SQL_NUMERIC],
  ] as const) {
    describe(name, () => {
      it('fraction text becomes a number', () => {
        assert.equal(normalize(code, '12.345'), 12.345);
        assert.equal(normalize(code, '-0.5'), -0.5);
      });

      it('integer text becomes a number', () => {
        assert.equal(normalize(code, '123'), 123);
      });

      it('integer text too large for a double to hold exactly stays text', () => {
        assert.equal(normalize(code, '123456789012345678901'), '123456789012345678901');
      });

      it('a number from the driver passes through', () => {
        assert.equal(normalize(code, 12.5), 12.5);
        assert.equal(normalize(code, 3), 3);
      });
    });
  }

  describe('timestamps and dates', () => {
    it('SQL_TYPE_TIMESTAMP (93) text with milliseconds is read as a UTC Date', () => {
      const value = normalize(SQL_TYPE_TIMESTAMP, '2024-01-02 03:04:05.123');
      assert.ok(value instanceof Date);
      assert.equal(value.toISOString(), '2024-01-02T03:04:05.123Z');
    });

    it('SQL_TYPE_TIMESTAMP text without a fraction is read as whole seconds in UTC', () => {
      assert.deepEqual(normalize(SQL_TYPE_TIMESTAMP, '2024-01-02 03:04:05'), utc('2024-01-02T03:04:05.000Z'));
    });

    it('SQL_TYPE_TIMESTAMP text with microseconds is rounded to milliseconds', () => {
      assert.deepEqual(normalize(SQL_TYPE_TIMESTAMP, '2024-01-02 03:04:05.123456'), utc('2024-01-02T03:04:05.123Z'));
      assert.deepEqual(normalize(SQL_TYPE_TIMESTAMP, '2024-01-02 03:04:05.123500'), utc('2024-01-02T03:04:05.124Z'));
      assert.deepEqual(normalize(SQL_TYPE_TIMESTAMP, '2024-01-02 03:04:05.1'), utc('2024-01-02T03:04:05.100Z'));
    });

    it('a fraction that rounds up to a whole second carries into the next second', () => {
      assert.deepEqual(normalize(SQL_TYPE_TIMESTAMP, '2024-12-31 23:59:59.9996'), utc('2025-01-01T00:00:00.000Z'));
    });

    it('SQL_TYPE_DATE (91) text is read as midnight UTC', () => {
      assert.deepEqual(normalize(SQL_TYPE_DATE, '2024-01-02'), utc('2024-01-02T00:00:00.000Z'));
    });

    it('the ODBC 2 codes SQL_DATE (9) and SQL_TIMESTAMP (11) are read the same way', () => {
      assert.deepEqual(normalize(SQL_DATE, '2024-01-02'), utc('2024-01-02T00:00:00.000Z'));
      assert.deepEqual(normalize(SQL_TIMESTAMP, '2024-01-02 03:04:05.123'), utc('2024-01-02T03:04:05.123Z'));
    });

    it('a year below 100 is kept (0001-01-01 is not read as 1901)', () => {
      const value = normalize(SQL_TYPE_DATE, '0001-01-01');
      assert.ok(value instanceof Date);
      assert.equal(value.getUTCFullYear(), 1);
      assert.equal(formatUtcTimestamp(value), '0001-01-01 00:00:00.000');
      // Either side of 100, where the conversion changes method.
      assert.equal(formatUtcTimestamp(normalize(SQL_TYPE_TIMESTAMP, '0099-12-31 23:59:59.999') as Date), '0099-12-31 23:59:59.999');
      assert.equal(formatUtcTimestamp(normalize(SQL_TYPE_TIMESTAMP, '0100-01-01 00:00:00') as Date), '0100-01-01 00:00:00.000');
      assert.equal(formatUtcTimestamp(normalize(SQL_TYPE_TIMESTAMP, '0099-12-31 23:59:59.9996') as Date), '0100-01-01 00:00:00.000');
    });

    it('a Date from the driver passes through and text that is not a timestamp is left as it is', () => {
      const date = utc('2024-01-02T03:04:05.000Z');
      assert.equal(normalize(SQL_TYPE_TIMESTAMP, date), date);
      assert.equal(normalize(SQL_TYPE_TIMESTAMP, 'not a date'), 'not a date');
    });
  });

  describe('SQL_BIT (-7)', () => {
    it("psqlODBC's '1' and '0' strings become true and false", () => {
      assert.equal(normalize(SQL_BIT, '1'), true);
      assert.equal(normalize(SQL_BIT, '0'), false);
    });

    it('numbers 1 and 0 become true and false', () => {
      assert.equal(normalize(SQL_BIT, 1), true);
      assert.equal(normalize(SQL_BIT, 0), false);
    });

    it('booleans pass through', () => {
      assert.equal(normalize(SQL_BIT, true), true);
      assert.equal(normalize(SQL_BIT, false), false);
    });
  });

  it('binary data as an ArrayBuffer becomes a Buffer with the same bytes', () => {
    const bytes = new Uint8Array([0, 1, 254, 255]);
    const value = normalize(-3 /* SQL_VARBINARY */, bytes.buffer);
    assert.ok(Buffer.isBuffer(value));
    assert.deepEqual([...value], [0, 1, 254, 255]);
  });

  it('null (and a missing column) stays null whatever the column type', () => {
    for (const code of [SQL_BIGINT, SQL_DECIMAL, SQL_BIT, SQL_TYPE_TIMESTAMP, SQL_VARCHAR]) {
      assert.equal(normalize(code, null), null);
    }
    assert.deepEqual(rowNormalizer([{ name: 'absent', dataType: SQL_VARCHAR }], postgresql)({}), { absent: null });
  });

  it('a column of another type (VARCHAR) passes its value through unchanged', () => {
    assert.equal(normalize(SQL_VARCHAR, '0012'), '0012');
    assert.equal(normalize(SQL_VARCHAR, '2024-01-02'), '2024-01-02');
  });

  it('with the Oracle dialect, upper-cased column names are folded to lower case and mixed-case names are kept', () => {
    const normalizer = rowNormalizer(
      [
        { name: 'SAMPLE_ID', dataType: SQL_DECIMAL },
        { name: 'MixedCase', dataType: SQL_VARCHAR },
      ],
      new OracleDialect(),
    );
    assert.deepEqual(normalizer({ SAMPLE_ID: '7', MixedCase: 'x' }), { sample_id: 7, MixedCase: 'x' });
  });

  it('with the PostgreSQL dialect, column names are kept as the driver reports them', () => {
    const normalizer = rowNormalizer(
      [
        { name: 'SAMPLE_ID', dataType: SQL_DECIMAL },
        { name: 'MixedCase', dataType: SQL_VARCHAR },
        { name: 'sample_id', dataType: SQL_BIGINT },
      ],
      postgresql,
    );
    assert.deepEqual(normalizer({ SAMPLE_ID: '7', MixedCase: 'x', sample_id: 8n }), { SAMPLE_ID: 7, MixedCase: 'x', sample_id: 8 });
  });
});

describe('toParameter', () => {
  it('a Date is bound as UTC text YYYY-MM-DD HH:MM:SS.mmm', () => {
    assert.equal(toParameter(utc('2024-01-02T03:04:05.006Z'), 0), '2024-01-02 03:04:05.006');
    assert.equal(toParameter(utc('1999-12-31T23:59:59.999Z'), 0), '1999-12-31 23:59:59.999');
  });

  it('booleans are bound as 1 and 0', () => {
    assert.equal(toParameter(true, 0), 1);
    assert.equal(toParameter(false, 0), 0);
  });

  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`${value} is refused with BAD_USER_INPUT naming the parameter position`, () => {
      assert.throws(
        () => toParameter(value, 2),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.equal(error.name, 'AppError');
          assert.equal((error as { code?: unknown }).code, 'BAD_USER_INPUT');
          assert.match(error.message, /Parameter 3\b/);
          return true;
        },
      );
    });
  }

  it('an invalid Date is refused with BAD_USER_INPUT naming the parameter position', () => {
    assert.throws(() => toParameter(new Date('nonsense'), 0), { name: 'AppError', code: 'BAD_USER_INPUT', message: /Parameter 1\b/ });
  });

  it('bigint, string, finite numbers, Buffer and null pass through unchanged', () => {
    const buffer = Buffer.from([1, 2, 3]);
    const cases: [SqlValue, unknown][] = [
      [9007199254740993n, 9007199254740993n],
      ['text', 'text'],
      ['', ''],
      [12.5, 12.5],
      [0, 0],
      [buffer, buffer],
      [null, null],
    ];
    for (const [input, expected] of cases) assert.equal(toParameter(input, 0), expected);
  });
});

describe('toParameter and -0', () => {
  it('-0 is bound as 0, the value a bound integral number gives anyway, and every other value as it is', () => {
    assert.ok(Object.is(toParameter(-0, 0), 0));
    const values: SqlValue[] = [0, 5e-324, -1.5, 'text', null, 9007199254740993n];
    for (const value of values) assert.equal(toParameter(value, 0), value);
  });
});

describe('exactNumberText: numbers as text in set-based UPSERTs', () => {
  it('every double, from 5e-324 to 1.8e308, prints as text that parses back to the same bits', () => {
    for (const value of awkwardDoubles(20_000)) assert.ok(Object.is(Number(exactNumberText(value)), value), `${value}`);
  });

  it('-0 is written as 0, as a bound parameter writes it', () => {
    assert.equal(exactNumberText(-0), '0');
    assert.equal(exactNumberText(0), '0');
  });
});
