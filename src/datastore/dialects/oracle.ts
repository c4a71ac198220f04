import { AppError } from '../../errors/app-error';
import type { ColumnDefinition, DatabaseFailure, Statement, UpsertSpec } from '../types';
import { SqlDialect, type DriverErrorFacts, type DriverStatement, type Page } from './dialect';
import { CLOB_PARAMETER, oracleDriverStatement } from './oracle-binds';

// VARCHAR2's 4,000 bytes in characters of UTF-8's longest, 4 bytes.
const MAX_VARCHAR2_CHARACTERS = 1_000;

/**
 * Oracle Database 12.2+ through Oracle's ODBC driver; Tibero extends it. Unquoted names fold to upper
 * case, so the app quotes the upper-cased name: a table made with a quoted lower-case name is out of reach.
 */
export class OracleDialect extends SqlDialect {
  readonly variant: 'oracle' | 'tibero' = 'oracle';
  override readonly maxIdentifierLength: number = 128;
  // Each MERGE row is a `SELECT … FROM DUAL` branch, and parse time grows with the branches.
  override readonly maxRowsPerStatement: number = 500;
  // Tibero's parse time grows with the square of the binds (0.16 s at 1,000, 15.6 s at 10,000); on H2 in
  // Oracle mode 250-500 binds gave the most rows/s (bench/RESULTS.md, "MERGE batch size").
  override readonly maxBindParameters: number = 500;
  // newKeysOnly keeps the MERGE: a key repeated across its statements would update, so it is checked first.
  override readonly newKeysAsPlainInsert: boolean = false;
  // So they are bound through TO_TIMESTAMP, never as text the session's NLS format would read. This family
  // reads by cursor: its keys only bound ranges, which any consistent value splits exactly once.
  override readonly timestampKeysAsDates: boolean = true;
  // ORA-01795: maximum number of expressions in a list is 1000.
  override readonly maxInListSize: number = 1_000;
  // A VARCHAR2 or CLOB of length 0 is NULL, in Tibero as in Oracle.
  override readonly emptyStringIsNull: boolean = true;

  override identifierToDatabase(name: string): string {
    return name.toUpperCase();
  }

  override identifierFromDatabase(name: string): string {
    return name === name.toUpperCase() ? name.toLowerCase() : name;
  }

  // `SELECT 1` without FROM fails on Oracle (before 23ai) and on Tibero.
  override selectWithoutTable(expressions: string): string {
    return `SELECT ${expressions} FROM DUAL`;
  }

  serverVersionStatement(): Statement {
    return { sql: 'SELECT banner AS version FROM v$version WHERE ROWNUM = 1', parameters: [], kind: 'select' };
  }

  // CURRENT_TIMESTAMP carries the session's time zone; SYS_EXTRACT_UTC gives the UTC wall clock.
  currentUtcTimestampSql(): string {
    return 'SYS_EXTRACT_UTC(SYSTIMESTAMP)';
  }

  override driverStatement(statement: Statement): DriverStatement {
    return oracleDriverStatement(statement);
  }

  // Text converts to a timestamp by the session's NLS_TIMESTAMP_FORMAT, which follows the territory
  // (`DD-MON-RR …`): the mask says how to read the UTC text values.ts binds.
  override timestampParameterSql(): string {
    return "TO_TIMESTAMP(?, 'YYYY-MM-DD HH24:MI:SS.FF3')";
  }

  // Belt and braces beside TO_TIMESTAMP: text the driver reads back (dates and timestamps fetched as text,
  // DECIMAL) and any conversion left implicit follow these rather than the client's territory.
  override sessionStatements(): Statement[] {
    return [
      {
        sql: "ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD HH24:MI:SS' NLS_TIMESTAMP_FORMAT = 'YYYY-MM-DD HH24:MI:SS.FF' NLS_NUMERIC_CHARACTERS = '.,'",
        parameters: [],
        kind: 'other',
      },
    ];
  }

