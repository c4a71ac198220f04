import type { Executor } from '../../datastore/contracts';
import type { CatalogColumn } from '../../datastore/types';

/** What the database catalog says about tables: their columns and sizes. */
export class CatalogRepository {
  constructor(private readonly executor: Executor) {}

  async tables(): Promise<string[]> {
    const dialect = this.executor.dialect;
    const rows = await this.executor.query(dialect.listTablesStatement());
    return rows.map((row) => dialect.identifierFromDatabase(String(row.table_name)));
  }

  /** Columns per table, in column order; a table the catalog does not know maps to no entry. */
  async columnsOf(tables: readonly string[]): Promise<Map<string, CatalogColumn[]>> {
    const dialect = this.executor.dialect;
    const byTable = new Map<string, CatalogColumn[]>();
    for (let start = 0; start < tables.length; start += dialect.maxInListSize) {
      const rows = await this.executor.query(dialect.listColumnsStatement(tables.slice(start, start + dialect.maxInListSize)));
      for (const row of rows) {
        const column = dialect.readCatalogColumn(row);
        const list = byTable.get(column.table) ?? [];
        list.push(column);
        byTable.set(column.table, list);
      }
    }
    for (const list of byTable.values()) list.sort((a, b) => a.position - b.position);
    return byTable;
  }

  async primaryKey(table: string): Promise<string[]> {
    const dialect = this.executor.dialect;
    const rows = await this.executor.query(dialect.primaryKeyStatement(table));
    return rows.map((row) => dialect.identifierFromDatabase(String(row.column_name)));
  }

  async rowCount(table: string): Promise<number> {
    const rows = await this.executor.query(this.executor.dialect.countRowsStatement(table));
    return Number(rows[0]?.row_count ?? 0);
  }
}
