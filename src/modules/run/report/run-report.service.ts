import { isRunId, runNotFound } from '../run-id';
import type { Streamer } from '../../../datastore/contracts';
import type { SqlDialect } from '../../../datastore/dialects';
import { AppError } from '../../../errors/app-error';
import type { DatasetRecord } from '../../dataset/dataset.record';
import type { AssignmentRepository } from '../assignment.repository';
import { entityKey } from '../dataset-reader';
import type { ModelRunRecord, ModelRunWithHistory } from '../run.record';
import type { RunRepository } from '../run.repository';
import type { PointSample, SamplePoint } from './point-sample';
import { firstTwoComponents } from './principal-components';
import { Reservoir } from './reservoir';
import { leadingCharacters } from '../../../shared/character-count';

/** Rows the points chart shows by default, and at most. */
export const DEFAULT_SAMPLE_SIZE = 2_000;
export const MAX_SAMPLE_SIZE = 5_000;

export interface ReportRequest {
  /** Two of the run's features for the points chart; both or neither (then the first two principal components). */
  readonly x?: string;
  readonly y?: string;
  /** The sample's size bound: 1 to MAX_SAMPLE_SIZE, default DEFAULT_SAMPLE_SIZE. */
  readonly sample?: number;
}

/** Everything the report page draws: the run as stored, its dataset's name, and a sample of its points. */
export interface RunReport {
  readonly run: ModelRunWithHistory;
  /** Null once the dataset has been deleted. */
  readonly datasetName: string | null;
  /** Null until the run SUCCEEDED (no assignments before), or once its dataset is deleted. */
  readonly sample: PointSample | null;
}

export interface RunReportDependencies {
  readonly runs: Pick<RunRepository, 'findByIds' | 'iterationsOf'>;
  readonly datasets: { byIds(ids: readonly string[]): Promise<(DatasetRecord | null)[]> };
  readonly assignments: Pick<AssignmentRepository, 'clustersOf'>;
  readonly streamer: Streamer & { readonly dialect: SqlDialect };
  /** RUN_READ_BATCH_ROWS: rows a batch while the sample streams through the dataset. */
  readonly readBatchRows: number;
}

/** What a run's report page shows, read through the repositories; the sample streams the dataset and keeps only itself. */
export class RunReportService {
  constructor(private readonly deps: RunReportDependencies) {}

  async report(id: string, request: ReportRequest): Promise<RunReport> {
    const [run] = isRunId(id) ? await this.deps.runs.findByIds([id]) : [];
    if (!run) throw runNotFound(id);
    const axes = checkRequest(run, request);
    const [dataset] = await this.deps.datasets.byIds([run.datasetId]);
    const sample = run.status === 'SUCCEEDED' && dataset ? await this.sample(run, axes, request.sample ?? DEFAULT_SAMPLE_SIZE) : null;
    const iterations = (await this.deps.runs.iterationsOf([run.id])).get(run.id) ?? null;
    return { run: { ...run, iterations }, datasetName: dataset?.name ?? null, sample };
  }

  /**
   * Streams the run's table in key order (the run's definition of it, not the dataset's current one) and
   * keeps a sample seeded with the run's seed, then reads the sampled rows' clusters. A row counts when it
   * has a number in every feature needed: the two chosen where the run imputed missing values, every
   * feature otherwise and for principal components. Rows the run did not assign (added since) are left out.
   */
  private async sample(run: ModelRunRecord, axes: readonly [number, number] | null, limit: number): Promise<PointSample> {
    const { table, keyColumns, featureColumns } = run.params;
    for (const name of [table, ...keyColumns, ...featureColumns]) this.deps.streamer.dialect.assertIdentifier(name);
    // Where the run dropped rows with a missing value, only complete rows have a cluster.
    const needed = axes && run.params.preparation.missing !== 'DROP' ? [...new Set(axes)] : featureColumns.map((_, index) => index);
    const reservoir = new Reservoir<{ key: string; values: Float64Array }>(limit, run.params.seed);
    const keyCount = keyColumns.length;
    await this.deps.streamer.streamOrdered(
      { table, columns: [...keyColumns, ...featureColumns], keyColumns, numbers: featureColumns },
      this.deps.readBatchRows,
      (batch) => {
        const block = new Float64Array(batch.length * featureColumns.length);
        for (let feature = 0; feature < featureColumns.length; feature++) batch.copyNumbers(keyCount + feature, block, feature, featureColumns.length);
        const parts: unknown[] = new Array<unknown>(keyCount);
        for (let row = 0; row < batch.length; row++) {
          const values = block.subarray(row * featureColumns.length, (row + 1) * featureColumns.length);
          if (needed.some((feature) => Number.isNaN(values[feature]!))) continue;
          for (let key = 0; key < keyCount; key++) parts[key] = batch.value(row, key);
          reservoir.offer({ key: entityKey(parts), values: Float64Array.from(values) });
        }
      },
    );
    const drawn = reservoir.items();
    const clusters = await this.deps.assignments.clustersOf(
      run.id,
      drawn.map(({ key }) => key),
    );
    const assigned = drawn.filter(({ key }) => clusters.has(key));
    const point = (index: number, x: number, y: number): SamplePoint => ({
      entityKey: assigned[index]!.key,
      cluster: clusters.get(assigned[index]!.key)!,
      x,
      y,
    });
    const base = { limit, eligibleRows: reservoir.offered };
    if (axes) {
      return {
        ...base,
        kind: 'FEATURES',
        xTitle: featureColumns[axes[0]]!,
        yTitle: featureColumns[axes[1]]!,
        points: assigned.map(({ values }, index) => point(index, values[axes[0]]!, values[axes[1]]!)),
      };
    }
    const columns = featureColumns.length;
    const matrix = new Float64Array(assigned.length * columns);
    assigned.forEach(({ values }, index) => matrix.set(values, index * columns));
    const { x, y, explained } = firstTwoComponents(matrix, assigned.length, columns);
    return {
      ...base,
      kind: 'PRINCIPAL_COMPONENTS',
      xTitle: `PC1 (${(explained[0] * 100).toFixed(1)}% of variance)`,
      yTitle: `PC2 (${(explained[1] * 100).toFixed(1)}% of variance)`,
      points: assigned.map((_, index) => point(index, x[index]!, y[index]!)),
    };
  }
}

/** The chosen features' indexes (null for principal components), or BAD_USER_INPUT naming the parameter. */
function checkRequest(run: ModelRunRecord, request: ReportRequest): readonly [number, number] | null {
  const { sample, x, y } = request;
  if (sample !== undefined && !(Number.isInteger(sample) && sample >= 1 && sample <= MAX_SAMPLE_SIZE)) {
    throw new AppError('BAD_USER_INPUT', `sample must be an integer from 1 to ${MAX_SAMPLE_SIZE}`, { field: 'sample' });
  }
  if (x === undefined && y === undefined) return null;
  if (x === undefined || y === undefined) {
    throw new AppError('BAD_USER_INPUT', 'Give both x and y (two of the run’s features), or neither for the first two principal components', {
      field: x === undefined ? 'x' : 'y',
    });
  }
  const features = run.params.featureColumns;
  const index = (field: 'x' | 'y', name: string) => {
    const found = features.indexOf(name);
    if (found === -1) {
      throw new AppError('BAD_USER_INPUT', `${field} must be one of the run’s features (${features.join(', ')}), not "${leadingCharacters(name, 80)}"`, {
        field,
        features: [...features],
      });
    }
    return found;
  };
  return [index('x', x), index('y', y)];
}
