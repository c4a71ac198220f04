import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Executor } from '../../../../src/datastore/contracts';
import type { SqlDialect } from '../../../../src/datastore/dialects/dialect';
import { OracleDialect } from '../../../../src/datastore/dialects/oracle';
import { TiberoDialect } from '../../../../src/datastore/dialects/tibero';
import type { ColumnDefinition, Statement } from '../../../../src/datastore/types';
import { ApiKeyRepository } from '../../../../src/modules/api-key/api-key.repository';
import { DatasetRepository } from '../../../../src/modules/dataset/dataset.repository';
import { OutcomeRepository } from '../../../../src/modules/outcome/outcome.repository';
import { RunRepository } from '../../../../src/modules/run/run.repository';
import { runRecord } from '../../../support/runs';

/**
 * On Oracle and Tibero, text becomes a timestamp by the session's NLS_TIMESTAMP_FORMAT unless the SQL
 * converts it: every timestamp the app binds (a Date) must be the first argument of the dialect's
 * TO_TIMESTAMP(?, mask), in every statement that binds one.
 */
const TO_TIMESTAMP = "TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS.FF3')";
const AT = new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 123));

/** Where each `?` of a statement stands, literals and quoted names skipped. */
function placeholderOffsets(sql: string): number[] {
  const offsets: number[] = [];
  for (const match of sql.matchAll(/'(?:[^']|'')*'|"[^"]*"|\?/g)) if (match[0] === '?') offsets.push(match.index);
  return offsets;
}

/** The statements whose Date parameters are bound other than through TO_TIMESTAMP; how many Dates were seen. */
function timestampBinds(statements: readonly Statement[]): { outside: string[]; dates: number } {
  const outside: string[] = [];
  let dates = 0;
  for (const { sql, parameters } of statements) {
    const offsets = placeholderOffsets(sql);
    assert.equal(offsets.length, parameters.length, `placeholders and parameters of: ${sql}`);
    parameters.forEach((value, index) => {
      if (!(value instanceof Date)) return;
      dates += 1;
      const at = offsets[index]! - 'TO_TIMESTAMP('.length;
      if (sql.slice(at, at + TO_TIMESTAMP.length) !== TO_TIMESTAMP) outside.push(`parameter ${index + 1} of: ${sql}`);
    });
  }
  return { outside, dates };
}

function recordingExecutor(dialect: SqlDialect): Executor & { statements: Statement[] } {
  const statements: Statement[] = [];
  return {
    dialect,
    statements,
    query: (statement) => (statements.push(statement), Promise.resolve([])),
    execute: (statement) => (statements.push(statement), Promise.resolve(1)),
  };
}

const STAMPED: readonly ColumnDefinition[] = [
  { name: 'id', type: 'integer' },
  { name: 'at', type: 'timestamp' },
];

describe('timestamps bound on the Oracle family', () => {
  for (const dialect of [new OracleDialect(), new TiberoDialect()]) {
    it(`${dialect.variant}: every Date the repositories, UPSERTs and key ranges bind is read through TO_TIMESTAMP with its mask`, async () => {
      const executor = recordingExecutor(dialect);
      const runs = new RunRepository(executor);
      await runs.insert(runRecord('d', { createdAt: AT, heartbeatAt: AT, startedAt: AT }));
      await runs.transition('r', ['QUEUED'], 'RUNNING', { started_at: AT, heartbeat_at: AT, progress_iteration: 1 });
      await runs.recordProgress('r', { iteration: 1, maxIterations: 300, lastShift: 0.5, fraction: 1 / 300 }, AT);
      await runs.heartbeat('owner', AT);
      await runs.findStale(AT);
      await runs.list({ createdAfter: AT, createdBefore: AT, datasetIds: ['d'] }, { field: 'CREATED_AT', direction: 'ASC' }, { limit: 10, after: null });
      const keys = new ApiKeyRepository(executor);
      await keys.insert({ id: 'k', name: 'n', role: 'viewer', keyHash: 'h', keyPrefix: 'p', createdAt: AT, revokedAt: AT });
      await keys.revoke('k', AT);
      const datasets = new DatasetRepository(executor);
      const dataset = {
        id: 'd',
        name: 'n',
        table: 't',
        keyColumns: ['k'],
        featureColumns: ['f'],
        description: null,
        outcomeTable: null,
        createdAt: AT,
        updatedAt: AT,
      };
      await datasets.save(dataset);
      await datasets.insert(dataset);
      await new OutcomeRepository(executor).publishFromAssignments('r', 'ai_cluster_outcome', 'd', AT, executor);
      executor.statements.push(
        ...dialect.compileUpsert({ table: 'stamped', keyColumns: ['id'], columns: STAMPED, rows: [{ id: 1, at: AT }] }),
        { ...dialect.compileKeyCondition(['at', 'id'], [AT, 1], '>', '>'), kind: 'select' },
        { ...dialect.compileKeyCondition(['id', 'at'], [1, AT], '<', '<='), kind: 'select' },
      );

      const { outside, dates } = timestampBinds(executor.statements);
      assert.deepEqual(outside, []);
      assert.equal(dates, 22, 'the Dates checked');
    });
  }

  it('the check itself finds a Date bound bare, and skips a `?` inside a literal', () => {
    const bare: Statement = { sql: `UPDATE "T" SET "A" = ?, "B" = '?' WHERE "C" = ${TO_TIMESTAMP}`, parameters: [AT, AT], kind: 'update' };
    assert.deepEqual(timestampBinds([bare]), { outside: [`parameter 1 of: ${bare.sql}`], dates: 2 });
  });
});