  // 12c row limiting; the offset comes first. Not combinable with FOR UPDATE in the same query block.
  // Cast: the counts arrive as text (oracle-binds.ts), and nothing else here says they are numbers.
  override paginate(statement: Statement, page: Page): Statement {
    return {
      ...statement,
      sql: `${statement.sql} OFFSET CAST(? AS NUMBER) ROWS FETCH NEXT CAST(? AS NUMBER) ROWS ONLY`,
      parameters: [...statement.parameters, page.offset, page.limit],
    };
  }

  // ROWNUM, which every Oracle and Tibero version has: FETCH without ORDER BY in a derived table is unconfirmed on Tibero.
  override firstRows(statement: Statement, count: number): Statement {
    return { ...statement, sql: `SELECT * FROM (${statement.sql}) WHERE ROWNUM <= CAST(? AS NUMBER)`, parameters: [...statement.parameters, count] };
  }

  columnTypeSql(column: ColumnDefinition): string {
    switch (column.type) {
      // CHAR semantics: the default BYTE semantics would fit a third as many Korean characters. Still at
      // most 4,000 bytes (MAX_STRING_SIZE=STANDARD, Tibero 6), and a character takes up to 4 in AL32UTF8.
      case 'string': {
        const length = column.length ?? 255;
        if (length > MAX_VARCHAR2_CHARACTERS) {
          throw new AppError(
            'DIALECT_UNSUPPORTED',
            `${this.variant} stores at most 4,000 bytes in a VARCHAR2, ${MAX_VARCHAR2_CHARACTERS} characters of 4 bytes: ` +
              `column "${column.name}" asks for ${length}; make it text (CLOB)`,
          );
        }
        return `VARCHAR2(${length} CHAR)`;
      }
      case 'text':
        return 'CLOB';
      case 'integer':
        return 'NUMBER(10)';
      case 'bigint':
        return 'NUMBER(19)';
      case 'double':
        return 'BINARY_DOUBLE';
      case 'timestamp':
        return 'TIMESTAMP(3)';
      // No BOOLEAN column type (before 23ai; none on Tibero).
      case 'boolean':
        return `NUMBER(1) CHECK (${this.quoteIdentifier(column.name)} IN (0, 1))`;
    }
  }

  // Oracle has no ADD COLUMN keyword: ALTER TABLE t ADD (c type).
  protected override addColumnSql(column: ColumnDefinition): string {
    return `(${this.quoteIdentifier(column.name)} ${this.columnTypeSql(column)})`;
  }

  // Typed, so a NULL or the first row's bind type cannot decide a column's type; an explicit format mask
  // (the session's NLS format is not ours); forms that also run on PostgreSQL ≥ 15 with a few shims.
  protected override placeholder(column: ColumnDefinition): string {
    switch (column.type) {
      case 'string':
        return 'CAST(? AS VARCHAR(4000))';
      // Past 4,000 bytes a value goes in chunks (oracle-binds.ts).
      case 'text':
        return CLOB_PARAMETER;
      case 'integer':
      case 'bigint':
      case 'boolean':
        return 'CAST(? AS NUMBER)';
      case 'double':
        return 'CAST(? AS BINARY_DOUBLE)';
      case 'timestamp':
        return this.timestampParameterSql();
    }
  }

  // node-odbc reads SQL_NUMERIC and SQL_DECIMAL through atof, so a NUMBER(19) key beyond 2^53 would
  // come back rounded. TO_CHAR without a mask gives a NUMBER's exact digits; an integer's have no decimal
  // character, so no NLS setting changes them.
  override exactKeyTextSql(column: string): string {
    return `TO_CHAR(${column})`;
  }

  override castToDouble(expression: string): string {
    return `CAST(${expression} AS BINARY_DOUBLE)`;
  }

  // No CHAR_LENGTH; and '' is NULL here, so a text whose every character was replaced away has no LENGTH.
  override characterLengthSql(expression: string): string {
    return `COALESCE(LENGTH(${expression}), 0)`;
  }

  listTablesStatement(): Statement {
    return { sql: 'SELECT table_name AS table_name FROM user_tables ORDER BY table_name', parameters: [], kind: 'catalog' };
  }

