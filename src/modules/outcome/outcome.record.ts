/** One row of an outcome table: an entity's latest published cluster in a dataset. */
export interface OutcomeRow {
  readonly datasetId: string;
  readonly entityKey: string;
  readonly runId: string;
  readonly cluster: number;
  readonly distance: number;
  /** When the run that assigned it finished: publishing a run again writes the same row. */
  readonly scoredAt: Date;
}

/** Why a publish failed: a catalogue code and a message safe to show (the driver's text goes to the log). */
export interface PublishErrorRecord {
  readonly code: string;
  readonly message: string;
  readonly at: Date;
}
