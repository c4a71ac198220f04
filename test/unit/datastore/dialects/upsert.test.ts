import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnDefinition, SqlValue, UpsertSpec } from '../../../../src/datastore/types';
import { PostgresqlDialect } from '../../../../src/datastore/dialects/postgresql';
import { createDialect, expectSqlPerDialect, backquoted } from '../../../support/sql-table';

const labelled: UpsertSpec = {
  table: 'dataset_row',
  keyColumns: ['id'],
  columns: [
    { name: 'id', type: 'string' },
    { name: 'label', type: 'string' },
    { name: 'score', type: 'integer' },
  ],
  rows: [{ id: 'a', label: 'Alpha', score: 1 }],
};

const assignment: UpsertSpec = {
  table: 'assignment',
  keyColumns: ['run_id', 'row_index'],
  columns: [
    { name: 'run_id', type: 'string' },
    { name: 'row_index', type: 'integer' },
    { name: 'cluster_id', type: 'integer' },
  ],
  rows: [{ run_id: 'r1', row_index: 7, cluster_id: 2 }],
};

describe('UPSERT compilation', () => {
  describe('SQL per dialect', () => {
    const oracleSingleKey = {
      sql:
        'MERGE INTO "DATASET_ROW" t USING (SELECT CAST(? AS VARCHAR(4000)) AS "ID", CAST(? AS VARCHAR(4000)) AS "LABEL", ' +
        'CAST(? AS NUMBER) AS "SCORE" FROM DUAL) s ON (t."ID" = s."ID") ' +
        'WHEN MATCHED THEN UPDATE SET "LABEL" = s."LABEL", "SCORE" = s."SCORE" ' +
        'WHEN NOT MATCHED THEN INSERT ("ID", "LABEL", "SCORE") VALUES (s."ID", s."LABEL", s."SCORE")',
      parameters: ['a', 'Alpha', 1],
    };
    expectSqlPerDialect('a single-column key inserts the row or updates every other column', (d) => d.compileUpsert(labelled), {
      sqlite: backquoted({
        sql:
          'INSERT INTO "dataset_row" ("id", "label", "score") VALUES (?, ?, ?) ' +
          'ON CONFLICT ("id") DO UPDATE SET "label" = excluded."label", "score" = excluded."score"',
        parameters: ['a', 'Alpha', 1],
      }),
      postgresql: {
        sql:
          'INSERT INTO "dataset_row" ("id", "label", "score") SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS integer[])) ' +
          'ON CONFLICT ("id") DO UPDATE SET "label" = excluded."label", "score" = excluded."score"',
        parameters: ['{"a"}', '{"Alpha"}', '{1}'],
      },
      mysql: {
        sql:
          'INSERT INTO `dataset_row` (`id`, `label`, `score`) SELECT new_row.`id`, new_row.`label`, new_row.`score` ' +
          "FROM JSON_TABLE(?, '$[*]' COLUMNS (`id` LONGTEXT PATH '$[0]', `label` LONGTEXT PATH '$[1]', `score` LONGTEXT PATH '$[2]')) AS new_row " +
          'ON DUPLICATE KEY UPDATE `dataset_row`.`label` = new_row.`label`, `dataset_row`.`score` = new_row.`score`',
        parameters: ['[["a","Alpha",1]]'],
      },
      mariadb: {
        sql:
          'INSERT INTO `dataset_row` (`id`, `label`, `score`) VALUES (?, ?, ?) ' +
          'ON DUPLICATE KEY UPDATE `label` = VALUES(`label`), `score` = VALUES(`score`)',
        parameters: ['a', 'Alpha', 1],
      },
      oracle: oracleSingleKey,
      tibero: oracleSingleKey,
    });

    const oracleCompositeKey = {
      sql:
        'MERGE INTO "ASSIGNMENT" t USING (SELECT CAST(? AS VARCHAR(4000)) AS "RUN_ID", CAST(? AS NUMBER) AS "ROW_INDEX", ' +
        'CAST(? AS NUMBER) AS "CLUSTER_ID" FROM DUAL) s ON (t."RUN_ID" = s."RUN_ID" AND t."ROW_INDEX" = s."ROW_INDEX") ' +
        'WHEN MATCHED THEN UPDATE SET "CLUSTER_ID" = s."CLUSTER_ID" ' +
        'WHEN NOT MATCHED THEN INSERT ("RUN_ID", "ROW_INDEX", "CLUSTER_ID") VALUES (s."RUN_ID", s."ROW_INDEX", s."CLUSTER_ID")',
      parameters: ['r1', 7, 2],
    };
    expectSqlPerDialect('a composite key matches on every key column and updates only the rest', (d) => d.compileUpsert(assignment), {
      sqlite: backquoted({
        sql:
          'INSERT INTO "assignment" ("run_id", "row_index", "cluster_id") VALUES (?, ?, ?) ' +
          'ON CONFLICT ("run_id", "row_index") DO UPDATE SET "cluster_id" = excluded."cluster_id"',
        parameters: ['r1', 7, 2],
      }),
      postgresql: {
        sql:
          'INSERT INTO "assignment" ("run_id", "row_index", "cluster_id") SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS integer[]), CAST(? AS integer[])) ' +
          'ON CONFLICT ("run_id", "row_index") DO UPDATE SET "cluster_id" = excluded."cluster_id"',
        parameters: ['{"r1"}', '{7}', '{2}'],
      },
      mysql: {
        sql:
          'INSERT INTO `assignment` (`run_id`, `row_index`, `cluster_id`) SELECT new_row.`run_id`, new_row.`row_index`, new_row.`cluster_id` ' +
          "FROM JSON_TABLE(?, '$[*]' COLUMNS (`run_id` LONGTEXT PATH '$[0]', `row_index` LONGTEXT PATH '$[1]', `cluster_id` LONGTEXT PATH '$[2]')) AS new_row " +
          'ON DUPLICATE KEY UPDATE `assignment`.`cluster_id` = new_row.`cluster_id`',
        parameters: ['[["r1",7,2]]'],
      },
      mariadb: {
        sql: 'INSERT INTO `assignment` (`run_id`, `row_index`, `cluster_id`) VALUES (?, ?, ?) ' + 'ON DUPLICATE KEY UPDATE `cluster_id` = VALUES(`cluster_id`)',
        parameters: ['r1', 7, 2],
      },
      oracle: oracleCompositeKey,
      tibero: oracleCompositeKey,
    });

    const keysOnly: UpsertSpec = { ...assignment, columns: assignment.columns.slice(0, 2), rows: [{ run_id: 'r1', row_index: 7 }] };
    const oracleKeysOnly = {
      sql:
        'MERGE INTO "ASSIGNMENT" t USING (SELECT CAST(? AS VARCHAR(4000)) AS "RUN_ID", CAST(? AS NUMBER) AS "ROW_INDEX" FROM DUAL) s ' +
        'ON (t."RUN_ID" = s."RUN_ID" AND t."ROW_INDEX" = s."ROW_INDEX") ' +
        'WHEN NOT MATCHED THEN INSERT ("RUN_ID", "ROW_INDEX") VALUES (s."RUN_ID", s."ROW_INDEX")',
      parameters: ['r1', 7],
    };
    expectSqlPerDialect('with only key columns an existing row is left as it is', (d) => d.compileUpsert(keysOnly), {
      sqlite: backquoted({
        sql: 'INSERT INTO "assignment" ("run_id", "row_index") VALUES (?, ?) ON CONFLICT ("run_id", "row_index") DO NOTHING',
        parameters: ['r1', 7],
      }),
      postgresql: {
        sql:
          'INSERT INTO "assignment" ("run_id", "row_index") SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS integer[])) ' +
          'ON CONFLICT ("run_id", "row_index") DO NOTHING',
        parameters: ['{"r1"}', '{7}'],
      },
      mysql: {
        sql:
          'INSERT INTO `assignment` (`run_id`, `row_index`) SELECT new_row.`run_id`, new_row.`row_index` ' +
          "FROM JSON_TABLE(?, '$[*]' COLUMNS (`run_id` LONGTEXT PATH '$[0]', `row_index` LONGTEXT PATH '$[1]')) AS new_row " +
          'ON DUPLICATE KEY UPDATE `assignment`.`run_id` = `assignment`.`run_id`',
        parameters: ['[["r1",7]]'],
      },
      mariadb: {
        sql: 'INSERT INTO `assignment` (`run_id`, `row_index`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `run_id` = `run_id`',
        parameters: ['r1', 7],
      },
      oracle: oracleKeysOnly,
      tibero: oracleKeysOnly,
    });

    const typed: UpsertSpec = {
      table: 'model_run',
      keyColumns: ['id'],
      columns: [
        { name: 'id', type: 'string', length: 26 },
        { name: 'started_at', type: 'timestamp' },
        { name: 'converged', type: 'boolean' },
        { name: 'inertia', type: 'double' },
        { name: 'notes', type: 'text' },
      ],
      rows: [{ id: 'r1', started_at: '2024-05-01 09:30:00.000', converged: 1, inertia: 0.25, notes: '메모' }],
    };
    const typedParameters = ['r1', '2024-05-01 09:30:00.000', 1, 0.25, '메모'];
    const oracleTyped = {
      sql:
        'MERGE INTO "MODEL_RUN" t USING (SELECT CAST(? AS VARCHAR(4000)) AS "ID", ' +
        `TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS.FF3') AS "STARTED_AT", CAST(? AS NUMBER) AS "CONVERGED", ` +
        'CAST(? AS BINARY_DOUBLE) AS "INERTIA", TO_CLOB(?) AS "NOTES" FROM DUAL) s ON (t."ID" = s."ID") ' +
        'WHEN MATCHED THEN UPDATE SET "STARTED_AT" = s."STARTED_AT", "CONVERGED" = s."CONVERGED", "INERTIA" = s."INERTIA", "NOTES" = s."NOTES" ' +
        'WHEN NOT MATCHED THEN INSERT ("ID", "STARTED_AT", "CONVERGED", "INERTIA", "NOTES") ' +
        'VALUES (s."ID", s."STARTED_AT", s."CONVERGED", s."INERTIA", s."NOTES")',
      parameters: typedParameters,
    };
    expectSqlPerDialect('typed columns get the placeholders each database needs to take text and 1/0', (d) => d.compileUpsert(typed), {
      sqlite: backquoted({
        sql:
          'INSERT INTO "model_run" ("id", "started_at", "converged", "inertia", "notes") VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT ("id") DO UPDATE SET "started_at" = excluded."started_at", "converged" = excluded."converged", ' +
          '"inertia" = excluded."inertia", "notes" = excluded."notes"',
        parameters: typedParameters,
      }),
      postgresql: {
        sql:
          'INSERT INTO "model_run" ("id", "started_at", "converged", "inertia", "notes") SELECT * FROM unnest(' +
          'CAST(? AS text[]), CAST(? AS timestamp[]), CAST(? AS boolean[]), CAST(? AS double precision[]), CAST(? AS text[])) ' +
          'ON CONFLICT ("id") DO UPDATE SET "started_at" = excluded."started_at", "converged" = excluded."converged", ' +
          '"inertia" = excluded."inertia", "notes" = excluded."notes"',
        parameters: ['{"r1"}', '{"2024-05-01 09:30:00.000"}', '{1}', '{0.25}', '{"메모"}'],
      },
      mysql: {
        sql:
          'INSERT INTO `model_run` (`id`, `started_at`, `converged`, `inertia`, `notes`) ' +
          'SELECT new_row.`id`, new_row.`started_at`, new_row.`converged`, new_row.`inertia`, new_row.`notes` ' +
          "FROM JSON_TABLE(?, '$[*]' COLUMNS (`id` LONGTEXT PATH '$[0]', `started_at` LONGTEXT PATH '$[1]', `converged` LONGTEXT PATH '$[2]', " +
          "`inertia` LONGTEXT PATH '$[3]', `notes` LONGTEXT PATH '$[4]')) AS new_row " +
          'ON DUPLICATE KEY UPDATE `model_run`.`started_at` = new_row.`started_at`, `model_run`.`converged` = new_row.`converged`, ' +
          '`model_run`.`inertia` = new_row.`inertia`, `model_run`.`notes` = new_row.`notes`',
        parameters: ['[["r1","2024-05-01 09:30:00.000",1,0.25,"메모"]]'],
      },
      mariadb: {
        sql:
          'INSERT INTO `model_run` (`id`, `started_at`, `converged`, `inertia`, `notes`) VALUES (?, ?, ?, ?, ?) ' +
          'ON DUPLICATE KEY UPDATE `started_at` = VALUES(`started_at`), `converged` = VALUES(`converged`), ' +
          '`inertia` = VALUES(`inertia`), `notes` = VALUES(`notes`)',
        parameters: typedParameters,
      },
      oracle: oracleTyped,
      tibero: oracleTyped,
    });

    const twoRows: UpsertSpec = { ...labelled, rows: [labelled.rows[0]!, { id: 'b', label: 'Beta', score: 2 }] };
    const twoRowParameters = ['a', 'Alpha', 1, 'b', 'Beta', 2];
    const oracleBranch = 'SELECT CAST(? AS VARCHAR(4000)) AS "ID", CAST(? AS VARCHAR(4000)) AS "LABEL", CAST(? AS NUMBER) AS "SCORE" FROM DUAL';
    const oracleTwoRows = {
      sql:
        `MERGE INTO "DATASET_ROW" t USING (${oracleBranch} UNION ALL ${oracleBranch}) s ON (t."ID" = s."ID") ` +
        'WHEN MATCHED THEN UPDATE SET "LABEL" = s."LABEL", "SCORE" = s."SCORE" ' +
        'WHEN NOT MATCHED THEN INSERT ("ID", "LABEL", "SCORE") VALUES (s."ID", s."LABEL", s."SCORE")',
      parameters: twoRowParameters,
    };
    expectSqlPerDialect(
      'two rows go in one statement, parameters row by row (set-based forms: column by column, or one JSON document)',
      (d) => d.compileUpsert(twoRows),
      {
        sqlite: backquoted({
          sql:
            'INSERT INTO "dataset_row" ("id", "label", "score") VALUES (?, ?, ?), (?, ?, ?) ' +
            'ON CONFLICT ("id") DO UPDATE SET "label" = excluded."label", "score" = excluded."score"',
          parameters: twoRowParameters,
        }),
        postgresql: {
          sql:
            'INSERT INTO "dataset_row" ("id", "label", "score") SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS integer[])) ' +
            'ON CONFLICT ("id") DO UPDATE SET "label" = excluded."label", "score" = excluded."score"',
          parameters: ['{"a","b"}', '{"Alpha","Beta"}', '{1,2}'],
        },
        mysql: {
          sql:
            'INSERT INTO `dataset_row` (`id`, `label`, `score`) SELECT new_row.`id`, new_row.`label`, new_row.`score` ' +
            "FROM JSON_TABLE(?, '$[*]' COLUMNS (`id` LONGTEXT PATH '$[0]', `label` LONGTEXT PATH '$[1]', `score` LONGTEXT PATH '$[2]')) AS new_row " +
            'ON DUPLICATE KEY UPDATE `dataset_row`.`label` = new_row.`label`, `dataset_row`.`score` = new_row.`score`',
          parameters: ['[["a","Alpha",1],["b","Beta",2]]'],
        },
        mariadb: {
          sql:
            'INSERT INTO `dataset_row` (`id`, `label`, `score`) VALUES (?, ?, ?), (?, ?, ?) ' +
            'ON DUPLICATE KEY UPDATE `label` = VALUES(`label`), `score` = VALUES(`score`)',
          parameters: twoRowParameters,
        },
        oracle: oracleTwoRows,
        tibero: oracleTwoRows,
      },
    );

    expectSqlPerDialect('an empty batch compiles into no statements', (d) => d.compileUpsert({ ...labelled, rows: [] }), {
      sqlite: backquoted([]),
      postgresql: [],
      mysql: [],
      mariadb: [],
      oracle: [],
      tibero: [],
    });
  });

  describe("Oracle's MERGE never updates a key column (ORA-38104)", () => {
    for (const variant of ['oracle', 'tibero'] as const) {
      it(`${variant}: UPDATE SET names no column of a composite key`, () => {
        const [statement] = createDialect(variant).compileUpsert(assignment);
        const updateSet = /WHEN MATCHED THEN UPDATE SET (.*) WHEN NOT MATCHED/.exec(statement!.sql)?.[1];
        assert.equal(updateSet, '"CLUSTER_ID" = s."CLUSTER_ID"');
        assert.doesNotMatch(updateSet, /RUN_ID|ROW_INDEX/);
      });
    }
  });
});