  listColumnsStatement(tables: readonly string[]): Statement {
    return {
      sql:
        'SELECT table_name AS table_name, column_name AS column_name, data_type AS data_type, nullable AS is_nullable, ' +
        `column_id AS position FROM user_tab_columns WHERE table_name IN (${this.inList(tables)}) ORDER BY table_name, column_id`,
      parameters: tables.map((table) => this.identifierToDatabase(table)),
      kind: 'catalog',
    };
  }

  listIndexesStatement(tables: readonly string[]): Statement {
    return {
      sql: `SELECT index_name AS index_name FROM user_indexes WHERE table_name IN (${this.inList(tables)}) ORDER BY index_name`,
      parameters: tables.map((table) => this.identifierToDatabase(table)),
      kind: 'catalog',
    };
  }

  primaryKeyStatement(table: string): Statement {
    return {
      sql:
        'SELECT cc.column_name AS column_name FROM user_constraints c ' +
        'JOIN user_cons_columns cc ON cc.constraint_name = c.constraint_name AND cc.table_name = c.table_name ' +
        "WHERE c.constraint_type = 'P' AND c.table_name = ? ORDER BY cc.position",
      parameters: [this.identifierToDatabase(table)],
      kind: 'catalog',
    };
  }

  // MERGE from `SELECT … FROM DUAL UNION ALL …`, columns aliased in each branch: Tibero refuses
  // `USING (VALUES …)` and a derived-table column list.
  valuesUpsertSql(spec: UpsertSpec, rowCount: number): string {
    const branch = `SELECT ${spec.columns.map((column) => `${this.placeholder(column)} AS ${this.quoteIdentifier(column.name)}`).join(', ')} FROM DUAL`;
    return this.mergeSql(spec, Array.from({ length: rowCount }, () => branch).join(' UNION ALL '));
  }

  /** The same MERGE with the SELECT as its source. */
  protected override upsertFromSelectSql(spec: UpsertSpec, select: string): string {
    return this.mergeSql(spec, select);
  }

  // Key columns never in UPDATE SET (ORA-38104); no AS before an alias (Oracle refuses `MERGE INTO t AS x`).
  private mergeSql(spec: UpsertSpec, source: string): string {
    const table = this.quoteIdentifier(spec.table);
    const on = spec.keyColumns.map((name) => `t.${this.quoteIdentifier(name)} = s.${this.quoteIdentifier(name)}`).join(' AND ');
    const updates = this.updatableColumns(spec).map((column) => {
      const name = this.quoteIdentifier(column.name);
      return `${name} = s.${name}`;
    });
    const insertColumns = this.columnList(spec.columns);
    const insertValues = spec.columns.map((column) => `s.${this.quoteIdentifier(column.name)}`).join(', ');
    return (
      `MERGE INTO ${table} t USING (${source}) s ON (${on})` +
      (updates.length > 0 ? ` WHEN MATCHED THEN UPDATE SET ${updates.join(', ')}` : '') +
      ` WHEN NOT MATCHED THEN INSERT (${insertColumns}) VALUES (${insertValues})`
    );
  }

  // An ORA number only where the message names it: other drivers number their own errors (psqlODBC says
  // 1 for every error the server reports, which would read as ORA-00001).
  protected override classifyNative(facts: DriverErrorFacts): DatabaseFailure | undefined {
    const code = facts.nativeCode;
    if (code === undefined || code <= 0 || !new RegExp(`\\bORA-0*${code}\\b`).test(facts.message)) return undefined;
    switch (code) {
      case 1: // ORA-00001 unique constraint violated
      case 1400: // cannot insert NULL
      case 1407:
      case 2290: // check constraint
      case 2291:
      case 2292: // foreign keys
        return 'constraint';
      case 60:
        return 'deadlock';
      case 1013: // user requested cancel (the query timeout)
        return 'timeout';
      case 28: // session killed
      case 3113:
      case 3114:
      case 3135:
      case 12170:
      case 12541:
        return 'connection';
    }
    return undefined;
  }
}
