/** A registered dataset as services and repositories pass it around. */
export interface DatasetRecord {
  readonly id: string;
  readonly name: string;
  /** The table holding the data, as the app names it (lower case on the Oracle family). */
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly featureColumns: readonly string[];
  readonly description: string | null;
  readonly outcomeTable: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What registering a dataset takes; the rest is checked against the catalog and filled in. */
export interface NewDataset {
  readonly name: string;
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly featureColumns: readonly string[];
  readonly description?: string | null;
  readonly outcomeTable?: string | null;
}

/** Changes to a dataset: an omitted field stays as it is; null clears the description and the outcome table. */
export interface DatasetChanges {
  readonly name?: string | null;
  readonly keyColumns?: readonly string[] | null;
  readonly featureColumns?: readonly string[] | null;
  readonly description?: string | null;
  readonly outcomeTable?: string | null;
}
