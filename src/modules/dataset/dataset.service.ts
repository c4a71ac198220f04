import { randomUUID } from 'node:crypto';
import type { Executor, TransactionRunner } from '../../datastore/contracts';
import type { CatalogColumn, Row } from '../../datastore/types';
import type { Page } from '../../datastore/dialects/dialect';
import type { DatasetTableRepository, FeatureProfileRow } from './dataset-table.repository';
import { AppError, isAppError } from '../../errors/app-error';
import { alignToKeys } from '../../shared/align-to-keys';
import { pageOfRows, type PageOfRows } from '../../shared/page-of-rows';
import { toError } from '../../shared/to-error';
import type { CatalogRepository } from './catalog.repository';
import type { DatasetChanges, DatasetRecord, NewDataset } from './dataset.record';
import type { DatasetRepository } from './dataset.repository';
import { badInput, checkColumns, checkDescription, checkIdentifier, checkName, nonNumericFeature, typeOf } from './dataset-validation';
import { isAppTable } from '../../datastore/migrations/app-migrations';
import { DEFAULT_OUTCOME_TABLE, ENTITY_KEY_LENGTH, outcomeTableDefinition } from '../outcome/outcome-table';

/** Datasets: reading them, and registering, changing and removing them under the catalog's rules. */
export class DatasetService {
  constructor(
    private readonly datasets: DatasetRepository,
    private readonly catalog: CatalogRepository,
    private readonly database: TransactionRunner,
    private readonly tables: DatasetTableRepository,
  ) {}

  /** Batch: each dataset's feature profile, computed by the database (one statement per dataset). */
  async profiles(datasets: readonly DatasetRecord[]): Promise<(FeatureProfileRow[] | Error)[]> {
    const settled = await Promise.allSettled(
      datasets.map((dataset) => this.explained(dataset, () => this.tables.profile(dataset.table, dataset.featureColumns))),
    );
    return settled.map((result) => (result.status === 'fulfilled' ? result.value : toError(result.reason)));
  }

  /**
   * What is gone from the dataset's table since it was registered (dropped or renamed outside this
   * server): NOT_FOUND naming the table, or its missing key and feature columns; null when it is as registered.
   */
  async whatIsGone(dataset: DatasetRecord): Promise<AppError | null> {
    return goneFrom(dataset, (await this.catalog.columnsOf([dataset.table])).get(dataset.table));
  }

  /**
   * Why a run cannot read the dataset now, from one look at the catalog, as BAD_USER_INPUT on datasetId:
   * what is gone (whatIsGone), or a feature column whose type is no longer numeric (changed since it
   * was registered, outside this server; registering says it the same way). A run reads each feature
   * cast to a double, which such a column's text would fail (or, on MariaDB, read as 0). Null when it can.
   */
  async refusalToRun(dataset: DatasetRecord): Promise<AppError | null> {
    const columns = (await this.catalog.columnsOf([dataset.table])).get(dataset.table);
    const gone = goneFrom(dataset, columns);
    if (gone) return new AppError('BAD_USER_INPUT', `Dataset "${dataset.name}" cannot be read: ${gone.message}`, { field: 'datasetId', ...gone.details });
    const changed = nonNumericFeature(this.database.dialect, columns!, dataset.featureColumns);
    if (!changed) return null;
    return badInput(
      'datasetId',
      `Feature column "${changed.name}" of "${dataset.table}" is ${typeOf(changed)} now, not numeric (changed since the dataset was registered); k-means needs numbers`,
      changed.name,
    );
  }

