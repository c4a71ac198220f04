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
