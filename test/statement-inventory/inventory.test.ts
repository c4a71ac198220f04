import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { OracleDialect } from '../../src/datastore/dialects/oracle';
import { TiberoDialect } from '../../src/datastore/dialects/tibero';
import type { Statement } from '../../src/datastore/types';
import { StatementLedger, type InventoryEvent } from '../support/statement-inventory/ledger';
import { inventoryReport } from '../support/statement-inventory/report';
import { builderFiles, dialectSources, oracleFamilyClasses, statementSources } from '../support/statement-inventory/sources';
import { filesWritingSql, writesSql } from '../support/statement-inventory/sql-writers';

// The inventory's own rules; coverage.check.ts applies them to what the suite ran on H2.
describe('the statement inventory', () => {
  it('holds every file that writes SQL text outside the dialects: each repository and each builder module', () => {
    const root = path.resolve(__dirname, '../../..');
    const builders = new Set(builderFiles().map((file) => path.relative(path.join(root, 'dist'), file).replace(/\.js$/, '.ts')));
    const unknown = filesWritingSql().filter((file) => !builders.has(file));
    assert.deepEqual(
      unknown,
      [],
      'these files write SQL text outside the dialects: move the SQL into a dialect or a repository, or add the file to BUILDER_MODULES in test/support/statement-inventory/expectations.ts',
    );
  });

  it('finds SQL text in string and template literals, not in comments', () => {
    assert.equal(writesSql('const sql = `SELECT ${columns} FROM t`;'), true);
    assert.equal(writesSql("run({ sql: 'DELETE FROM t WHERE id = ?' });"), true);
    assert.equal(writesSql('/** Reads `SELECT columns FROM table` in batches. */\nconst x = 1;'), false);
    assert.equal(writesSql("const missing = 'DROP';"), false);
    assert.equal(writesSql("describe('DROP rows with a NULL feature');"), false);
  });

  it('holds every class of the Oracle family, Tibero included, and the methods each runs under the class that defines them', () => {
    const classes = oracleFamilyClasses().map((dialect) => dialect.name);
    assert.deepEqual(
      ['OracleDialect', 'TiberoDialect'].filter((name) => !classes.includes(name)),
      [],
    );
    const keys = dialectSources().map((source) => source.key);
    for (const key of [
      'SqlDialect.compileCreateTable',
      'OracleDialect.paginate',
      'TiberoDialect.serverVersionStatement',
      'OracleDialect.serverVersionStatement',
    ]) {
      assert.ok(keys.includes(key), key);
    }
    // Overridden by OracleDialect, so neither Oracle nor Tibero runs it.
    assert.ok(!keys.includes('SqlDialect.paginate'));
  });

  it('a statement method added to a dialect subclass, never run on H2, is reported missing by name', () => {
    class LockingTiberoDialect extends TiberoDialect {
      lockTableStatement(table: string): Statement {
        return { sql: `LOCK TABLE ${this.quoteIdentifier(table)} IN EXCLUSIVE MODE`, parameters: [], kind: 'other' };
      }
    }
    const sources = dialectSources([OracleDialect, LockingTiberoDialect]);
    const executedAll: InventoryEvent[] = dialectSources([OracleDialect, TiberoDialect]).map((source) => ({ event: 'executed', unit: source.key }));
    const report = inventoryReport(sources, executedAll, { excluded: {}, expectedVariants: {} });
    assert.deepEqual(report.missing, ['LockingTiberoDialect.lockTableStatement']);
  });

  it('a variant produced anywhere (ROWNUM paging in a unit test) but never run on H2 is reported missing', () => {
    const events: InventoryEvent[] = [];
    const ledger = new StatementLedger((event) => events.push(event));
    const offset = 'SELECT "ID" FROM "T" ORDER BY "ID" OFFSET ? ROWS FETCH NEXT ? ROWS ONLY';
    const rownum = 'SELECT * FROM (SELECT r_.*, ROWNUM rn_ FROM (SELECT "ID" FROM "T" ORDER BY "ID") r_ WHERE ROWNUM <= ?) WHERE rn_ > ?';
    ledger.produced(['OracleDialect.paginate', 'OracleDialect.paginate#OFFSET/FETCH'], [offset]);
    ledger.produced(['OracleDialect.paginate', 'OracleDialect.paginate#ROWNUM'], [rownum]);
    ledger.statementSucceeded(`SELECT COUNT(*) AS row_count FROM (${offset}) capped`, []);
    const sources = dialectSources([OracleDialect]).filter((source) => source.key === 'OracleDialect.paginate');
    const report = inventoryReport(sources, events, { excluded: {}, expectedVariants: {} });
    assert.deepEqual(report.covered, ['OracleDialect.paginate', 'OracleDialect.paginate#OFFSET/FETCH']);
    assert.deepEqual(report.missing, ['OracleDialect.paginate#ROWNUM']);
  });

  it('credits the builder calls a statement ran inside, and an excluded method that returns a statement is a problem', () => {
    const events: InventoryEvent[] = [];
    const ledger = new StatementLedger((event) => events.push(event));
    ledger.statementSucceeded('UPDATE "AI_MODEL_RUN" SET "HEARTBEAT_AT" = ?', ['RunRepository.heartbeat']);
    ledger.statementFromExcluded('SqlDialect.refreshStatisticsStatements');
    const sources = statementSources().filter((source) => ['RunRepository.heartbeat', 'SqlDialect.refreshStatisticsStatements'].includes(source.key));
    const report = inventoryReport(sources, events, {
      excluded: { 'SqlDialect.refreshStatisticsStatements': 'none for the Oracle family' },
      expectedVariants: {},
    });
    assert.deepEqual(report.covered, ['RunRepository.heartbeat']);
    assert.match(report.problems.join('\n'), /SqlDialect\.refreshStatisticsStatements is in EXCLUDED as writing no SQL, yet it returned a statement/);
  });

  it('every exclusion and expected variant names a method the inventory holds', () => {
    assert.deepEqual(inventoryReport(statementSources(), []).problems, []);
  });
});