describe('PostgreSQL UPSERT from a SELECT by server version', () => {
  const target = {
    table: 'outcome',
    keyColumns: ['dataset_id', 'entity_key'],
    columns: [
      { name: 'dataset_id', type: 'string' },
      { name: 'entity_key', type: 'string' },
      { name: 'cluster', type: 'integer' },
    ] as ColumnDefinition[],
  };
  const source = {
    sql: 'SELECT ? AS "dataset_id", "entity_key", "cluster" FROM "assignment" WHERE "run_id" = ?',
    parameters: ['d', 'r'] as SqlValue[],
    kind: 'select' as const,
  };

  it('15+: the target locked against other writers (SHARE ROW EXCLUSIVE, still readable), nested loops off for the transaction, then one MERGE with the SELECT as its source', () => {
    const statements = new PostgresqlDialect('PostgreSQL 15.18 (Debian 15.18-0+deb12u1)').compileUpsertFromSelect(target, source);
    assert.deepEqual(
      statements.map((statement) => [statement.sql, statement.parameters, statement.kind]),
      [
        ['LOCK TABLE "outcome" IN SHARE ROW EXCLUSIVE MODE', [], 'other'],
        ['SET LOCAL enable_nestloop = off', [], 'other'],
        [
          `MERGE INTO "outcome" AS t USING (${source.sql}) AS s ON t."dataset_id" = s."dataset_id" AND t."entity_key" = s."entity_key"` +
            ' WHEN MATCHED THEN UPDATE SET "cluster" = s."cluster"' +
            ' WHEN NOT MATCHED THEN INSERT ("dataset_id", "entity_key", "cluster") VALUES (s."dataset_id", s."entity_key", s."cluster")',
          ['d', 'r'],
          'upsert',
        ],
      ],
    );
  });

  it('before 15, or with the version unknown: one INSERT … SELECT … ON CONFLICT, no lock', () => {
    for (const dialect of [new PostgresqlDialect('PostgreSQL 14.13'), new PostgresqlDialect()]) {
      const statements = dialect.compileUpsertFromSelect(target, source);
      assert.equal(statements.length, 1);
      assert.equal(
        statements[0]!.sql,
        `INSERT INTO "outcome" ("dataset_id", "entity_key", "cluster") ${source.sql} ON CONFLICT ("dataset_id", "entity_key") DO UPDATE SET "cluster" = excluded."cluster"`,
      );
    }
  });
});

