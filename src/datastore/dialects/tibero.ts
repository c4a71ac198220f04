import type { DatabaseFailure, Row, Statement } from '../types';
import type { DriverErrorFacts } from './dialect';
import { OracleDialect } from './oracle';

/**
 * Tibero (TmaxTibero), Oracle-compatible, through its ODBC driver libtbodbc. Only what differs from
 * Oracle is here; the facts and their sources are in TIBERO.md of the project's shared notes.
 * Written without a Tibero server to test against: its MERGE is run on PostgreSQL ≥ 15 instead.
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
