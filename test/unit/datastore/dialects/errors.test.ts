import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { DialectVariant, DriverErrorFacts } from '../../../../src/datastore/dialects/dialect';
import type { DatabaseFailure } from '../../../../src/datastore/types';
import { itPerDialect } from '../../../support/sql-table';

interface Case {
  facts: DriverErrorFacts;
  expected: Record<DialectVariant, DatabaseFailure>;
}

/** Native codes come with SQLSTATE HY000 here, so the code alone decides. */
const cases: Record<string, Case> = {
  'SQLSTATE 08S01 (communication link failure)': {
    facts: { sqlState: '08S01', message: 'Communication link failure' },
    expected: { sqlite: 'connection', postgresql: 'connection', mysql: 'connection', mariadb: 'connection', oracle: 'connection', tibero: 'connection' },
  },
  'SQLSTATE 23505 (unique violation)': {
    facts: { sqlState: '23505', message: 'duplicate key value violates unique constraint' },
    expected: { sqlite: 'constraint', postgresql: 'constraint', mysql: 'constraint', mariadb: 'constraint', oracle: 'constraint', tibero: 'constraint' },
  },
  'SQLSTATE HYT00 (ODBC query timeout)': {
    facts: { sqlState: 'HYT00', message: 'Timeout expired' },
    expected: { sqlite: 'timeout', postgresql: 'timeout', mysql: 'timeout', mariadb: 'timeout', oracle: 'timeout', tibero: 'timeout' },
  },
  'SQLSTATE 40001 (serialization failure)': {
    facts: { sqlState: '40001', message: 'could not serialize access' },
    expected: { sqlite: 'deadlock', postgresql: 'deadlock', mysql: 'deadlock', mariadb: 'deadlock', oracle: 'deadlock', tibero: 'deadlock' },
  },
  'PostgreSQL SQLSTATE 57014 (statement timeout)': {
    facts: { sqlState: '57014', message: 'canceling statement due to statement timeout' },
    expected: { sqlite: 'other', postgresql: 'timeout', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'other' },
  },
  'MySQL 1062 (duplicate entry)': {
    facts: { sqlState: 'HY000', nativeCode: 1062, message: "Duplicate entry 'a' for key 'PRIMARY'" },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'constraint', mariadb: 'constraint', oracle: 'other', tibero: 'other' },
  },
  'MySQL 2013 (lost connection during query)': {
    facts: { sqlState: 'HY000', nativeCode: 2013, message: 'Lost connection to server during query' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'connection', mariadb: 'connection', oracle: 'other', tibero: 'other' },
  },
  'MySQL 1213 (deadlock found)': {
    facts: { sqlState: 'HY000', nativeCode: 1213, message: 'Deadlock found when trying to get lock' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'deadlock', mariadb: 'deadlock', oracle: 'other', tibero: 'other' },
  },
  'ORA-00001 (unique constraint violated)': {
    facts: { sqlState: 'HY000', nativeCode: 1, message: 'ORA-00001: unique constraint (APP.PK) violated' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'constraint', tibero: 'constraint' },
  },
  'ORA-01013 (user requested cancel)': {
    facts: { sqlState: 'HY000', nativeCode: 1013, message: 'ORA-01013: user requested cancel of current operation' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'timeout', tibero: 'timeout' },
  },
  'Tibero -10007 (unique constraint violated)': {
    facts: { sqlState: 'HY000', nativeCode: -10007, message: 'TBR-10007: UNIQUE constraint violation' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'constraint' },
  },
  'Tibero -12040 (cancelled)': {
    facts: { sqlState: 'HY000', nativeCode: -12040, message: 'TBR-12040: cancelled' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'timeout' },
  },
  'Tibero -12032 (deadlock)': {
    facts: { sqlState: 'HY000', nativeCode: -12032, message: 'TBR-12032: deadlock detected' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'deadlock' },
  },
  'SQLite "UNIQUE constraint failed"': {
    facts: { sqlState: 'HY000', message: 'UNIQUE constraint failed: model_run.id (19)' },
    expected: { sqlite: 'constraint', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'other' },
  },
};

describe('driver error classification', () => {
  for (const [scenario, { facts, expected }] of Object.entries(cases)) {
    describe(scenario, () => {
      itPerDialect(
        (failure) => `classifies as ${failure}`,
        expected,
        (dialect, failure) => assert.equal(dialect.classifyError(facts), failure),
      );
    });
  }
});
