import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import { DatasetTableRepository, type FeatureProfileRow } from '../../../src/modules/dataset/dataset-table.repository';
import { ddl, embeddedDatastore, mariadbDatabase, openDatastore } from '../../support/databases';
import { createOracleModeSchema } from '../../support/oracle-mode-schema';
import { createPostgresqlSchema } from '../../support/postgresql-schema';

/**
 * Dataset.profile on each database: min and max are the stored doubles themselves (SQLite's driver read
 * them through 15 digits, 1.7976931348623157e308 as Infinity, which GraphQL then refused with
 * INTERNAL_SERVER_ERROR), and the standard deviation does not cancel (AVG(x²) − mean² gave 0 for
 * 1e9 + 0.1…0.4, and PostgreSQL's VAR_POP kept 6 digits of it).
 */
// Named as the profile's first pass is aliased, with a column named as one of its means: the two never meet.
const TABLE = 'feature_means';
const SHIFTED = [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3, 1e9 + 0.4];
const SPREAD = [0.1 + 0.2, 123456789.12345679, -2.5, 123456789.12345678 + 3];
// Squared by hand, deviations this small underflow, which PostgreSQL refuses ("value out of range: underflow").
const TINY = [1e-200, 2e-200, -1e-200, 5e-324];

interface Target {
  readonly name: string;
  readonly double: string;
  /** How close the standard deviation comes to the stored doubles' (relative). */
  readonly stddevWithin: number;
  open(): Promise<{ datastore: Datastore; close(): Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'sqlite',
    stddevWithin: 1e-12,
    double: 'DOUBLE',
    open: () => {
      const datastore = embeddedDatastore(mkdtempSync(path.join(tmpdir(), 'aimodel-profile-')));
      return Promise.resolve({ datastore, close: () => datastore.close() });
    },
  },
  {
    name: 'postgresql',
    stddevWithin: 1e-12,
    double: 'DOUBLE PRECISION',
    open: async () => {
      const schema = await createPostgresqlSchema('profile');
      return { datastore: schema.datastore, close: () => schema.drop() };
    },
  },
  {
    name: 'mariadb',
    stddevWithin: 1e-12,
    double: 'DOUBLE',
    open: async () => {
      const { datastore } = await openDatastore(mariadbDatabase());
      const drop = () => datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(TABLE)}`));
      await drop();
      return {
        datastore,
        close: async () => {
          await drop();
          await datastore.close();
        },
      };
    },
  },
  {
    name: 'oracle (H2 in Oracle mode)',
    double: 'BINARY_DOUBLE',
    // H2 averages in decimal, from each double's shortest text: 1e9 + 0.1…0.4 as 0.1…0.4 apart exactly
    // (0.11180339887498948), where the doubles are 0.1 ± 1.2e-7 apart (0.11180337221904872).
    stddevWithin: 1e-6,
    open: async () => {
      const schema = await createOracleModeSchema('profile', 'oracle');
      return { datastore: schema.datastore, close: () => schema.drop() };
    },
  },
];

/** The population standard deviation, two-pass in JavaScript. */
function populationStddev(values: readonly number[]): number {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
}

function assertClose(what: string, read: number | null, expected: number, relative: number): void {
  assert.ok(read !== null && Math.abs(read - expected) <= relative * Math.abs(expected), `${what}: read ${read}, expected ${expected} within ${relative}`);
}

for (const target of TARGETS) {
  describe(`Dataset.profile on ${target.name}`, () => {
    let opened: Awaited<ReturnType<Target['open']>> | undefined;
    let profile: FeatureProfileRow[];

    before(async () => {
      opened = await target.open();
      const { datastore } = opened;
      // As the server does at its start: on SQLite, whether the library has the math functions.
      await datastore.detectServer();
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      await datastore.execute(
        ddl(
          `CREATE TABLE ${q(TABLE)} (${q('id')} INTEGER NOT NULL PRIMARY KEY, ${q('x')} ${target.double}, ${q('mean_0')} ${target.double}, ${q('tiny')} ${target.double})`,
        ),
      );
      for (let index = 0; index < 5; index++) {
        await datastore.execute({
          sql: `INSERT INTO ${q(TABLE)} (${q('id')}, ${q('x')}, ${q('mean_0')}, ${q('tiny')}) VALUES (${index + 1}, ?, ?, ?)`,
          // The fifth row: NULL in each.
          parameters: [SHIFTED[index] ?? null, SPREAD[index] ?? null, TINY[index] ?? null],
          kind: 'insert',
        });
      }
      profile = await new DatasetTableRepository(datastore).profile(TABLE, ['x', 'mean_0', 'tiny']);
    });
    after(() => opened?.close());

    it('counts, and min and max as the stored doubles, bit for bit', () => {
      assert.deepEqual(
        profile.map(({ column, count, nulls, nonNumeric, min, max }) => ({ column, count, nulls, nonNumeric, min, max })),
        [
          { column: 'x', count: 4, nulls: 1, nonNumeric: 0, min: SHIFTED[0], max: SHIFTED[3] },
          { column: 'mean_0', count: 4, nulls: 1, nonNumeric: 0, min: -2.5, max: SPREAD[3] },
          { column: 'tiny', count: 4, nulls: 1, nonNumeric: 0, min: -1e-200, max: 2e-200 },
        ],
      );
    });

    it('mean and population standard deviation without cancellation (the old form gave 0 for both columns)', () => {
      for (const [index, values] of [SHIFTED, SPREAD].entries()) {
        const column = profile[index]!;
        assertClose(`${column.column} mean`, column.mean, values.reduce((sum, value) => sum + value, 0) / values.length, 1e-15);
        assertClose(`${column.column} stddev`, column.stddev, populationStddev(values), target.stddevWithin);
      }
      // The tiny column: a number, not a failed statement (its squares are below the smallest double).
      const tiny = profile[2]!;
      assert.ok(typeof tiny.stddev === 'number' && tiny.stddev >= 0 && tiny.stddev <= 2e-200, JSON.stringify(tiny));
    });
  });
}

describe('Dataset.profile of extreme doubles (SQLite)', () => {
  it('the largest double is its max, not Infinity; a deviation past the largest double is null, not an error', async () => {
    const datastore = embeddedDatastore(mkdtempSync(path.join(tmpdir(), 'aimodel-profile-extreme-')));
    try {
      await datastore.detectServer();
      await datastore.execute(ddl('CREATE TABLE `extremes` (`id` INTEGER NOT NULL PRIMARY KEY, `x` DOUBLE, `tiny` DOUBLE)'));
      const rows: [number, number][] = [
        [Number.MAX_VALUE, 5e-324],
        [1, -5e-324],
        [2, 2.2250738585072014e-308],
        [-1.7e308, 0],
      ];
      for (const [index, [x, tiny]] of rows.entries()) {
        await datastore.execute({ sql: 'INSERT INTO `extremes` VALUES (?, ?, ?)', parameters: [index + 1, x, tiny], kind: 'insert' });
      }
      const [x, tiny] = await new DatasetTableRepository(datastore).profile('extremes', ['x', 'tiny']);
      assert.equal(x!.max, Number.MAX_VALUE);
      assert.equal(x!.min, -1.7e308);
      assertClose('x mean', x!.mean, (Number.MAX_VALUE + 1 + 2 - 1.7e308) / 4, 1e-15);
      assert.equal(x!.stddev, null, 'the squared deviations overflow a double');
      assert.equal(tiny!.min, -5e-324);
      assert.equal(tiny!.max, 2.2250738585072014e-308);
    } finally {
      await datastore.close();
    }
  });
});
