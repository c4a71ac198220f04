import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Datastore } from '../../../src/datastore/datastore';
import { CatalogRepository } from '../../../src/modules/dataset/catalog.repository';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { startTestServer } from '../../support/app-harness';
import { ddl, embeddedDatastore, mariadbDatabase, openDatastore } from '../../support/databases';
import { createOracleModeSchema } from '../../support/oracle-mode-schema';
import { createPostgresqlSchema } from '../../support/postgresql-schema';
import { dataOf, registerInput } from '../../support/runs';

/**
 * Dataset.preview shows every value of the table as it is stored, on each database. Through the
 * driver alone a negative DECIMAL that fills its precision lost its last digit (-99999999.99 read as
 * -99999999.9), a REAL its exponent (PostgreSQL's -1.7046803e-31 as -1.7046803), a DOUBLE on SQLite
 * its 16th and 17th digits (0.30000000000000004 as 0.3), an Oracle NUMBER(19) past 2^53 its last
 * digit (read through atof), and SQLite read 2.5 in an INTEGER column as 2 and 'k1' there as NULL.
 */
const TABLE = 'preview_values';
const REAL = -1.7046803e-31;
const DOUBLES = [0.1 + 0.2, 123456789.12345679];

interface Target {
  readonly name: string;
  /** How the database quotes a name as written (a mixed-case column, "Amount"). */
  readonly quote: string;
  /** Catalog types: DECIMAL(10,2), a double, a single-precision float, a 64-bit integer. */
  readonly types: { dec: string; dbl: string; rl: string; big: string };
  /** What the single-precision column reads back as: PostgreSQL's shortest text of the float, elsewhere the float's own value. */
  readonly real: number;
  open(): Promise<{ datastore: Datastore; close(): Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'sqlite',
    quote: '"',
    types: { dec: 'DECIMAL(10,2)', dbl: 'DOUBLE', rl: 'REAL', big: 'BIGINT' },
    real: REAL,
    open: () => {
      const datastore = embeddedDatastore(mkdtempSync(path.join(tmpdir(), 'aimodel-preview-')));
      return Promise.resolve({ datastore, close: () => datastore.close() });
    },
  },
  {
    name: 'postgresql',
    quote: '"',
    types: { dec: 'NUMERIC(10,2)', dbl: 'DOUBLE PRECISION', rl: 'REAL', big: 'BIGINT' },
    real: REAL,
    open: async () => {
      const schema = await createPostgresqlSchema('preview');
      return { datastore: schema.datastore, close: () => schema.drop() };
    },
  },
  {
    name: 'mariadb',
    quote: '`',
    types: { dec: 'DECIMAL(10,2)', dbl: 'DOUBLE', rl: 'FLOAT', big: 'BIGINT' },
    real: Math.fround(REAL),
    open: async () => {
      const { datastore } = await openDatastore(mariadbDatabase());
      const close = async () => {
        await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(TABLE)}`));
        await datastore.close();
      };
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(TABLE)}`));
      return { datastore, close };
    },
  },
  {
    name: 'oracle (H2 in Oracle mode)',
    quote: '"',
    types: { dec: 'NUMBER(10,2)', dbl: 'BINARY_DOUBLE', rl: 'BINARY_FLOAT', big: 'NUMBER(19)' },
    real: Math.fround(REAL),
    open: async () => {
      const schema = await createOracleModeSchema('preview', 'oracle');
      return { datastore: schema.datastore, close: () => schema.drop() };
    },
  },
];

/** Creates the table (id 1: the hard values, 2: NULLs, 3: more) and returns what a preview must show, row by row. */
async function createValues(datastore: Datastore, target: Target): Promise<Record<string, unknown>[]> {
  const q = (name: string) => datastore.dialect.quoteIdentifier(name);
  const { dec, dbl, rl, big } = target.types;
  const amount = `${target.quote}Amount${target.quote}`;
  await datastore.execute(
    ddl(
      `CREATE TABLE ${q(TABLE)} (${q('id')} INTEGER NOT NULL PRIMARY KEY, ${q('dec')} ${dec}, ${q('dbl')} ${dbl}, ${q('rl')} ${rl}, ${q('big')} ${big}, ${amount} ${dec})`,
    ),
  );
  const insert = (id: number, decimal: string, big: string, double: number | null, real: number | null, mixed: string) =>
    datastore.execute({
      sql: `INSERT INTO ${q(TABLE)} (${q('id')}, ${q('dec')}, ${q('dbl')}, ${q('rl')}, ${q('big')}, ${amount}) VALUES (${id}, ${decimal}, ?, ?, ${big}, ${mixed})`,
      parameters: [double, real],
      kind: 'insert',
    });
  await insert(1, '-99999999.99', '9007199254740993', DOUBLES[0]!, REAL, '-12.5');
  await insert(2, 'NULL', 'NULL', null, null, 'NULL');
  await insert(3, '12.5', '-9007199254740993', DOUBLES[1]!, 0.5, '7');
  // "Amount" keeps its case (H2 here folds it to lower case; Oracle would keep it, and the Oracle family's
  // quoting would upper-case it: the unit test of DatasetTableRepository.preview has that case).
  const mixed = target.name.startsWith('oracle') ? 'amount' : 'Amount';
  return [
    { id: 1, dec: -99999999.99, dbl: DOUBLES[0], rl: target.real, big: '9007199254740993', [mixed]: -12.5 },
    { id: 2, dec: null, dbl: null, rl: null, big: null, [mixed]: null },
    { id: 3, dec: 12.5, dbl: DOUBLES[1], rl: 0.5, big: '-9007199254740993', [mixed]: 7 },
  ];
}

