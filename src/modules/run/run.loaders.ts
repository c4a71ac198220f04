import DataLoader from 'dataloader';
import type { IterationRecord, ModelRunRecord } from './run.record';
import type { RunService } from './run.service';

export interface RunLoaders {
  readonly byId: DataLoader<string, ModelRunRecord | null>;
  readonly latestOfDataset: DataLoader<string, ModelRunRecord | null>;
  /** ModelRun.iterations: the histories of a page's runs in one statement, not in each run's row. */
  readonly iterations: DataLoader<string, IterationRecord[] | null>;
}

/** Built per request by the context factory, so nothing cached outlives the request. */
export function createRunLoaders(service: RunService): RunLoaders {
  return {
    byId: new DataLoader((ids) => service.byIds(ids)),
    latestOfDataset: new DataLoader((datasetIds) => service.latestOfDatasets(datasetIds)),
    // Batched but not cached: a subscription keeps its context across events, and a run's history appears when it succeeds.
    iterations: new DataLoader((ids) => service.iterationsOf(ids), { cache: false }),
  };
}
