import { AppError } from '../../errors/app-error';
import { resolveRequest, type StartRunInput } from './run-params';
import type { ModelRunRecord } from './run.record';

/**
 * The run an idempotency key already started is the answer to a request only if it is the same
 * request: the same dataset and the same parameters once defaults are filled in (an explicit default
 * equals one left out). A seed left out both times is the same even though the first run drew one;
 * a seed given once, or another seed, is not. Compared on the params stored with the run, so no
 * fingerprint column is needed and runs of any dialect compare alike.
 */
export function assertSameRequest(run: ModelRunRecord, input: StartRunInput): ModelRunRecord {
  const differences = requestDifferences(run, input);
  if (differences.length === 0) return run;
  throw new AppError(
    'IDEMPOTENCY_KEY_REUSED',
    `idempotencyKey "${input.idempotencyKey}" already started run ${run.id} with other parameters (${differences.join(', ')})`,
    {
      field: 'idempotencyKey',
      runId: run.id,
      differences,
    },
  );
}

/** The input fields in which the request differs from what started the run, in input order. */
function requestDifferences(run: ModelRunRecord, input: StartRunInput): string[] {
  const requested = resolveRequest(input);
  const stored = run.params;
  const pairs: [string, unknown, unknown][] = [
    ['datasetId', input.datasetId, run.datasetId],
    ['k', requested.k, stored.k],
    ['kRange', requested.kRange && [requested.kRange.min, requested.kRange.max], stored.kRange && [stored.kRange.min, stored.kRange.max]],
    ['initialization', requested.initialization, stored.initialization],
    ['nInit', requested.nInit, stored.nInit],
    ['maxIterations', requested.maxIterations, stored.maxIterations],
    ['tolerance', requested.tolerance, stored.tolerance],
    ['seed', requested.seed, startedSeed(requested.seed, run)],
    ['preparation.missing', requested.preparation.missing, stored.preparation.missing],
    ['preparation.scaling', requested.preparation.scaling, stored.preparation.scaling],
    ['publishOutcomes', requested.publishOutcomes, stored.publishOutcomes],
    ['algorithm', requested.algorithm ?? 'LLOYD', stored.algorithm ?? 'LLOYD'],
    ['batchSize', requested.batchSize ?? null, stored.batchSize ?? null],
  ];
  return pairs.filter(([, asked, started]) => JSON.stringify(asked) !== JSON.stringify(started)).map(([field]) => field);
}

/** The seed the run was asked for (null: drawn). A run recorded before seedGiven was kept cannot tell: only another seed differs. */
function startedSeed(requested: number | null, run: ModelRunRecord): number | null {
  const { seed, seedGiven } = run.params;
  if (seedGiven === undefined) return requested === null ? null : seed;
  return seedGiven ? seed : null;
}
