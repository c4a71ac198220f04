import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Datastore } from '../../../src/datastore/datastore';
import type { Executor } from '../../../src/datastore/contracts';
import type { SqlDialect } from '../../../src/datastore/dialects';
import { OracleDialect } from '../../../src/datastore/dialects/oracle';
import { TiberoDialect } from '../../../src/datastore/dialects/tibero';
import { DatasetTableRepository } from '../../../src/modules/dataset/dataset-table.repository';
import { entityKey } from '../../../src/modules/run/dataset-reader';
import { ddl, mariadbDatabase, openDatastore, oracleDatabase, postgresqlDatabase, sqliteDatabase, tiberoDatabase } from '../../support/databases';
import { installOracleShims, UpperCasePostgresqlDialect } from '../../support/oracle-on-postgresql';

/**
 * The key checks registerDataset runs (DatasetTableRepository.keyViolations), on each real database
 * and — no Oracle or Tibero server runs here — the Oracle and Tibero statements on H2 in Oracle mode and
 * on PostgreSQL with the Oracle shims: the longest entity key the database measures is the one the server forms from the rows
 * it reads (entityKey, counted in characters as the database counts them), escapes and all; timestamps
 * finer than a millisecond are counted.
 */

/** Text key values with everything JSON escapes, non-ASCII and a character beyond the BMP. */
const CODES = ['plain', 'quote"d', 'back\\slash', 'tab\tnew\nline\rret\bform\f', 'control\u0001\u0007\u000b\u001f', '한글 😀 é', 'x'.repeat(200)];
const TIMESTAMPS = [
  '2024-01-01 00:00:00.123',
  '2024-01-01 00:00:00.123456',
  '2024-01-01 00:00:00.123457',
  '2024-01-01 00:00:01',
  '2024-01-01 00:00:02.5',
  '2024-01-01 00:00:03.000001',
  '2024-01-01 00:00:04.999',
];
const SUB_MILLISECOND = 3;

interface Target {
  readonly label: string;
  readonly timestampType: string;
  /**
   * Default true. H2's EXTRACT(SECOND …) gives whole seconds where Oracle's keeps the fraction, so on H2
   * the statement runs but counts none; the Oracle SQL's count is checked on PostgreSQL.
   */
  readonly countsSubMilliseconds?: boolean;
  connect(): Promise<{ datastore: Datastore; compiler?: SqlDialect }>;
}

const TARGETS: readonly Target[] = [
  { label: 'SQLite', timestampType: 'TIMESTAMP', connect: () => openDatastore(sqliteDatabase()) },
  { label: 'PostgreSQL', timestampType: 'TIMESTAMP(6)', connect: () => openDatastore(postgresqlDatabase()) },
  { label: 'MariaDB', timestampType: 'DATETIME(6)', connect: () => openDatastore(mariadbDatabase()) },
  ...[oracleDatabase(), tiberoDatabase()].map((database) => ({
    label: `${database.dialect} SQL on H2 in Oracle mode`,
    timestampType: 'TIMESTAMP(6)',
    countsSubMilliseconds: false,
    connect: () => openDatastore(database),
  })),
  ...[new OracleDialect(), new TiberoDialect()].map((compiler) => ({
    label: `${compiler.variant} SQL on PostgreSQL`,
    timestampType: 'TIMESTAMP(6)',
    async connect() {
      const { datastore } = await openDatastore(postgresqlDatabase(), { dialect: new UpperCasePostgresqlDialect() });
      await installOracleShims(datastore);
      return { datastore, compiler };
    },
  })),
];

/** Characters as a database counts them in VARCHAR: code points. */
const characters = (text: string) => [...text].length;