/** Each value of each row, bit for bit (Object.is: -0 is not 0, a number is not its text). */
function assertSameRows(what: string, read: readonly Record<string, unknown>[], expected: readonly Record<string, unknown>[]): void {
  assert.equal(read.length, expected.length, `${what}: ${read.length} rows`);
  expected.forEach((row, index) => {
    assert.deepEqual(Object.keys(read[index]!), Object.keys(row), `${what}, row ${index}: the table's columns, in order`);
    for (const [name, value] of Object.entries(row)) {
      assert.ok(
        Object.is(read[index]![name], value),
        `${what}, row ${index}, ${name}: read ${JSON.stringify(read[index]![name])}, stored ${JSON.stringify(value)}`,
      );
    }
  });
}

for (const target of TARGETS) {
  describe(`Dataset.preview reads every value whole on ${target.name}`, () => {
    let opened: Awaited<ReturnType<Target['open']>> | undefined;
    let datastore: Datastore;

    before(async () => {
      opened = await target.open();
      datastore = opened.datastore;
    });
    after(() => opened?.close());

    it('DECIMAL filling its precision, a double’s 17 digits, a REAL with its exponent, a 64-bit integer past 2^53, NULLs', async () => {
      const expected = await createValues(datastore, target);
      const columns = (await new CatalogRepository(datastore).columnsOf([TABLE])).get(TABLE)!;
      const tables = new DatasetTableRepository(datastore);
      const read = await tables.preview(TABLE, ['id'], columns, { limit: 10, offset: 0 });
      assertSameRows(target.name, read, expected);
      // Page by page too (the Oracle family pages by ROWNUM around the same SELECT).
      const second = await tables.preview(TABLE, ['id'], columns, { limit: 1, offset: 1 });
      assertSameRows(`${target.name}, offset 1`, second, expected.slice(1, 3));
    });
  });
}

describe('Dataset.preview over GraphQL on the embedded default (SQLite): what a column declared numeric holds', () => {
  const PREVIEW = parse('query ($id: ID!) { dataset(id: $id) { preview(first: 10) { edges { node } } } }') as TypedDocumentNode<
    { dataset: { preview: { edges: { node: Record<string, unknown> }[] } } | null },
    { id: string }
  >;

  it('2.5 and a text in an INTEGER column, a 17-digit double in a DOUBLE one: each as stored, not as the driver reads the declared type', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aimodel-preview-gql-'));
    const server = await startTestServer({ DATA_DIR: dataDir, DEMO_DATASETS: 'false' });
    const datastore = embeddedDatastore(dataDir);
    try {
      await datastore.execute(ddl('CREATE TABLE `odd_values` (`id` INTEGER NOT NULL PRIMARY KEY, `n` INTEGER, `x` DOUBLE, `u`)'));
      await datastore.execute({
        sql: "INSERT INTO `odd_values` VALUES (1, ?, ?, 'free'), (2, 'k1', ?, 9007199254740993), (3, 7, ?, NULL), (4, ?, ?, ?), (5, ?, NULL, NULL)",
        parameters: [2.5, DOUBLES[0]!, 5e-324, -0.5, 'x'.repeat(300), 1e300, 0.1, 'é'.repeat(600)],
        kind: 'insert',
      });
      const id = dataOf(
        await server.graphql(
          parse('mutation ($input: RegisterDatasetInput!) { registerDataset(input: $input) { id } }') as TypedDocumentNode<
            { registerDataset: { id: string } },
            { input: unknown }
          >,
          {
            input: registerInput({ name: 'odd values', table: 'odd_values', keyColumns: ['id'], featureColumns: ['x'] }),
          },
        ),
        'register',
      ).registerDataset.id;
      const nodes = dataOf(await server.graphql(PREVIEW, { id }), 'preview').dataset!.preview.edges.map((edge) => edge.node);
      // A text of more than 1,000 bytes in a column declared numeric reads as the driver reads it (docs).
      assert.deepEqual(nodes, [
        { id: 1, n: 2.5, x: DOUBLES[0], u: 'free' },
        { id: 2, n: 'k1', x: 5e-324, u: '9007199254740993' },
        { id: 3, n: 7, x: -0.5, u: null },
        { id: 4, n: 'x'.repeat(300), x: 1e300, u: 0.1 },
        { id: 5, n: null, x: null, u: null },
      ]);
    } finally {
      await Promise.allSettled([server.stop(), datastore.close()]);
    }
  });
});

describe('Dataset.preview of a wide table (SQLite)', () => {
  it('1,200 DOUBLE columns: the page reads, the exact forms stop at the select limit, every value as stored', async () => {
    const datastore = embeddedDatastore(mkdtempSync(path.join(tmpdir(), 'aimodel-preview-wide-')));
    try {
      const names = Array.from({ length: 1_200 }, (_, index) => `c${index}`);
      await datastore.execute(ddl(`CREATE TABLE \`wide\` (\`id\` INTEGER NOT NULL PRIMARY KEY, ${names.map((name) => `\`${name}\` DOUBLE`).join(', ')})`));
      await datastore.execute({
        sql: `INSERT INTO \`wide\` VALUES (1, ${names.map(() => '?').join(', ')})`,
        parameters: names.map((_, index) => index + 0.5),
        kind: 'insert',
      });
      const columns = (await new CatalogRepository(datastore).columnsOf(['wide'])).get('wide')!;
      const [row] = await new DatasetTableRepository(datastore).preview('wide', ['id'], columns, { limit: 10, offset: 0 });
      assert.deepEqual(Object.keys(row!), ['id', ...names]);
      names.forEach((name, index) => assert.equal(row![name], index + 0.5, name));
    } finally {
      await datastore.close();
    }
  });
});
