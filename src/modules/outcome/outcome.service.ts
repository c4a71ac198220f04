import type { KeysetPage } from '../../shared/keyset-page';
import { pageOfRows, type PageOfRows } from '../../shared/page-of-rows';
import type { OutcomeRow } from './outcome.record';
import type { OutcomeRepository } from './outcome.repository';
import { DEFAULT_OUTCOME_TABLE } from './outcome-table';

/** Reading a dataset's published outcomes (runs write them through OutcomePublisher). */
export class OutcomeService {
  constructor(private readonly outcomes: OutcomeRepository) {}

  /** A page of the dataset's outcomes by entity key; `outcomeTable` null is the default table. */
  async page(outcomeTable: string | null, datasetId: string, page: KeysetPage<string>): Promise<PageOfRows<OutcomeRow>> {
    return pageOfRows(await this.outcomes.page(outcomeTable ?? DEFAULT_OUTCOME_TABLE, datasetId, page), page.limit);
  }

  count(outcomeTable: string | null, datasetId: string): Promise<number> {
    return this.outcomes.count(outcomeTable ?? DEFAULT_OUTCOME_TABLE, datasetId);
  }
}