  /** `read` of the dataset's table; when it fails, NOT_FOUND if the table or one of its columns is gone, else its own error. */
  private async explained<T>(dataset: DatasetRecord, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw (await this.whatIsGone(dataset).catch(() => null)) ?? error;
    }
  }

  /** A page of the dataset's rows in key order, each row as an object of column values, each value whole (the catalog says which need it). */
  async preview(dataset: DatasetRecord, page: Page): Promise<PageOfRows<Row>> {
    const rows = await this.explained(dataset, async () => {
      const columns = (await this.catalog.columnsOf([dataset.table])).get(dataset.table) ?? [];
      return this.tables.preview(dataset.table, dataset.keyColumns, columns, page);
    });
    return pageOfRows(rows, page.limit);
  }

  list(): Promise<DatasetRecord[]> {
    return this.datasets.list();
  }

  /** Batch: datasets by id, null for an unknown id. */
  async byIds(ids: readonly string[]): Promise<(DatasetRecord | null)[]> {
    const found = new Map((await this.datasets.findByIds(ids)).map((record) => [record.id, record] as const));
    return ids.map((id) => found.get(id) ?? null);
  }

  /**
   * dataset(id:, name:): exactly one of them, else BAD_USER_INPUT; null when no dataset has it. A name
   * is compared as registration stores it (trimmed, exactly as written otherwise).
   */
  async lookup(id: string | null, name: string | null, byId: (id: string) => Promise<DatasetRecord | null>): Promise<DatasetRecord | null> {
    if ((id === null) === (name === null)) {
      throw new AppError('BAD_USER_INPUT', 'Give exactly one of id and name', { field: id === null ? 'id' : 'name' });
    }
    return id !== null ? byId(id) : this.datasets.findByName(name!.trim());
  }

  /** The dataset, or BAD_USER_INPUT naming the id (for mutations and run inputs that refer to one). */
  async require(id: string, field = 'id'): Promise<DatasetRecord> {
    const [record] = await this.byIds([id]);
    if (!record) throw badInput(field, `No dataset has id "${id}"`, id);
    return record;
  }

  /** Batch: the catalog columns of each table; NOT_FOUND for a table the database no longer has. */
  async columnsOf(tables: readonly string[]): Promise<(CatalogColumn[] | Error)[]> {
    return alignToKeys(tables, await this.catalog.columnsOf(tables), missingTable);
  }

  /** Batch: row counts, one COUNT(*) per table, side by side on the pool. */
  async rowCounts(tables: readonly string[]): Promise<(number | Error)[]> {
    const counts = await Promise.allSettled(tables.map((table) => this.catalog.rowCount(table)));
    // A count that failed on a table the catalog no longer has is NOT_FOUND naming it (asked only then).
    const failed = tables.filter((_, index) => counts[index]!.status === 'rejected');
    const known = failed.length > 0 ? await this.catalog.columnsOf(failed).catch(() => null) : null;
    return counts.map((count, index) =>
      count.status === 'fulfilled' ? count.value : known && !known.has(tables[index]!) ? missingTable(tables[index]!) : toError(count.reason),
    );
  }

  async register(input: NewDataset): Promise<DatasetRecord> {
    const now = new Date();
    const record = await this.validated({
      id: randomUUID(),
      name: input.name,
      table: input.table,
      keyColumns: input.keyColumns,
      featureColumns: input.featureColumns,
      description: input.description ?? null,
      outcomeTable: input.outcomeTable ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await this.saveUnique(record, 'insert');
    return record;
  }

  async update(id: string, input: DatasetChanges): Promise<DatasetRecord> {
    const current = await this.require(id);
    const record = await this.validated({
      ...current,
      name: input.name ?? current.name,
      keyColumns: input.keyColumns ?? current.keyColumns,
      featureColumns: input.featureColumns ?? current.featureColumns,
      description: input.description === undefined ? current.description : input.description,
      outcomeTable: input.outcomeTable === undefined ? current.outcomeTable : input.outcomeTable,
      updatedAt: new Date(),
    });
    await this.saveUnique(record);
    return record;
  }

  /**
   * Removes a dataset with its runs, their assignments and its published outcomes; refused with
   * CONFLICT while one of its runs is queued or running. One transaction that locks the dataset's row
   * first, as startModelRun does before writing its run: no run can slip in between the count and the
   * delete. Every statement is on the transaction's own connection (with DB_POOL_MAX=1 there is no other).
   */
  async delete(id: string): Promise<DatasetRecord> {
    const current = await this.require(id);
    // Its own outcome table and the default one it may have published to before naming its own, as
    // far as they exist (a dropped table has no rows to leave behind). Read before the transaction opens.
    const candidates = [...new Set([current.outcomeTable ?? DEFAULT_OUTCOME_TABLE, DEFAULT_OUTCOME_TABLE])];
    const existing = await this.catalog.columnsOf(candidates);
    const outcomeTables = candidates.filter((table) => existing.has(table));
    return this.database.transaction(async (transaction) => {
      const [record] = (await this.datasets.lock(id, transaction)) ? await this.datasets.findByIds([id], transaction) : [];
      if (!record) throw badInput('id', `No dataset has id "${id}"`, id);
      const active = await this.datasets.countActiveRuns(id, transaction);
      if (active > 0) {
        throw new AppError('CONFLICT', `Dataset "${record.name}" has ${active} queued or running run(s); cancel them first`, { id, activeRuns: active });
      }
      await this.datasets.deleteWithRuns(id, outcomeTables, transaction);
      return record;
    });
  }

  /**
   * Locks the dataset's row until `transaction` ends (see delete); false when it no longer exists.
   * Starting a run and writing its outcomes call it first, so they never write for a deleted dataset.
   */
  lock(id: string, transaction: Executor): Promise<boolean> {
    return this.datasets.lock(id, transaction);
  }

  private async validated(record: DatasetRecord): Promise<DatasetRecord> {
    const dialect = this.database.dialect;
    const name = checkName(record.name);
    checkIdentifier(dialect, 'table', record.table);
    // Its rows would be readable as a dataset's (preview): run parameters, errors unmasked, key hashes.
    if (isAppTable(record.table)) throw badInput('table', `Table "${record.table}" is one of this server's own tables and cannot be a dataset`, record.table);
    const columns = (await this.catalog.columnsOf([record.table])).get(record.table);
    if (!columns) {
      const spelled = await this.spelledOtherwise(record.table);
      const hint = spelled ? `; it has "${spelled}" (give the name as the database spells it)` : '';
      throw badInput('table', `Table "${record.table}" does not exist in the database${hint}`, record.table);
    }
    checkColumns(dialect, record.table, columns, record.keyColumns, record.featureColumns);
    await this.checkKeys(record, columns);
    const outcomeTable = await this.ensureOutcomeTable(record.outcomeTable);
    const sameName = await this.datasets.findByName(name);
    if (sameName && sameName.id !== record.id) throw badInput('name', `A dataset named "${name}" already exists`, name);
    return { ...record, name, description: checkDescription(record.description), outcomeTable };
  }

  /**
   * Refuses key columns a run could only fail on at its last write: NULL or repeated keys, entity keys
   * longer than entity_key holds, timestamps finer than the millisecond an entity key keeps. One
   * statement of aggregates over the table.
   */
  private async checkKeys(record: DatasetRecord, columns: readonly CatalogColumn[]): Promise<void> {
    const keyColumns = record.keyColumns.map((name) => ({ name, type: columns.find((column) => column.name === name)!.type }));
    const { nullKeys, duplicateKeys, longestEntityKey, nulKeys, subMillisecondKeys } = await this.tables.keyViolations(record.table, keyColumns);
    const keys = `keyColumns (${record.keyColumns.join(', ')})`;
    if (nullKeys > 0 || duplicateKeys > 0) {
      throw badInput(
        'keyColumns',
        `${keys} do not identify the rows of "${record.table}": ${nullKeys} row(s) with a NULL key, ${duplicateKeys} key value(s) on more than one row`,
        record.keyColumns,
      );
    }
    if (nulKeys > 0) {
      throw badInput(
        'keyColumns',
        `${keys} of "${record.table}": ${nulKeys} row(s) have a key holding a NUL character (U+0000), which the ODBC drivers read as the end of the text, so such keys would be cut and could collide`,
        record.keyColumns,
      );
    }
    if (longestEntityKey > ENTITY_KEY_LENGTH) {
      throw badInput(
        'keyColumns',
        `${keys} of "${record.table}" make entity keys of up to ${longestEntityKey} characters (a composite key as a JSON array); outcome tables store at most ${ENTITY_KEY_LENGTH}`,
        record.keyColumns,
      );
    }
    const [fine] = subMillisecondKeys;
    if (fine) {
      throw badInput(
        'keyColumns',
        `${keys}: "${fine.column}" has ${fine.rows} value(s) finer than a millisecond; an entity key keeps timestamps to the millisecond, so such keys would collide or not match their rows`,
        record.keyColumns,
      );
    }
  }

  /**
   * null means the default table. A named table is created with the outcome layout when missing, and
   * must already have that layout's columns when present.
   */
  private async ensureOutcomeTable(name: string | null): Promise<string | null> {
    if (name === null || name === DEFAULT_OUTCOME_TABLE) return null;
    checkIdentifier(this.database.dialect, 'outcomeTable', name);
    if (this.database.dialect.isReservedTableName(name)) throw badInput('outcomeTable', `"${name}" is a name the database keeps for its own tables`, name);
    const definition = outcomeTableDefinition(name);
    const existing = (await this.catalog.columnsOf([name])).get(name);
    if (!existing) {
      // SQLite takes a name that differs from one it has only in case for that name: CREATE TABLE would fail.
      const spelled = this.database.dialect.tableNamesIgnoreCase ? await this.spelledOtherwise(name) : undefined;
      if (spelled) {
        throw badInput(
          'outcomeTable',
          `Table "${name}" cannot be created: the database has "${spelled}", which it takes for the same name; give that name as it is spelled, or another one`,
          name,
        );
      }
      await this.database.transaction((transaction) => transaction.execute(transaction.dialect.compileCreateTable(definition)));
      return name;
    }
    const present = new Set(existing.map((column) => column.name));
    const missing = definition.columns.filter((column) => !present.has(column.name)).map((column) => column.name);
    if (missing.length > 0) {
      throw badInput('outcomeTable', `Table "${name}" exists but lacks the outcome columns ${missing.join(', ')}`, name);
    }
    return name;
  }

  /**
   * A table the database has whose name differs from `name` only in case, as the app spells it, where
   * the app can reach it under that spelling (the Oracle family upper-cases what it sends, so a table
   * it keeps in mixed case is none).
   */
  private async spelledOtherwise(name: string): Promise<string | undefined> {
    const dialect = this.database.dialect;
    const folded = name.toLowerCase();
    return (await this.catalog.tables()).find(
      (table) => table !== name && table.toLowerCase() === folded && dialect.identifierFromDatabase(dialect.identifierToDatabase(table)) === table,
    );
  }

  private async saveUnique(record: DatasetRecord, how: 'insert' | 'save' = 'save'): Promise<void> {
    try {
      await (how === 'insert' ? this.datasets.insert(record) : this.datasets.save(record));
    } catch (error) {
      // Two registrations racing for one name: the UNIQUE constraint decides, the caller gets the same answer.
      if (isAppError(error) && error.code === 'DB_CONSTRAINT_VIOLATION') {
        throw badInput('name', `A dataset named "${record.name}" already exists`, record.name);
      }
      throw error;
    }
  }
}

function missingTable(table: string): AppError {
  return new AppError('NOT_FOUND', `Table "${table}" does not exist in the database`, { table });
}

/** whatIsGone, from the catalog's columns of the dataset's table (undefined: the table is gone). */
function goneFrom(dataset: DatasetRecord, columns: readonly CatalogColumn[] | undefined): AppError | null {
  if (!columns) return missingTable(dataset.table);
  const present = new Set(columns.map((column) => column.name));
  const gone = [...new Set([...dataset.keyColumns, ...dataset.featureColumns])].filter((name) => !present.has(name));
  if (gone.length === 0) return null;
  return new AppError(
    'NOT_FOUND',
    `Table "${dataset.table}" has no column ${gone.map((name) => `"${name}"`).join(', ')} any more (dropped or renamed since the dataset was registered)`,
    { table: dataset.table, columns: gone },
  );
}
