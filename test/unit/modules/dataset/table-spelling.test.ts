import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialectFor } from '../../../../src/datastore/dialects';
import type { CatalogColumn } from '../../../../src/datastore/types';
import type { CatalogRepository } from '../../../../src/modules/dataset/catalog.repository';
import type { DatasetRepository } from '../../../../src/modules/dataset/dataset.repository';
import type { DatasetTableRepository } from '../../../../src/modules/dataset/dataset-table.repository';
import { DatasetService } from '../../../../src/modules/dataset/dataset.service';
import { isAppError } from '../../../../src/errors/app-error';

/**
 * A dataset table that is not there: the message names a table the database has under another case
 * only where the app can reach it by that spelling. The Oracle family upper-cases every name it
 * sends, so its catalog's "Sales" (kept in mixed case) is out of reach: suggesting it sent the caller
 * round in a circle.
 */
function serviceOver(dialectName: string, tables: readonly string[]): DatasetService {
  const dialect = dialectFor(dialectName);
  const catalog = {
    tables: () => Promise.resolve([...tables]),
    columnsOf: () => Promise.resolve(new Map<string, CatalogColumn[]>()),
  } as unknown as CatalogRepository;
  // Nothing past the catalog is reached: the table is refused first.
  return new DatasetService({} as DatasetRepository, catalog, { dialect } as never, {} as DatasetTableRepository);
}

async function refusal(service: DatasetService, table: string): Promise<string> {
  try {
    await service.register({ name: 'spelling', table, keyColumns: ['id'], featureColumns: ['x'] });
  } catch (error) {
    assert.ok(isAppError(error) && error.code === 'BAD_USER_INPUT', String(error));
    assert.equal(error.details?.field, 'table');
    return error.message;
  }
  assert.fail('registered a table the catalog does not have');
}

describe('a dataset table named in another case than the database has it', () => {
  it('SQLite and PostgreSQL: the message gives the spelling the database has', async () => {
    for (const dialect of ['sqlite', 'postgresql']) {
      assert.equal(
        await refusal(serviceOver(dialect, ['iris', 'other']), 'IRIS'),
        'Table "IRIS" does not exist in the database; it has "iris" (give the name as the database spells it)',
        dialect,
      );
    }
  });

  it('the Oracle family: an upper-case table is suggested as the app spells it, a mixed-case one not at all', async () => {
    // The catalog as CatalogRepository.tables gives it: SALES read back as "sales", "Sales" as it is.
    assert.equal(
      await refusal(serviceOver('oracle', ['sales_2024']), 'Sales_2024'),
      'Table "Sales_2024" does not exist in the database; it has "sales_2024" (give the name as the database spells it)',
    );
    assert.equal(await refusal(serviceOver('oracle', ['Sales']), 'sales'), 'Table "sales" does not exist in the database');
  });
});