for (const target of TARGETS) {
  describe(`key checks on ${target.label}`, () => {
    let datastore: Datastore;
    let repository: DatasetTableRepository;
    const table = `keychk_${target.label.split(' ')[0]!.toLowerCase()}`;

    before(async () => {
      const connected = await target.connect();
      datastore = connected.datastore;
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(table)}`));
      await datastore.execute(
        ddl(
          `CREATE TABLE ${q(table)} (${q('code')} VARCHAR(600) NOT NULL, ${q('n')} INTEGER NOT NULL, ${q('ts')} ${target.timestampType} NOT NULL, ${q('f')} DOUBLE PRECISION, PRIMARY KEY (${q('code')}, ${q('n')}))`,
        ),
      );
      for (const [index, code] of CODES.entries()) {
        const n = index === CODES.length - 1 ? -123_456_789 : index;
        await datastore.execute({
          sql: `INSERT INTO ${q(table)} (${q('code')}, ${q('n')}, ${q('ts')}, ${q('f')}) VALUES (?, ?, '${TIMESTAMPS[index]}', ?)`,
          parameters: [code, n, index / 2],
          kind: 'insert',
        });
      }
      const compiler = connected.compiler ?? datastore.dialect;
      const executor: Executor = { dialect: compiler, query: (statement) => datastore.query(statement), execute: (statement) => datastore.execute(statement) };
      repository = new DatasetTableRepository(executor);
    });
    after(async () => {
      if (!datastore) return;
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${datastore.dialect.quoteIdentifier(table)}`));
      await datastore.close();
    });

    /** The entity keys the server forms from the rows as it reads them (readFeatureTable's way). */
    const readKeys = async (columns: string[], from = table) => {
      const keys: string[] = [];
      await datastore.streamOrdered({ table: from, columns, keyColumns: columns }, 100, (batch) => {
        for (let row = 0; row < batch.length; row++) keys.push(entityKey(columns.map((_, column) => batch.value(row, column))));
      });
      return keys;
    };

    it('a composite text and integer key: the longest entity key measured equals the longest the server forms, escapes and all', async () => {
      const keys = await readKeys(['code', 'n']);
      const expected = Math.max(...keys.map(characters));
      const found = await repository.keyViolations(table, [
        { name: 'code', type: 'VARCHAR' },
        { name: 'n', type: 'INTEGER' },
      ]);
      assert.equal(found.longestEntityKey, expected, `keys: ${JSON.stringify(keys)}`);
      assert.deepEqual([found.nullKeys, found.duplicateKeys], [0, 0]);
    });

    it('a single text key: the longest entity key is the longest value', async () => {
      const keys = await readKeys(['code']);
      const found = await repository.keyViolations(table, [{ name: 'code', type: 'VARCHAR' }]);
      assert.equal(found.longestEntityKey, Math.max(...keys.map(characters)));
    });

    it('a text key holding NUL (U+0000), which the drivers cut there: counted where the database can tell, the statement runs everywhere', async () => {
      const q = (name: string) => datastore.dialect.quoteIdentifier(name);
      const nul = target.label === 'SQLite' ? 'char(0)' : target.label === 'MariaDB' ? 'CHAR(0 USING utf8mb4)' : undefined;
      if (nul === undefined) {
        // PostgreSQL's text cannot hold one; the Oracle family is not checked (SqlDialect.textHoldsNulSql).
        assert.equal((await repository.keyViolations(table, [{ name: 'code', type: 'VARCHAR' }])).nulKeys, 0);
        return;
      }
      const withNul = `${table}_nul`;
      await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(withNul)}`));
      await datastore.execute(ddl(`CREATE TABLE ${q(withNul)} (${q('code')} VARCHAR(20) NOT NULL PRIMARY KEY, ${q('f')} DOUBLE PRECISION)`));
      try {
        const text = (before: string, after: string) =>
          target.label === 'SQLite' ? `'${before}' || ${nul} || '${after}'` : `CONCAT('${before}', ${nul}, '${after}')`;
        await datastore.execute({
          sql: `INSERT INTO ${q(withNul)} (${q('code')}, ${q('f')}) VALUES (${text('x', 'a')}, 1), (${text('x', 'b')}, 2), ('y', 3)`,
          parameters: [],
          kind: 'insert',
        });
        // What a run would read: both keys cut to "x".
        assert.deepEqual(await readKeys(['code'], withNul), ['x', 'x', 'y']);
        const found = await repository.keyViolations(withNul, [{ name: 'code', type: 'VARCHAR' }]);
        assert.deepEqual([found.nulKeys, found.duplicateKeys], [2, 0]);
      } finally {
        await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(withNul)}`));
      }
    });

    // Where the NUL check runs (the test above): SQLite and MariaDB.
    const binary = target.label === 'SQLite' ? 'BLOB' : target.label === 'MariaDB' ? 'VARBINARY(3)' : undefined;
    if (binary !== undefined)
      it('zero bytes that are no NUL in text: a binary key (read whole) is not counted; on SQLite, text in a column declared INTEGER is', async () => {
        const q = (name: string) => datastore.dialect.quoteIdentifier(name);
        const bytes = `${table}_bytes`;
        await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(bytes)}`));
        await datastore.execute(ddl(`CREATE TABLE ${q(bytes)} (${q('k')} ${binary} NOT NULL PRIMARY KEY, ${q('n')} INTEGER, ${q('f')} DOUBLE PRECISION)`));
        try {
          const hex = (digits: string) => (target.label === 'SQLite' ? `X'${digits}'` : `0x${digits}`);
          // On SQLite the INTEGER column holds text with a NUL in two rows.
          const n = (before: string, after: string) => (target.label === 'SQLite' ? `'${before}' || char(0) || '${after}'` : '1');
          await datastore.execute({
            sql: `INSERT INTO ${q(bytes)} VALUES (${hex('0a00ff')}, ${n('x', 'a')}, 1), (${hex('0a00fe')}, ${n('x', 'b')}, 2), (${hex('0b')}, 3, 3)`,
            parameters: [],
            kind: 'insert',
          });
          const found = await repository.keyViolations(bytes, [{ name: 'k', type: binary }]);
          assert.equal(found.nulKeys, 0, 'a binary key with zero bytes');
          if (target.label === 'SQLite') assert.equal((await repository.keyViolations(bytes, [{ name: 'n', type: 'INTEGER' }])).nulKeys, 2);
        } finally {
          await datastore.execute(ddl(`DROP TABLE IF EXISTS ${q(bytes)}`));
        }
      });

    const counted = target.countsSubMilliseconds === false ? 'none counted (H2 drops the fraction)' : 'counted';
    it(`a timestamp key: the ${SUB_MILLISECOND} values finer than a millisecond are ${counted}; the server reads .123, .123456 and .123457 as one key`, async () => {
      const found = await repository.keyViolations(table, [{ name: 'ts', type: target.timestampType }]);
      assert.deepEqual(found.subMillisecondKeys, target.countsSubMilliseconds === false ? [] : [{ column: 'ts', rows: SUB_MILLISECOND }]);
      const keys = await readKeys(['ts']);
      assert.equal(keys.filter((key) => key === '2024-01-01T00:00:00.123Z').length, 3, JSON.stringify(keys));
    });
  });
}
