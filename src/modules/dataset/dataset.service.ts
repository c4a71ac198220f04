import type { CatalogColumn } from '../../datastore/types';
import { AppError } from '../../errors/app-error';
import { alignToKeys } from '../../shared/align-to-keys';
import type { CatalogRepository } from './catalog.repository';
import type { DatasetRecord } from './dataset.record';
import type { DatasetRepository } from './dataset.repository';

/** Reading datasets and what the database says about their tables. */
export class DatasetService {
  constructor(
    private readonly datasets: DatasetRepository,
    private readonly catalog: CatalogRepository,
  ) {}

  list(): Promise<DatasetRecord[]> {
    return this.datasets.list();
  }

  /** Batch: datasets by id, null for an unknown id. */
  async byIds(ids: readonly string[]): Promise<(DatasetRecord | null)[]> {
    const found = new Map((await this.datasets.findByIds(ids)).map((record) => [record.id, record] as const));
    return ids.map((id) => found.get(id) ?? null);
  }

  /** Batch: the catalog columns of each table; NOT_FOUND for a table the database no longer has. */
  async columnsOf(tables: readonly string[]): Promise<(CatalogColumn[] | Error)[]> {
    return alignToKeys(tables, await this.catalog.columnsOf(tables), missingTable);
  }

  /** Batch: row counts, one COUNT(*) per table, side by side on the pool. */
  async rowCounts(tables: readonly string[]): Promise<(number | Error)[]> {
    const counts = await Promise.allSettled(tables.map((table) => this.catalog.rowCount(table)));
    return counts.map((count) => (count.status === 'fulfilled' ? count.value : toError(count.reason)));
  }
}

function missingTable(table: string): AppError {
  return new AppError('NOT_FOUND', `Table "${table}" does not exist in the database`, { table });
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
