import type { DatabaseFailure, Row, Statement } from '../types';
import { UNKNOWN_SERVER_VERSION, type DriverErrorFacts, type Page } from './dialect';
import { OracleDialect } from './oracle';

/**
 * Tibero (TmaxTibero) through its ODBC driver libtbodbc: only what differs from Oracle. Written from
 * Tibero's documentation without a server; its SQL runs on H2 in Oracle mode in the tests instead.
 */
export class TiberoDialect extends OracleDialect {
  override readonly variant = 'tibero' as const;

  /**
   * Whether a page is `OFFSET ? ROWS FETCH NEXT ? ROWS ONLY` (Tibero 7, and Tibero 6 from FS07) rather
   * than the ROWNUM wrapper every version runs. Default false until the server's version says so.
   */
  readonly offsetFetch: boolean;

  constructor(serverVersion?: string) {
    super();
    this.offsetFetch = hasOffsetFetch(serverVersion ?? '');
  }

  // V$VERSION has name/value rows on Tibero, not Oracle's BANNER column.
  override serverVersionStatement(): Statement {
    return { sql: 'SELECT name AS name, value AS value FROM v$version', parameters: [], kind: 'select' };
  }

  override readServerVersion(rows: readonly Row[]): string {
    return rows.map((row) => `${String(row.name)}=${String(row.value)}`).join(' ') || UNKNOWN_SERVER_VERSION;
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

  // The wrapper Tibero's own Hibernate dialect uses (TiberoLimitHandler); ORDER BY rn_ keeps the inner
  // order in the result, and the datastore drops rn_ from the rows.
  override paginate(statement: Statement, page: Page): Statement {
    if (this.offsetFetch) return super.paginate(statement, page);
    return {
      ...statement,
      sql: `SELECT * FROM (SELECT r_.*, ROWNUM rn_ FROM (${statement.sql}) r_ WHERE ROWNUM <= CAST(? AS NUMBER)) WHERE rn_ > CAST(? AS NUMBER) ORDER BY rn_`,
      parameters: [...statement.parameters, page.offset + page.limit, page.offset],
      trailingColumnsToDrop: (statement.trailingColumnsToDrop ?? 0) + 1,
    };
  }

  // Tibero's own negative codes (TBR-n), as TiberoClient/tibero-hibernate-dialect's TiberoDialect maps them.
  protected override classifyNative(facts: DriverErrorFacts): DatabaseFailure | undefined {
    switch (facts.nativeCode) {
      case -10005: // NOT NULL constraint violation (Oracle's ORA-01400 and ORA-01407 alike)
      case -10006: // CHECK constraint violation
      case -10007: // UNIQUE constraint violation
      case -10008: // integrity constraint violation: parent key not found
      case -10009: // integrity constraint violation: child record found
        return 'constraint';
      case -12032: // deadlock detected
        return 'deadlock';
      case -12033: // lock not acquired in NOWAIT mode
      case -12034: // lock wait timed out
      case -12040: // statement cancelled (the query timeout)
        return 'timeout';
    }
    return super.classifyNative(facts);
  }
}

/**
 * From readServerVersion's `NAME=VALUE` text: PRODUCT_MAJOR (TB_MAJOR before Tibero 5) 7 or later, or 6
 * with a fix set from FS07 named in any value (STABLE_VERSION, e.g. FS07_CS_2005). Anything else,
 * an unknown version included, pages with ROWNUM.
 */
function hasOffsetFetch(version: string): boolean {
  const major = Number(/\b(?:PRODUCT|TB)_MAJOR=(\d+)/.exec(version)?.[1] ?? Number.NaN);
  if (major >= 7) return true;
  const fixSet = Number(/(?<![A-Za-z])FS0*(\d+)/i.exec(version)?.[1] ?? Number.NaN);
  return major === 6 && fixSet >= 7;
}
