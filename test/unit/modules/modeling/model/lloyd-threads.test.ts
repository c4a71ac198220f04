import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  lloydEngine,
  MIN_ROWS_FOR_THREADS,
  runKMeans,
  runModelingJob,
  RunCancelledError,
  selectK,
  type IterationEvent,
  type KMeansEngine,
  type KMeansOptions,
  type Matrix,
  type ModelingJobInput,
} from '../../../../../src/modules/modeling/model';
import { kMeansPlusPlusInitialization, randomRowsInitialization } from '../../../../../src/modules/modeling/model/initialization';
import { lloydSteps, type LloydOptions } from '../../../../../src/modules/modeling/model/lloyd';
import { LloydThreads, type LloydThreadsOptions } from '../../../../../src/modules/modeling/model/lloyd-threads';
import { createMatrix, sharedFloat64Array } from '../../../../../src/modules/modeling/model/matrix';
import { runInWorker } from '../../../../../src/modules/modeling/worker/run-in-worker';
import { SeededRandom } from '../../../../../src/shared/seeded-random';
import { CHUNKED_REFERENCE_ENGINE, inertiaOf, mlKmeansSteps, referenceSteps, runLloyd } from '../../../../support/kmeans-oracle';
import { matrixFromRows, toRowArrays as toRows } from '../../../../support/modeling';
import { standardizedIris } from './fixtures';
import { blobs, lattice, recordedStep, recordedSteps, tiesAfterFirstIteration } from './lloyd-fixtures';

/**
 * The Lloyd engine on helper threads (LloydThreads) against the engine on one thread and its
 * reference (ml-kmeans with its centroid sums taken by chunks: test/support/kmeans-oracle.ts), from
 * the same initial centroids. Every comparison is EXACT (assert.deepStrictEqual on
 * doubles: bit for bit): every step's assignments, centroids, cluster sizes, centroid shifts,
 * per-iteration inertia, distance computations, iteration count and convergence flag, for 2 and 3
 * threads, with and without bounds and inertia. Then through the runner (onIteration events and
 * results), selectK, runModelingJob and a real modeling worker; cancellation; and that no helper
 * thread outlives a call, whether it succeeded, failed or was cancelled.
 */

const VARIANTS: readonly { name: string; options: Partial<LloydOptions> }[] = [
  { name: 'bounds', options: {} },
  { name: 'bounds + inertia', options: { trackInertia: true } },
  { name: 'no bounds', options: { useBounds: false } },
  { name: 'no bounds + inertia', options: { useBounds: false, trackInertia: true } },
];

/** The pools the tests open, until their helpers have exited: the helper threads still alive, and the passes shared. */
const pools = new Set<LloydThreads>();
let passesSharedByEndedPools = 0;
function openThreads(matrix: Matrix, threads: number, options?: LloydThreadsOptions): LloydThreads | undefined {
  const pool = LloydThreads.open(matrix, threads, options);
  if (pool) pools.add(pool);
  return pool;
}
function forgetEndedPools(): void {
  for (const pool of pools) {
    if (pool.liveHelpers > 0) continue;
    passesSharedByEndedPools += pool.sharedPasses;
    pools.delete(pool);
  }
}
function liveHelperThreads(): number {
  forgetEndedPools();
  return [...pools].reduce((sum, pool) => sum + pool.liveHelpers, 0);
}
function sharedPasses(): number {
  forgetEndedPools();
  return [...pools].reduce((sum, pool) => sum + pool.sharedPasses, passesSharedByEndedPools);
}
/** The server's engine on pools the tests see; waitForHelpers: every pass shared, whenever the helpers boot. */
const observedEngine = (waitForHelpers: boolean): KMeansEngine => lloydEngine((matrix, threads) => openThreads(matrix, threads, { waitForHelpers }));

