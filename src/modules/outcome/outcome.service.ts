import type { Page } from '../../datastore/dialects/dialect';
import { pageOfRows, type PageOfRows } from '../../shared/page-of-rows';
import type { OutcomeRow } from './outcome.record';
import type { OutcomeRepository } from './outcome.repository';
import { DEFAULT_OUTCOME_TABLE } from './outcome-table';

/** Reading a dataset's published outcomes (runs write them through OutcomePublisher). */
export class OutcomeService {
  constructor(private readonly outcomes: OutcomeRepository) {}

  /** A page of the dataset's outcomes by entity key; `outcomeTable` null is the default table. */
  async page(outcomeTable: string | null, datasetId: string, page: Page): Promise<PageOfRows<OutcomeRow>> {
    return pageOfRows(await this.outcomes.page(outcomeTable ?? DEFAULT_OUTCOME_TABLE, datasetId, page), page.limit);
  }
}