describe('sharedValues: a value every row shares, given once', () => {
  const columns: ColumnDefinition[] = [
    { name: 'run_id', type: 'string' },
    { name: 'entity_key', type: 'string' },
    { name: 'cluster', type: 'integer' },
  ];
  const rows = [
    { entity_key: 'b', cluster: 1 },
    { entity_key: 'a', cluster: 2 },
  ];
  const spec: UpsertSpec = { table: 'assignment', keyColumns: ['run_id', 'entity_key'], columns, rows, newKeysOnly: true, sharedValues: { run_id: 'r1' } };

  it('SQLite, plain INSERT: bound once a statement, selected beside the VALUES rows', () => {
    const [statement, ...rest] = createDialect('sqlite').compileUpsert(spec);
    assert.equal(rest.length, 0);
    assert.equal(statement!.sql, 'INSERT INTO `assignment` (`run_id`, `entity_key`, `cluster`) SELECT ?, column1, column2 FROM (VALUES (?, ?), (?, ?))');
    assert.deepEqual(statement!.parameters, ['r1', 'b', 1, 'a', 2]);
  });

  it('SQLite with ON CONFLICT, and the other dialects: bound in every row, as if each row held it', () => {
    const sqlite = createDialect('sqlite').compileUpsert({ ...spec, newKeysOnly: false });
    assert.deepEqual(sqlite[0]!.parameters, ['r1', 'b', 1, 'r1', 'a', 2]);
    assert.match(sqlite[0]!.sql, /^INSERT INTO `assignment` \(`run_id`, `entity_key`, `cluster`\) VALUES \(\?, \?, \?\), \(\?, \?, \?\) ON CONFLICT/);
    const oracle = createDialect('oracle').compileUpsert(spec);
    assert.deepEqual(oracle[0]!.parameters, ['r1', 'b', 1, 'r1', 'a', 2]);
    const pg = createDialect('postgresql').compileUpsert(spec);
    assert.equal(pg.length, 1);
    assert.deepEqual(pg[0]!.parameters.slice(0, 3), ['{"r1","r1"}', '{"b","a"}', '{1,2}']);
  });

  it('a shared value must name a column; a repeated key is found with the shared part taken into account', () => {
    assert.throws(() => createDialect('sqlite').compileUpsert({ ...spec, sharedValues: { nope: 1 } }), {
      code: 'UPSERT_INVALID',
      message: /shared value "nope" is not among the columns/,
    });
    const repeated = { ...spec, newKeysOnly: false, rows: [...rows, { entity_key: 'b', cluster: 3 }] };
    assert.throws(() => createDialect('postgresql').compileUpsert(repeated), { code: 'UPSERT_INVALID', message: /row 2 repeats key \["r1","b"\]/ });
  });
});
