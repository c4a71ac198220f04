import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { kmeans } from 'ml-kmeans';
import { kMeansPlusPlusInitialization } from '../src/modules/modeling/model/initialization';
import { DEFAULT_SEEDING_SAMPLE_SIZE } from '../src/modules/modeling/model/kmeans-runner';
import { LloydThreads } from '../src/modules/modeling/model/lloyd-threads';
import { createMatrix, sharedFloat64Array } from '../src/modules/modeling/model/matrix';
import { SeededRandom } from '../src/shared/seeded-random';
import { runLloyd } from '../test/support/kmeans-oracle';
import { toRowArrays } from '../test/support/modeling';
import { blobValues, median } from './data';

/**
 * The clustering benchmark (issue 6): each k-means engine, and scikit-learn's KMeans when python3 can
 * import sklearn, on the same deterministic blob data from the same k-means++ initial centroids.
 *
 *   node dist/bench/cluster.js [--sizes 10000,100000,1000000] [--repeat 3] [--columns 10] [--k 10]
 *       [--spread 1] [--seed 42] [--max-iter 300] [--tolerance 0]
 *       [--engines ml-kmeans,fast,fast+inertia,fast-nobounds,fast2,fast2+inertia(,fast2-nobounds)] [--no-sklearn] [--sklearn-threads N]
 *
 * Engines: 'ml-kmeans' = toRowArrays (the number[][] copy it needs, timed with it) + kmeans();
 * 'fast' = the server's Lloyd engine (lloyd.ts) on one thread; 'fast+inertia' = the same with the
 * per-iteration inertia a model run always asks for; 'fast-nobounds' = the same without Hamerly's
 * bounds (a full scan every iteration). 'fast2', 'fast2+inertia', 'fast2-nobounds' = the same with one
 * helper thread (LloydThreads), its start and end timed too (a job pays them once); their matrix is on
 * a SharedArrayBuffer, as prepare() allocates it in a model run.
 * scikit-learn: KMeans(n_clusters=k, init=<the same centroids>, n_init=1, algorithm='lloyd', max_iter,
 * tol=0), time.perf_counter() around fit() only, run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset;
 * its threadpoolctl info is part of the output (by default it uses every core; the engines use one).
 *
 * Tolerance 0 (the default here) makes ml-kmeans and the fast engines stop when no centroid moves,
 * i.e. when the assignments repeat — the iteration at which scikit-learn with tol=0 stops ("strict
 * convergence"), so the iteration counts are comparable.
 *
 * Each (size, engine) runs in its own child process, so its peak RSS (getrusage maxrss) is its own; the
 * data (rows × columns doubles) is part of every figure. Times are the median of --repeat runs. The
 * output is one JSON document on stdout (progress goes to stderr). Timings are results, never assertions.
 *
 * Output (stable; bench/main.ts reads it — add fields, never rename or remove):
 *   { machine: { node, cpus, cpuModel },
 *     options: { sizes, repeat, columns, k, spread, seed, 'max-iter', tolerance, engines: string[], 'no-sklearn', 'sklearn-threads' },
 *     results: [ { rows, columns, k, engines: [ {
 *         engine,                         // one of the engines above, or 'scikit-learn'
 *         runsMs: number[], medianMs,     // wall time of each run and their median
 *         cpuRunsMs: number[], medianCpuMs,  // CPU time of the process (every thread) per run, and median:
 *                                         // on a machine shared with other work, wall time moves with the load, CPU time much less
 *         iterations, converged?,         // converged is absent for scikit-learn
 *         inertia, resultDigest,          // Σ squared distance to the final centroids (row order); sha256 of assignments + centroid bits
 *         peakRssMb, rssAfterLoadMb?,     // the child process's peak RSS; RSS once the data was loaded
 *         distanceComputations?,          // fast engines: row-to-centroid distances computed, summed over iterations
 *         identicalToMlKmeans?, assignmentsEqualToMlKmeans?, speedupVsMlKmeans?,  // when ml-kmeans ran
 *         centroidUlpsFromMlKmeans?,      // when ml-kmeans ran: the largest distance of a final centroid value from ml-kmeans', in units in the last place
 *         identicalToFast?,               // when ml-kmeans did not run but 'fast' did: same assignments, centroid bits, iterations
 *         timeVsScikitLearn?,             // medianMs / scikit-learn's medianMs, when scikit-learn ran
 *         versions?, threadpools?         // scikit-learn only
 *     } ] } ] }
 */

