import { parseArgs } from 'node:util';
import { kMeansPlusPlusInitialization } from '../src/modules/modeling/model/initialization';
import { DEFAULT_SEEDING_SAMPLE_SIZE } from '../src/modules/modeling/model/kmeans-runner';
import { lloydSteps } from '../src/modules/modeling/model/lloyd';
import { LloydThreads, Phase } from '../src/modules/modeling/model/lloyd-threads';
import { createMatrix, sharedFloat64Array } from '../src/modules/modeling/model/matrix';
import { SeededRandom } from '../src/shared/seeded-random';
import { blobValues } from './data';

/**
 * Where the run's real clustering path (2 threads, per-iteration inertia: bench/cluster.ts'
 * fast2+inertia; --threads 1 is fast+inertia) spends its time, pass by pass, on bench/cluster.ts' data and start:
 *
 *   node dist/bench/cluster-phases.js [--rows 1000000] [--columns 10] [--k 10] [--spread 2] [--seed 42] [--threads 2]
 *       [--kernel webassembly|javascript]
 *
 * Prints one JSON line: the wall and CPU (every thread) time, the time in rows passes (inertia, assignment and sums), in any other pass, and
 * outside the passes (centroid update, bounds of the centroids, the step), and, as floors, one thread
 * streaming the matrix once (Σ of every value) and one full distance scan (every row to every centroid).
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      columns: { type: 'string', default: '10' },
      k: { type: 'string', default: '10' },
      spread: { type: 'string', default: '2' },
      seed: { type: 'string', default: '42' },
      threads: { type: 'string', default: '2' },
      kernel: { type: 'string', default: 'webassembly' },
    },
  });
  const [n, d, k, spread, seed, threads] = [values.rows, values.columns, values.k, values.spread, values.seed, values.threads].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const data = blobValues(n, d, k, spread, seed);
  const shared = sharedFloat64Array(data.length);
  shared.set(data);
  const matrix = createMatrix(shared, n, d);
  const initial = kMeansPlusPlusInitialization(matrix, k, new SeededRandom(seed), DEFAULT_SEEDING_SAMPLE_SIZE);

  const pool = LloydThreads.open(matrix, threads, { minRows: 0, waitForHelpers: true });
  const spent = { rows: 0, other: 0 };
  const passes = { rows: 0, other: 0 };
  const rowsPassTimes: number[] = [];
  const run = pool?.run.bind(pool);
  if (pool && run)
    pool.run = (phase, own) => {
      const started = performance.now();
      run(phase, own);
      const key = phase === Phase.Rows ? 'rows' : 'other';
      const ms = performance.now() - started;
      spent[key] += ms;
      if (key === 'rows') rowsPassTimes.push(ms);
      passes[key]++;
    };
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let iterations = 0;
  let computed = 0;
  try {
    for (const step of lloydSteps(matrix, initial, {
      maxIterations: 300,
      tolerance: 0,
      trackInertia: true,
      threads: pool,
      kernel: values.kernel === 'javascript' ? 'javascript' : 'webassembly',
    })) {
      iterations = step.iterations;
      computed += step.distanceComputations;
    }
  } finally {
    pool?.close();
  }
  const total = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);

  // Floors on one thread: stream the matrix once; one full scan of every row against every centroid.
  const centroids = Float64Array.from(initial.flat());
  let streamMs = Infinity;
  let scanMs = Infinity;
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    let t = performance.now();
    let sum = 0;
    // (an index loop: for-of over a Float64Array ran 5× slower here)
    for (let i = 0, length = n * d; i < length; i++) sum += data[i]!;
    streamMs = Math.min(streamMs, performance.now() - t);
    t = performance.now();
    for (let i = 0; i < n; i++) {
      let best = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const v = data[i * d + j]! - centroids[c * d + j]!;
          s += v * v;
        }
        if (s < best) best = s;
      }
      sum += best;
    }
    scanMs = Math.min(scanMs, performance.now() - t);
    sink += sum;
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      rows: n,
      iterations,
      totalMs: round(total),
      cpuMs: round((cpu.user + cpu.system) / 1000),
      rowsPassMs: round(spent.rows),
      rowsPasses: passes.rows,
      // (the fastest pass is the least disturbed by other work on the machine)
      rowsPassMinMs: round(Math.min(...rowsPassTimes)),
      rowsPassMedianMs: round(rowsPassTimes.sort((a, b) => a - b)[rowsPassTimes.length >> 1] ?? Number.NaN),
      otherPassMs: round(spent.other),
      otherPasses: passes.other,
      outsidePassesMs: round(total - spent.rows - spent.other),
      perIterationMs: round(total / iterations),
      distancesPerRowPerIteration: Math.round((computed / n / iterations) * 100) / 100,
      floorStreamOnceMs: round(streamMs),
      floorFullScanMs: round(scanMs),
      sink: sink > 0,
    })}\n`,
  );
}

main();
