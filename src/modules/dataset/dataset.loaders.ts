import DataLoader from 'dataloader';
import type { CatalogColumn } from '../../datastore/types';
import type { DatasetRecord } from './dataset.record';
import type { FeatureProfileRow } from './dataset-table.repository';
import type { DatasetService } from './dataset.service';

export interface DatasetLoaders {
  readonly byId: DataLoader<string, DatasetRecord | null>;
  readonly columns: DataLoader<string, CatalogColumn[]>;
  readonly rowCount: DataLoader<string, number>;
  readonly profile: DataLoader<DatasetRecord, FeatureProfileRow[], string>;
}

/** Built per request by the context factory, so nothing cached outlives the request. */
export function createDatasetLoaders(service: DatasetService): DatasetLoaders {
  return {
    byId: new DataLoader((ids) => service.byIds(ids)),
    columns: new DataLoader((tables) => service.columnsOf(tables)),
    rowCount: new DataLoader((tables) => service.rowCounts(tables)),
    profile: new DataLoader((datasets) => service.profiles(datasets), { cacheKeyFn: (dataset) => dataset.id }),
  };
}
