import type { RunOrder, RunRecordField } from './run.repository';

/**
 * The run record fields each ModelRun field reads (its resolver or the default one). A field not listed
 * here reads the whole record; test/unit/modules/run/run-selection.test.ts checks every field of the schema is listed.
 */
export const MODEL_RUN_FIELD_READS: Readonly<Record<string, readonly RunRecordField[]>> = {
  __typename: [],
  id: ['id'],
  status: ['status'],
  attempts: ['attempts'],
  params: ['params'],
  progress: ['progress'],
  metrics: ['metrics'],
  iterations: ['id'],
  kSelection: ['kSelection'],
  centroids: ['centroids'],
  clusterSizes: ['clusterSizes'],
  rowCounts: ['preparation'],
  error: ['error'],
  createdAt: ['createdAt'],
  startedAt: ['startedAt'],
  finishedAt: ['finishedAt'],
  outcomesPublishedAt: ['outcomesPublishedAt'],
  publishError: ['publishError'],
  dataset: ['datasetId'],
  durationMs: ['startedAt', 'finishedAt'],
  trace: ['id'],
  kibanaUrl: ['id'],
  reportUrl: ['id'],
  assignments: ['id'],
};

/**
 * The record fields a list of runs needs for the ModelRun fields `selected`, and for its cursors (the
 * order's column); undefined (the whole record) when one of them is not in MODEL_RUN_FIELD_READS.
 */
export function runFieldsFor(selected: Iterable<string>, order: RunOrder): ReadonlySet<RunRecordField> | undefined {
  const fields = new Set<RunRecordField>(['id', order.field === 'CREATED_AT' ? 'createdAt' : 'finishedAt']);
  for (const name of selected) {
    if (!Object.hasOwn(MODEL_RUN_FIELD_READS, name)) return undefined;
    for (const field of MODEL_RUN_FIELD_READS[name]!) fields.add(field);
  }
  return fields;
}
