import type { DatabaseFailure, Row, Statement } from '../types';
import type { DriverErrorFacts } from './dialect';
import { OracleDialect } from './oracle';

/**
 * Tibero (TmaxTibero) through its ODBC driver libtbodbc: only what differs from Oracle. Written from
 * Tibero's documentation without a server; its MERGE runs on PostgreSQL ≥ 15 in the tests instead.
 */
export class TiberoDialect extends OracleDialect {
  override readonly variant = 'tibero' as const;

  // V$VERSION has name/value rows on Tibero, not Oracle's BANNER column.
  override serverVersionStatement(): Statement {
    return { sql: 'SELECT name AS name, value AS value FROM v$version', parameters: [], kind: 'select' };
  }

  override readServerVersion(rows: readonly Row[]): string {
    return rows.map((row) => `${String(row.name)}=${String(row.value)}`).join(' ') || 'unknown';
  }

  // The two formats django-tibero sets at connect, in one statement as it does; NLS_NUMERIC_CHARACTERS is
  // left out, unconfirmed on Tibero (and Korean territories already read numbers with a '.').
  override sessionStatements(): Statement[] {
    return [
      {
        sql: "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF'",
        parameters: [],
        kind: 'other',
      },
    ];
  }

  // Tibero reports its own negative native codes rather than ORA- numbers.
  override classifyError(facts: DriverErrorFacts): DatabaseFailure {
    switch (facts.nativeCode) {
      case -10007: // unique constraint violated
      case -10005: // NOT NULL violated
        return 'constraint';
      case -12032:
        return 'deadlock';
      case -12033: // lock wait timeouts
      case -12034:
      case -12040: // cancelled
        return 'timeout';
    }
    return super.classifyError(facts);
  }
}
