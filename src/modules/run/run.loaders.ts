import DataLoader from 'dataloader';
import type { ModelRunRecord } from './run.record';
import type { RunService } from './run.service';

export interface RunLoaders {
  readonly byId: DataLoader<string, ModelRunRecord | null>;
  readonly latestOfDataset: DataLoader<string, ModelRunRecord | null>;
}

/** Built per request by the context factory, so nothing cached outlives the request. */
export function createRunLoaders(service: RunService): RunLoaders {
  return {
    byId: new DataLoader((ids) => service.byIds(ids)),
    latestOfDataset: new DataLoader((datasetIds) => service.latestOfDatasets(datasetIds)),
  };
}