interface WorkerResult {
  readonly engine: string;
  readonly runsMs: number[];
  readonly cpuRunsMs: number[];
  readonly medianCpuMs: number;
  readonly medianMs: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly peakRssMb: number;
  readonly rssAfterLoadMb: number;
  readonly assignmentsFile: string;
  readonly centroidsFile: string;
  readonly distanceComputations?: number;
}

interface Outcome {
  readonly assignments: Int32Array;
  readonly centroids: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
  readonly distanceComputations?: number;
}

const ENGINES = ['ml-kmeans', 'fast', 'fast+inertia', 'fast-nobounds', 'fast2', 'fast2+inertia', 'fast2-nobounds'] as const;
type Engine = (typeof ENGINES)[number];
/** fast2-nobounds (as slow as fast-nobounds, and no model run uses it) only when asked for. */
const DEFAULT_ENGINES: readonly Engine[] = ENGINES.filter((engine) => engine !== 'fast2-nobounds');

const mb = (bytes: number) => Math.round(bytes / 1048576);
const round = (ms: number) => Math.round(ms * 10) / 10;

function sharedCopy(values: Float64Array): Float64Array {
  const copy = sharedFloat64Array(values.length);
  copy.set(values);
  return copy;
}

function readF64(file: string): Float64Array {
  const buffer = readFileSync(file);
  return new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8);
}

function runWorker(args: Record<string, string>): void {
  const rows = Number(args.rows);
  const columns = Number(args.columns);
  const k = Number(args.k);
  const engine = args.worker as Engine;
  const threads = engine.startsWith('fast2') ? 2 : 1;
  const data = readF64(args.data!);
  const matrix = createMatrix(threads > 1 ? sharedCopy(data) : data.slice(), rows, columns);
  const init = readF64(args.init!);
  const initial = Array.from({ length: k }, (_, c) => Array.from(init.subarray(c * columns, (c + 1) * columns)));
  const options = { maxIterations: Number(args['max-iter']), tolerance: Number(args.tolerance) };
  const rssAfterLoad = process.memoryUsage().rss;

  const runsMs: number[] = [];
  const cpuRunsMs: number[] = [];
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  const runOnce = (): Outcome => {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    if (engine === 'ml-kmeans') {
      const result = kmeans(toRowArrays(matrix), k, { initialization: initial, ...options });
      runsMs.push(performance.now() - started);
      cpuRunsMs.push(cpuMs(cpuStarted));
      return {
        assignments: Int32Array.from(result.clusters),
        centroids: Float64Array.from(result.centroids.flat()),
        iterations: result.iterations,
        converged: result.converged,
      };
    }
    let distanceComputations = 0;
    const pool = LloydThreads.open(matrix, threads, { minRows: 0 });
    let last;
    try {
      const variant = { trackInertia: engine.endsWith('+inertia'), useBounds: !engine.endsWith('-nobounds'), threads: pool };
      last = runLloyd(matrix, initial, { ...options, ...variant }, { onStep: (step) => (distanceComputations += step.distanceComputations) });
    } finally {
      pool?.close();
    }
    runsMs.push(performance.now() - started);
    cpuRunsMs.push(cpuMs(cpuStarted));
    return { assignments: last.clusters, centroids: last.centroids, iterations: last.iterations, converged: last.converged, distanceComputations };
  };
  // Every run but the last drops its arrays at once, so they are gone before the next run starts.
  for (let r = 1; r < Number(args.repeat); r++) runOnce();
  const outcome = runOnce();
  const assignmentsFile = path.join(args.out!, `${engine}.assignments.i32`);
  const centroidsFile = path.join(args.out!, `${engine}.centroids.f64`);
  writeFileSync(assignmentsFile, outcome.assignments);
  writeFileSync(centroidsFile, outcome.centroids);
  const result: WorkerResult = {
    engine,
    runsMs: runsMs.map(round),
    medianMs: round(median(runsMs)),
    cpuRunsMs: cpuRunsMs.map(round),
    medianCpuMs: round(median(cpuRunsMs)),
    iterations: outcome.iterations,
    converged: outcome.converged,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rssAfterLoadMb: mb(rssAfterLoad),
    assignmentsFile,
    centroidsFile,
    ...(outcome.distanceComputations !== undefined ? { distanceComputations: outcome.distanceComputations } : {}),
  };
  process.stdout.write(JSON.stringify(result));
}