/** Opens helper threads for any size (minRows 0), waits until they can share every pass, runs `body` (which must share some), always closes them. */
function withThreads<T>(matrix: Matrix, threads: number, body: (pool: LloydThreads) => T): T {
  const pool = openThreads(matrix, threads, { minRows: 0, waitForHelpers: true })!;
  try {
    const before = pool.sharedPasses;
    const result = body(pool);
    assert.ok(pool.sharedPasses > before, 'no pass was shared with a helper thread');
    return result;
  } finally {
    pool.close();
  }
}

/** Every step with `threads` threads equals the one-thread engine's, every variant; returns the one-thread steps per variant. */
function assertThreadedSame(matrix: Matrix, start: number[][], maxIterations: number, tolerance: number, threadCounts = [2, 3]) {
  const single = VARIANTS.map((variant) => recordedSteps(matrix, start, { maxIterations, tolerance, ...variant.options }));
  for (const threads of threadCounts) {
    withThreads(matrix, threads, (pool) => {
      VARIANTS.forEach((variant, v) => {
        const steps = recordedSteps(matrix, start, { maxIterations, tolerance, ...variant.options, threads: pool });
        assert.deepStrictEqual(steps, single[v], `${threads} threads, ${variant.name}: steps differ from the one-thread engine`);
      });
    });
  }
  return single;
}

/** …and the one-thread engine equals the reference (ml-kmeans, its sums by chunks), so the threaded one does too, inertia included. */
function assertSameAsReference(matrix: Matrix, start: number[][], maxIterations: number, tolerance: number, threadCounts = [2, 3]) {
  const single = assertThreadedSame(matrix, start, maxIterations, tolerance, threadCounts);
  const rows = toRows(matrix);
  const reference = referenceSteps(rows, start, maxIterations, tolerance);
  const withInertia = single[1]!;
  assert.deepStrictEqual(
    withInertia.map(({ iterations, converged, clusters, centroids }) => ({ iterations, converged, clusters, centroids })),
    reference,
  );
  withInertia.forEach((step, t) => assert.equal(step.inertia, inertiaOf(rows, reference[t]!.clusters, reference[t]!.centroids), `iteration ${t + 1}: inertia`));
  return reference;
}

async function assertNoHelperLeft(): Promise<void> {
  for (let waited = 0; liveHelperThreads() > 0; waited += 10) {
    if (waited > 10_000) assert.fail(`${liveHelperThreads()} helper thread(s) still alive 10 s after the call returned`);
    await sleep(10);
  }
}

const kmeansPlusPlus = (matrix: Matrix, k: number, seed: number) => kMeansPlusPlusInitialization(matrix, k, new SeededRandom(seed), 10_000);

