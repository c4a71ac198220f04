import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { DialectVariant, DriverErrorFacts } from '../../../../src/datastore/dialects/dialect';
import type { DatabaseFailure } from '../../../../src/datastore/types';
import { itPerDialect } from '../../../support/sql-table';

interface Case {
  facts: DriverErrorFacts;
  expected: Record<DialectVariant, DatabaseFailure>;
}

/** Native codes come with SQLSTATE HY000 here (it says nothing certain), so the code decides, unless a case says otherwise. */
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
  'SQLSTATE 57014 (statement cancelled: a statement timeout)': {
    facts: { sqlState: '57014', message: 'canceling statement due to statement timeout' },
    expected: { sqlite: 'timeout', postgresql: 'timeout', mysql: 'timeout', mariadb: 'timeout', oracle: 'timeout', tibero: 'timeout' },
  },
  // psqlODBC numbers its own errors (1 for any the server reports, 35 for a lost connection): as ORA
  // numbers they would read as ORA-00001, so the SQLSTATE decides first, and an ORA number needs its text.
  'SQLSTATE 08S01 with native 1 (psqlODBC: the connection was lost)': {
    facts: { sqlState: '08S01', nativeCode: 1, message: 'server closed the connection unexpectedly' },
    expected: { sqlite: 'connection', postgresql: 'connection', mysql: 'connection', mariadb: 'connection', oracle: 'connection', tibero: 'connection' },
  },
  'SQLSTATE 57014 with native 1 (psqlODBC: the statement timed out)': {
    facts: { sqlState: '57014', nativeCode: 1, message: 'ERROR: Statement was canceled or the session timed out' },
    expected: { sqlite: 'timeout', postgresql: 'timeout', mysql: 'timeout', mariadb: 'timeout', oracle: 'timeout', tibero: 'timeout' },
  },
  'SQLSTATE 40001 with native 1 (psqlODBC: a deadlock)': {
    facts: { sqlState: '40001', nativeCode: 1, message: 'ERROR: Deadlock detected. The current transaction was rolled back.' },
    expected: { sqlite: 'deadlock', postgresql: 'deadlock', mysql: 'deadlock', mariadb: 'deadlock', oracle: 'deadlock', tibero: 'deadlock' },
  },
  'SQLSTATE 42001 with native 1 (psqlODBC: a syntax error)': {
    facts: { sqlState: '42001', nativeCode: 1, message: 'ERROR: Syntax error in SQL statement' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'other' },
  },
  'HY000 with native 28 but no ORA-00028 in the message (another driver’s number)': {
    facts: { sqlState: 'HY000', nativeCode: 28, message: 'some other driver’s error 28' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'other' },
  },
  'ORA-00028 (your session has been killed)': {
    facts: { sqlState: 'HY000', nativeCode: 28, message: '[Oracle][ODBC][Ora]ORA-00028: your session has been killed' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'connection', tibero: 'connection' },
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
  'Tibero -10005 (NOT NULL constraint violation)': {
    facts: { sqlState: 'HY000', nativeCode: -10005, message: 'TBR-10005: NOT NULL constraint violation' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'constraint' },
  },
  'Tibero -10006 (CHECK constraint violation)': {
    facts: { sqlState: 'HY000', nativeCode: -10006, message: 'TBR-10006: CHECK constraint violation' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'constraint' },
  },
  'Tibero -10008 (integrity constraint violation: parent key not found)': {
    facts: { sqlState: 'HY000', nativeCode: -10008, message: 'TBR-10008: INTEGRITY constraint violation - parent key not found' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'constraint' },
  },
  'Tibero -10009 (integrity constraint violation: child record found)': {
    facts: { sqlState: 'HY000', nativeCode: -10009, message: 'TBR-10009: INTEGRITY constraint violation - child record found' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'constraint' },
  },
  'Tibero -12033 (lock not acquired in NOWAIT mode)': {
    facts: { sqlState: 'HY000', nativeCode: -12033, message: 'TBR-12033: lock acquisition failed in NOWAIT mode' },
    expected: { sqlite: 'other', postgresql: 'other', mysql: 'other', mariadb: 'other', oracle: 'other', tibero: 'timeout' },
  },
  'Tibero -12034 (lock wait timed out)': {
    facts: { sqlState: 'HY000', nativeCode: -12034, message: 'TBR-12034: lock acquisition timed out in WAIT mode' },
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
