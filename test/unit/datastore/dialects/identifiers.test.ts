import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { itForEveryDialect, itPerDialect, backquoted } from '../../../support/sql-table';

describe('identifiers', () => {
  itPerDialect(
    'plain names are quoted in the case the catalog stores them',
    {
      sqlite: backquoted(['"model_run"', '"Run$2"']),
      postgresql: ['"model_run"', '"Run$2"'],
      mysql: ['`model_run`', '`Run$2`'],
      mariadb: ['`model_run`', '`Run$2`'],
      oracle: ['"MODEL_RUN"', '"RUN$2"'],
      tibero: ['"MODEL_RUN"', '"RUN$2"'],
    },
    (dialect, expected) =>
      assert.deepEqual(
        ['model_run', 'Run$2'].map((name) => dialect.quoteIdentifier(name)),
        expected,
      ),
  );

  itPerDialect(
    'names read back from the database are lower-cased only where the catalog upper-cases them',
    {
      sqlite: backquoted(['MODEL_RUN', 'ModelRun', 'model_run']),
      postgresql: ['MODEL_RUN', 'ModelRun', 'model_run'],
      mysql: ['MODEL_RUN', 'ModelRun', 'model_run'],
      mariadb: ['MODEL_RUN', 'ModelRun', 'model_run'],
      oracle: ['model_run', 'ModelRun', 'model_run'],
      tibero: ['model_run', 'ModelRun', 'model_run'],
    },
    (dialect, expected) =>
      assert.deepEqual(
        ['MODEL_RUN', 'ModelRun', 'model_run'].map((name) => dialect.identifierFromDatabase(name)),
        expected,
      ),
  );

  itPerDialect(
    (max: number) => `a name of ${max} characters is accepted and one of ${max + 1} refused with INVALID_IDENTIFIER`,
    { sqlite: backquoted(128), postgresql: 63, mysql: 64, mariadb: 64, oracle: 128, tibero: 128 },
    (dialect, max) => {
      assert.equal(dialect.maxIdentifierLength, max);
      dialect.assertIdentifier('a'.repeat(max));
      assert.throws(() => dialect.quoteIdentifier('a'.repeat(max + 1)), { name: 'AppError', code: 'INVALID_IDENTIFIER' });
    },
  );

  describe('names that are not plain identifiers are refused with INVALID_IDENTIFIER', () => {
    const refused: Record<string, string> = {
      'an empty name': '',
      'a leading digit': '1st_run',
      'a leading $': '$run',
      'a space': 'model run',
      'a double quote': 'a"b',
      'a backtick': 'a`b',
      'a dot': 'schema.table',
      'a semicolon': 'run; DROP TABLE x',
      'a dash': 'model-run',
      'Latin letters with accents': 'naïve',
      'Hangul letters': '모델',
    };
    for (const [reason, name] of Object.entries(refused)) {
      itForEveryDialect(`${reason} (${JSON.stringify(name)})`, (dialect) => {
        assert.throws(() => dialect.quoteIdentifier(name), { name: 'AppError', code: 'INVALID_IDENTIFIER' });
      });
    }
  });
});