const SKLEARN_SCRIPT = String.raw`
import json, resource, statistics, sys, time
import numpy as np
import sklearn
from sklearn.cluster import KMeans
from contextlib import nullcontext
from threadpoolctl import threadpool_info, threadpool_limits
data, init, out, n, d, k, max_iter, repeat, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9])
X = np.fromfile(data, dtype='<f8').reshape(n, d)
C = np.fromfile(init, dtype='<f8').reshape(k, d)
times = []
cpu_times = []
with threadpool_limits(limits=threads) if threads > 0 else nullcontext():
    info = threadpool_info()
    for _ in range(repeat):
        model = KMeans(n_clusters=k, init=C, n_init=1, algorithm='lloyd', max_iter=max_iter, tol=0)
        started = time.perf_counter()
        cpu_started = time.process_time()
        model.fit(X)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
model.labels_.astype('<i4').tofile(out + '/sklearn.assignments.i32')
model.cluster_centers_.astype('<f8').tofile(out + '/sklearn.centroids.f64')
print(json.dumps({
    'engine': 'scikit-learn', 'runsMs': [round(t, 1) for t in times], 'medianMs': round(statistics.median(times), 1),
    'cpuRunsMs': [round(t, 1) for t in cpu_times], 'medianCpuMs': round(statistics.median(cpu_times), 1),
    'iterations': int(model.n_iter_), 'peakRssMb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    'assignmentsFile': out + '/sklearn.assignments.i32', 'centroidsFile': out + '/sklearn.centroids.f64',
    'versions': {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'python': sys.version.split()[0]},
    'threadpools': info,
}))
`;

/** The largest distance between a[i] and b[i] in units in the last place (the count of doubles between them); Infinity past a sign change or a NaN. */
function largestUlps(a: Float64Array, b: Float64Array): number {
  const bitsA = new BigInt64Array(a.buffer, a.byteOffset, a.length);
  const bitsB = new BigInt64Array(b.buffer, b.byteOffset, b.length);
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (Number.isNaN(a[i]) || Number.isNaN(b[i]) || Math.sign(a[i]!) !== Math.sign(b[i]!)) return Infinity;
    const ulps = Number(bitsA[i]! > bitsB[i]! ? bitsA[i]! - bitsB[i]! : bitsB[i]! - bitsA[i]!);
    if (ulps > largest) largest = ulps;
  }
  return largest;
}

/** Σ over rows, in row order, of the squared distance to the assigned centroid. */
function inertiaOf(values: Float64Array, columns: number, assignments: Int32Array, centroids: Float64Array): number {
  let total = 0;
  for (let i = 0; i < assignments.length; i++) {
    const c = assignments[i]!;
    let squared = 0;
    for (let j = 0; j < columns; j++) squared += (values[i * columns + j]! - centroids[c * columns + j]!) ** 2;
    total += squared;
  }
  return total;
}

function sklearnAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import sklearn, threadpoolctl'], { stdio: 'ignore' }).status === 0;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000,1000000' },
      repeat: { type: 'string', default: '3' },
      columns: { type: 'string', default: '10' },
      k: { type: 'string', default: '10' },
      spread: { type: 'string', default: '1' },
      seed: { type: 'string', default: '42' },
      'max-iter': { type: 'string', default: '300' },
      tolerance: { type: 'string', default: '0' },
      engines: { type: 'string', default: DEFAULT_ENGINES.join(',') },
      'no-sklearn': { type: 'boolean', default: false },
      /** > 0: limit scikit-learn's OpenMP/BLAS threads (threadpoolctl) — 1 compares with the single-threaded engines. */
      'sklearn-threads': { type: 'string', default: '0' },
      // worker mode (internal)
      worker: { type: 'string' },
      data: { type: 'string' },
      init: { type: 'string' },
      rows: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.worker) return runWorker(values as unknown as Record<string, string>);

  const columns = Number(values.columns);
  const k = Number(values.k);
  const seed = Number(values.seed);
  const engines = values.engines.split(',').map((e) => e.trim()) as Engine[];
  for (const engine of engines) if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}; expected ${ENGINES.join(', ')}`);
  const withSklearn = !values['no-sklearn'] && sklearnAvailable();
  if (!values['no-sklearn'] && !withSklearn)
    process.stderr.write('python3 cannot import sklearn/threadpoolctl: scikit-learn is skipped (pip install --user scikit-learn)\n');

  const results = [];
  for (const n of values.sizes.split(',').map(Number)) {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-cluster-'));
    try {
      const matrix = createMatrix(blobValues(n, columns, k, Number(values.spread), seed), n, columns);
      const initial = kMeansPlusPlusInitialization(matrix, k, new SeededRandom(seed), DEFAULT_SEEDING_SAMPLE_SIZE);
      const dataFile = path.join(dir, 'data.f64');
      const initFile = path.join(dir, 'init.f64');
      writeFileSync(dataFile, matrix.values);
      writeFileSync(initFile, Float64Array.from(initial.flat()));
      const common = {
        data: dataFile,
        init: initFile,
        rows: String(n),
        columns: String(columns),
        k: String(k),
        'max-iter': values['max-iter'],
        tolerance: values.tolerance,
        repeat: values.repeat,
        out: dir,
      };

      const runs: (WorkerResult & { versions?: unknown; threadpools?: unknown })[] = [];
      for (const engine of engines) {
        process.stderr.write(`n = ${n}: ${engine}…\n`);
        const args = Object.entries({ ...common, worker: engine }).flatMap(([key, value]) => [`--${key}`, value]);
        const child = spawnSync(process.execPath, [__filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
        if (child.status !== 0) throw new Error(`worker ${engine} failed: ${child.stderr}`);
        runs.push(JSON.parse(child.stdout) as WorkerResult);
      }
      if (withSklearn) {
        process.stderr.write(`n = ${n}: scikit-learn…\n`);
        const script = path.join(dir, 'sklearn_bench.py');
        writeFileSync(script, SKLEARN_SCRIPT);
        const env = { ...process.env };
        delete env.OPENBLAS_CORETYPE;
        delete env.OPENBLAS_L2_SIZE;
        const child = spawnSync(
          'python3',
          [script, dataFile, initFile, dir, String(n), String(columns), String(k), values['max-iter'], values.repeat, values['sklearn-threads']],
          { encoding: 'utf8', env, maxBuffer: 1 << 26 },
        );
        if (child.status !== 0) throw new Error(`scikit-learn failed: ${child.stderr}`);
        runs.push(JSON.parse(child.stdout) as WorkerResult);
      }

      const reference = runs.find((run) => run.engine === 'ml-kmeans');
      const referenceAssignments = reference && new Int32Array(readFileSync(reference.assignmentsFile).buffer.slice(0));
      const sklearn = runs.find((run) => run.engine === 'scikit-learn');
      // Without ml-kmeans (too slow at 1M rows), the engines are compared with the one-thread 'fast' engine: every thread count gives its bits.
      const fast = runs.find((run) => run.engine === 'fast');
      results.push({
        rows: n,
        columns,
        k,
        engines: runs.map(({ assignmentsFile, centroidsFile, ...run }) => {
          const assignments = new Int32Array(readFileSync(assignmentsFile).buffer.slice(0));
          const centroids = readF64(centroidsFile);
          const resultDigest = createHash('sha256').update(readFileSync(assignmentsFile)).update(readFileSync(centroidsFile)).digest('hex');
          const same = reference && {
            // exact: same assignments, same centroid bits, same iteration count and convergence
            identicalToMlKmeans:
              Buffer.compare(readFileSync(assignmentsFile), readFileSync(reference.assignmentsFile)) === 0 &&
              Buffer.compare(readFileSync(centroidsFile), readFileSync(reference.centroidsFile)) === 0 &&
              run.iterations === reference.iterations,
            assignmentsEqualToMlKmeans: assignments.filter((a, i) => a === referenceAssignments![i]).length / n,
            centroidUlpsFromMlKmeans: largestUlps(centroids, readF64(reference.centroidsFile)),
          };
          const sameAsFast = !reference &&
            fast && {
              identicalToFast:
                Buffer.compare(readFileSync(assignmentsFile), readFileSync(fast.assignmentsFile)) === 0 &&
                Buffer.compare(readFileSync(centroidsFile), readFileSync(fast.centroidsFile)) === 0 &&
                run.iterations === fast.iterations,
            };
          return {
            ...run,
            inertia: inertiaOf(matrix.values, columns, assignments, centroids),
            resultDigest,
            ...same,
            ...sameAsFast,
            ...(reference && run !== reference ? { speedupVsMlKmeans: Math.round((reference.medianMs / run.medianMs) * 10) / 10 } : {}),
            ...(sklearn && run !== sklearn ? { timeVsScikitLearn: Math.round((run.medianMs / sklearn.medianMs) * 100) / 100 } : {}),
          };
        }),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(
    `${JSON.stringify({ machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model }, options: { ...values, engines }, results }, null, 2)}\n`,
  );
}

main();