describe('Lloyd engine on helper threads equals the engine on one thread and its reference, bit for bit', () => {
  after(assertNoHelperLeft);

  it('iris (standardized), k = 3 and 5, k-means++ and random rows, seeds 1..3', () => {
    const iris = standardizedIris();
    for (const k of [3, 5]) {
      for (let seed = 1; seed <= 3; seed++) {
        assertSameAsReference(iris, kmeansPlusPlus(iris, k, seed), 300, 1e-8);
        assertSameAsReference(iris, randomRowsInitialization(iris, k, new SeededRandom(seed)), 300, 1e-8);
      }
    }
  });

  for (const spread of [1, 4]) {
    it(`blobs 30,000 × 10, k = 10, spread ${spread}, tolerance 0 (to strict convergence), k-means++ seeds 1..2`, () => {
      const matrix = blobs(30_000, 10, 10, spread, 42 + spread);
      for (let seed = 1; seed <= 2; seed++) {
        const reference = assertSameAsReference(matrix, kmeansPlusPlus(matrix, 10, seed), 300, 0, [2]);
        assert.ok(reference.at(-1)!.converged);
      }
    });
  }

  it('duplicates and ties: 80 random small integer tables (duplicate rows, exact ties, duplicate centroids, empty clusters), tolerance 0 / 1e-9 / 0.5', () => {
    const random = new SeededRandom(77);
    let ties = 0;
    for (let trial = 0; trial < 80; trial++) {
      const n = 4 + random.integer(40);
      const columns = 1 + random.integer(3);
      const matrix = lattice(n, columns, 1 + random.integer(6), random.integer(2 ** 32));
      const k = 2 + random.integer(Math.min(6, n - 1));
      const start =
        trial % 2 === 0
          ? randomRowsInitialization(matrix, k, new SeededRandom(trial))
          : Array.from({ length: k }, () => Array.from({ length: columns }, () => random.integer(13) / 2));
      const reference = assertSameAsReference(matrix, start, 100, [0, 1e-9, 0.5][trial % 3]!, [2]);
      ties += tiesAfterFirstIteration(toRows(matrix), reference);
    }
    assert.ok(ties > 20, `only ${ties} tied rows after the first iteration`);
  });

  it('duplicate rows at scale: 40,000 rows on a 4-value lattice (every distance ties with others), k = 7', () => {
    const matrix = lattice(40_000, 3, 3, 5);
    assertSameAsReference(matrix, randomRowsInitialization(matrix, 7, new SeededRandom(2)), 100, 0, [2]);
  });

  it('empty clusters: fewer distinct points than k, a centroid far from every row, a cluster emptied in iteration 2', () => {
    const six = matrixFromRows([
      [0, 0],
      [0, 0],
      [0, 0],
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    assertSameAsReference(
      six,
      [
        [0, 0],
        [0, 0],
        [5, 5],
      ],
      100,
      1e-8,
    );
    const reference = assertSameAsReference(
      six,
      [
        [0, 0],
        [5, 5],
        [100, 100],
      ],
      100,
      1e-8,
    );
    assert.deepStrictEqual(reference.at(-1)!.centroids[2], [100, 100]);
    const emptied = assertSameAsReference(
      matrixFromRows([
        [0, 3],
        [1, 2],
        [6, 3],
        [5, 2],
        [0, 3],
      ]),
      [
        [1.5, 6],
        [6, 4.5],
        [3.5, 0.5],
      ],
      20,
      1e-9,
    );
    assert.deepStrictEqual(emptied[1]!.clusters, [0, 0, 1, 1, 0]);
  });

  it('k = n (every row its own cluster), n = 2 with 3 threads (a thread without rows), and k = 1', () => {
    const seven = matrixFromRows([[0], [1], [2], [1], [1], [3], [-1]]);
    assertSameAsReference(seven, toRows(seven), 50, 0);
    assertSameAsReference(seven, [[2], [0], [2], [5], [5], [-3], [1]], 50, 0);
    const two = matrixFromRows([
      [0, 1],
      [4, 4],
    ]);
    assertSameAsReference(
      two,
      [
        [0, 1],
        [4, 4],
      ],
      10,
      0,
      [3],
    );
    assertSameAsReference(
      two,
      [
        [1, 1],
        [1, 1],
      ],
      10,
      0,
      [3],
    );
    assertSameAsReference(blobs(500, 3, 1, 2, 3), [[0, 0, 0]], 10, 0);
  });

  it('bounds that rarely hold: 25,000 × 32 uniform noise, k = 12 — most rows are rescanned every iteration', () => {
    const random = new SeededRandom(11);
    const matrix: Matrix = { values: Float64Array.from({ length: 25_000 * 32 }, () => random.next()), rows: 25_000, columns: 32 };
    const start = kmeansPlusPlus(matrix, 12, 1);
    const single = assertThreadedSame(matrix, start, 25, 0, [2]);
    const steps = single[0]!.slice(1);
    const computed = steps.reduce((sum, step) => sum + step.distanceComputations, 0);
    assert.ok(computed > 0.5 * steps.length * matrix.rows * 12, `the bounds held too often (${computed} distances) for this case to test the rescans`);
  });

  it('helpers joining mid-run: iterations 1–2 on thread 0 alone (helper not booted yet), the rest shared — the same steps', () => {
    const matrix = blobs(30_000, 10, 10, 3, 9);
    const start = kmeansPlusPlus(matrix, 10, 4);
    for (const variant of VARIANTS) {
      const options = { maxIterations: 300, tolerance: 0, ...variant.options };
      const single = recordedSteps(matrix, start, options);
      const pool = openThreads(matrix, 2, { minRows: 0 })!;
      try {
        const steps: ReturnType<typeof recordedSteps> = [];
        for (const step of lloydSteps(matrix, start, { ...options, threads: pool })) {
          steps.push(recordedStep(step, matrix.columns));
          if (step.iterations === 2) {
            assert.equal(pool.sharedPasses, 0, 'the helper booted before iteration 2 was reported; this test needs it to join later');
            pool.waitUntilReady();
          }
        }
        assert.ok(pool.sharedPasses > 0, 'the helper never joined');
        assert.deepStrictEqual(steps, single, variant.name);
      } finally {
        pool.close();
      }
    }
  });

  it('stopped by maxIterations = 1, 2, 5 (not converged), overlapping blobs, random-row starts', () => {
    const matrix = blobs(2_000, 5, 8, 5, 7);
    for (const maxIterations of [1, 2, 5]) {
      const reference = assertSameAsReference(matrix, randomRowsInitialization(matrix, 8, new SeededRandom(maxIterations)), maxIterations, 1e-8);
      assert.equal(reference.length, maxIterations);
      assert.equal(reference.at(-1)!.converged, false);
    }
  });

  it("the check can fail: on this data the reference's sums by chunks differ in their bits from ml-kmeans' row-order sums, for the same assignments", () => {
    // So equality with the reference tells the chunked sums apart from any other order (row order, or a sum per thread).
    const matrix = blobs(30_000, 10, 10, 4, 43);
    const start = kmeansPlusPlus(matrix, 10, 1);
    const rows = toRows(matrix);
    const [chunked] = referenceSteps(rows, start, 1, 0);
    const [plain] = mlKmeansSteps(rows, start, 1, 0);
    assert.deepStrictEqual(chunked!.clusters, plain!.clusters);
    const differing = chunked!.centroids.flat().filter((value, index) => value !== plain!.centroids.flat()[index]).length;
    assert.ok(differing > 0, 'every chunked sum happened to equal the row-order sum');
    assert.deepStrictEqual(recordedSteps(matrix, start, { maxIterations: 1, tolerance: 0 })[0]!.centroids, chunked!.centroids);
  });
});

const OPTIONS: KMeansOptions = { k: 6, initialization: 'KMEANS_PLUS_PLUS', nInit: 2, maxIterations: 300, tolerance: 1e-8, seed: 7 };
const BIG = () => blobs(MIN_ROWS_FOR_THREADS + 5_000, 5, 6, 3, 21);

function runWithEvents(matrix: Matrix, options: KMeansOptions, engine: KMeansEngine) {
  const events: IterationEvent[] = [];
  let helpersDuringRun = 0;
  const result = runKMeans(
    matrix,
    options,
    {
      onIteration: (event) => {
        events.push(event);
        helpersDuringRun = Math.max(helpersDuringRun, liveHelperThreads());
      },
    },
    engine,
  );
  return { result, events, helpersDuringRun };
}

describe('Lloyd engine on helper threads through the runner', () => {
  // Every pass shared, so that these tests do not depend on how fast a helper boots.
  const engine = observedEngine(true);
  after(assertNoHelperLeft);

  it(`runKMeans on ${MIN_ROWS_FOR_THREADS + 5_000} rows: threads 2 and 3 give the reference's result and onIteration events (inertia included), and do use helper threads`, async () => {
    await assertNoHelperLeft(); // (the helpers of earlier tests report their exit asynchronously)
    const matrix = BIG();
    const reference = runWithEvents(matrix, OPTIONS, CHUNKED_REFERENCE_ENGINE);
    const one = runWithEvents(matrix, { ...OPTIONS, threads: 1 }, engine);
    assert.equal(one.helpersDuringRun, 0);
    assert.deepStrictEqual(one.result, reference.result);
    assert.deepStrictEqual(one.events, reference.events);
    for (const threads of [2, 3]) {
      await assertNoHelperLeft();
      const shared = sharedPasses();
      const run = runWithEvents(matrix, { ...OPTIONS, threads }, engine);
      assert.equal(run.helpersDuringRun, threads - 1, 'the helper threads were not running');
      assert.ok(sharedPasses() > shared, 'no pass was shared');
      assert.deepStrictEqual(run.result, reference.result);
      assert.deepStrictEqual(run.events, reference.events);
      // …and without onIteration (no per-iteration inertia).
      assert.deepStrictEqual(runKMeans(matrix, { ...OPTIONS, threads }, {}, engine), reference.result);
    }
    await assertNoHelperLeft();
  });

  it(`below MIN_ROWS_FOR_THREADS (${MIN_ROWS_FOR_THREADS}) rows the engine stays on one thread`, async () => {
    await assertNoHelperLeft();
    const small = blobs(MIN_ROWS_FOR_THREADS - 1, 3, 4, 2, 1);
    assert.equal(runWithEvents(small, { ...OPTIONS, k: 4, threads: 2 }, engine).helpersDuringRun, 0);
    assert.equal(LloydThreads.open(small, 2), undefined);
  });

  it('selectK with threads 2 equals selectK with threads 1 and with the reference', () => {
    const matrix = BIG();
    const options = {
      initialization: 'KMEANS_PLUS_PLUS',
      nInit: 1,
      maxIterations: 300,
      tolerance: 1e-8,
      seed: 3,
      min: 4,
      max: 7,
      silhouetteSampleSize: 500,
    } as const;
    const reference = selectK(matrix, options, {}, CHUNKED_REFERENCE_ENGINE);
    assert.deepStrictEqual(selectK(matrix, { ...options, threads: 2 }, {}, engine), reference);
    assert.deepStrictEqual(selectK(matrix, { ...options, threads: 1 }, {}, engine), reference);
  });

  it('runModelingJob (whose prepared matrix is shared memory) with threads 2 equals threads 1', () => {
    const { values, rows, columns } = BIG();
    const job = (threads: number) => {
      const input: ModelingJobInput = {
        values,
        rows,
        columns,
        params: {
          k: 6,
          kRange: null,
          initialization: 'KMEANS_PLUS_PLUS',
          nInit: 2,
          maxIterations: 300,
          tolerance: 1e-8,
          seed: 9,
          preparation: { missing: 'DROP', scaling: 'STANDARD' },
          threads,
        },
      };
      const { timings: _timings, ...output } = runModelingJob(input, {}, engine);
      return output;
    };
    assert.deepStrictEqual(job(2), job(1));
  });

  it('threads outside 1..16 are a ModelInputError', () => {
    for (const threads of [0, 17, 1.5]) assert.throws(() => runKMeans(BIG(), { ...OPTIONS, threads }, {}, engine), /threads must be an integer from 1 to 16/);
  });
});

describe('Lloyd engine on helper threads: cancel and failures leave no helper thread behind', () => {
  // The server's engine as it is: passes start before the helpers have booted.
  const engine = observedEngine(false);
  after(assertNoHelperLeft);

  it('shouldCancel turning true after the 3rd iteration throws RunCancelledError before a 4th; the helpers end', async () => {
    await assertNoHelperLeft();
    let iterations = 0;
    let helpers = 0;
    assert.throws(
      () =>
        runKMeans(
          BIG(),
          { ...OPTIONS, threads: 2, initialization: 'RANDOM', tolerance: 1e-12 },
          {
            onIteration: () => {
              iterations++;
              helpers = liveHelperThreads();
            },
            shouldCancel: () => iterations >= 3,
          },
          engine,
        ),
      RunCancelledError,
    );
    assert.equal(iterations, 3);
    assert.equal(helpers, 1);
    await assertNoHelperLeft();
  });

  it('an onIteration hook that throws: the error propagates and the helpers end', async () => {
    assert.throws(
      () =>
        runKMeans(
          BIG(),
          { ...OPTIONS, threads: 2 },
          {
            onIteration: () => {
              throw new Error('hook failed');
            },
          },
          engine,
        ),
      /hook failed/,
    );
    await assertNoHelperLeft();
  });

  it("a failure inside a helper thread (a NaN in its rows) comes back as the engine's RangeError; the pool closes", async () => {
    const matrix = blobs(1_000, 2, 3, 1, 4);
    matrix.values[900 * 2] = Number.NaN; // row 900: the helper's half of 2 threads
    const start = randomRowsInitialization(matrix, 3, new SeededRandom(1));
    assert.throws(
      () => withThreads(matrix, 2, (threads) => runLloyd(matrix, start, { maxIterations: 10, tolerance: 0, threads })),
      (error: unknown) => error instanceof RangeError && error.message.includes('row 900'),
    );
    // The same NaN in thread 0's rows.
    matrix.values[900 * 2] = 0;
    matrix.values[10 * 2] = Number.NaN;
    assert.throws(() => withThreads(matrix, 2, (threads) => runLloyd(matrix, start, { maxIterations: 10, tolerance: 0, threads })), /row 10/);
    await assertNoHelperLeft();
  });

  it('a pass where thread 0 and a helper both fail leaves the pool clean: the next run on it is not handed the old failure', () => {
    // NaN rows in three chunks of 9,000 rows: thread 0 and the helper each meet one in the same pass. (In
    // shared memory, so that the pool uses the matrix in place and sees the values change.)
    const plain = blobs(9_000, 2, 3, 1, 4);
    const matrix = createMatrix(sharedFloat64Array(plain.values.length), plain.rows, plain.columns);
    matrix.values.set(plain.values);
    const nanRows = [1_760, 5_556, 7_687];
    const start = randomRowsInitialization(matrix, 3, new SeededRandom(1));
    withThreads(matrix, 2, (threads) => {
      for (const row of nanRows) matrix.values[row * 2] = Number.NaN;
      assert.throws(() => runLloyd(matrix, start, { maxIterations: 5, tolerance: 0, threads }), RangeError);
      for (const row of nanRows) matrix.values[row * 2] = 0;
      const steps = recordedSteps(matrix, start, { maxIterations: 5, tolerance: 0, threads });
      assert.deepStrictEqual(steps, recordedSteps(matrix, start, { maxIterations: 5, tolerance: 0 }));
    });
  });

  it('helper threads opened for one matrix refuse another', () => {
    const matrix = blobs(100, 2, 2, 1, 4);
    const threads = openThreads(matrix, 2, { minRows: 0 })!;
    try {
      assert.throws(
        () => [
          ...lloydSteps(
            blobs(100, 2, 2, 1, 4),
            [
              [0, 0],
              [1, 1],
            ],
            { maxIterations: 2, tolerance: 0, threads },
          ),
        ],
        /another matrix/,
      );
    } finally {
      threads.close();
    }
  });

  it('a real modeling worker (runInWorker, helpers nested in it): same output as threads 1 on this thread; cancel mid-run rejects with RunCancelledError', async () => {
    const data = BIG();
    const params = {
      k: 6,
      kRange: null,
      initialization: 'KMEANS_PLUS_PLUS',
      nInit: 2,
      maxIterations: 300,
      tolerance: 1e-12,
      seed: 9,
      preparation: { missing: 'DROP', scaling: 'STANDARD' },
    } as const;
    const { timings: _local, ...expected } = runModelingJob({ values: data.values, rows: data.rows, columns: data.columns, params: { ...params, threads: 1 } });
    const iterations: number[] = [];
    const { timings: _remote, ...output } = await runInWorker(
      { values: data.values.slice(), rows: data.rows, columns: data.columns, params: { ...params, threads: 2 } },
      { onIteration: (event) => iterations.push(event.iteration) },
    ).result;
    assert.deepStrictEqual(output, expected);
    assert.ok(iterations.length > 2);

    let seen = 0;
    const job = runInWorker(
      { values: data.values.slice(), rows: data.rows, columns: data.columns, params: { ...params, nInit: 50, threads: 2 } },
      {
        onIteration: () => {
          if (++seen === 3) job.cancel();
        },
      },
    );
    await assert.rejects(job.result, RunCancelledError);
  });
});
