import type { ModelingJobOutput } from '../modeling/model';
import type { PreparationRecord } from './run.record';

/**
 * What a run records of its input: rows read and dropped, scaling, each feature's statistics, and its
 * missing values split into NULLs and values that are not numbers (`nonNumeric`, counted by the read:
 * the model sees both as missing).
 */
export function preparationRecord(
  preparation: ModelingJobOutput['preparation'],
  featureColumns: readonly string[],
  nonNumeric: readonly number[],
): PreparationRecord {
  return {
    rowsRead: preparation.rowsRead,
    rowsDropped: preparation.rowsDropped,
    scaling: preparation.scaling.kind,
    columnStats: preparation.columnStats,
    missingValues: preparation.columnStats.map((stats, index) => ({
      column: featureColumns[index]!,
      nulls: stats.nulls - (nonNumeric[index] ?? 0),
      nonNumeric: nonNumeric[index] ?? 0,
    })),
  };
}
