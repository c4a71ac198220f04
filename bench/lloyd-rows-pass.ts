import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { allocateLloydArrays, ASSIGN, ASSIGN_BOUNDS, ASSIGN_FIRST, INERTIA, SOURCE, USE_BOUNDS } from '../src/modules/modeling/model/lloyd-arrays';
import { halfDistancesToNearestCentroid } from '../src/modules/modeling/model/lloyd-kernel';
import { rowsKernel } from '../src/modules/modeling/model/lloyd-rows-kernel';
import { sharedFloat64Array } from '../src/modules/modeling/model/matrix';
import { blobValues } from './data';

/**
 * One thread's rows pass of the run's real path (bounds test, inertia of every row, assignment and
 * sums of every column), repeated on bench/cluster.ts' data, by kernel: JavaScript, WebAssembly
 * specialised for the column count (unrolled), WebAssembly with loops over the columns. Not an
 * engine run: the same pass from the same state each time (the centroids are rows of the data, none
 * moved, every cluster changed), to compare the kernels.
 *
 *   node dist/bench/lloyd-rows-pass.js [--rows 1000000] [--columns 10] [--k 10] [--passes 30]
 *
 * Prints one JSON line: the best and the median CPU ms of a pass per kernel, and whether the
 * assignments, lower bounds, squared distances, sums and inertia have the same bits in each.
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      columns: { type: 'string', default: '10' },
      k: { type: 'string', default: '10' },
      passes: { type: 'string', default: '30' },
    },
  });
  const [n, d, k, passes] = [values.rows, values.columns, values.k, values.passes].map(Number) as [number, number, number, number];
  const x = sharedFloat64Array(n * d);
  x.set(blobValues(n, d, k, 2, 42));
  const variants = [
    { name: 'javascript', kernel: 'javascript', unroll: undefined },
    { name: 'webassembly', kernel: 'webassembly', unroll: true },
    { name: 'webassembly-loops', kernel: 'webassembly', unroll: false },
  ] as const;
  const result: Record<string, unknown> = { rows: n, columns: d, k };
  let reference: string | undefined;
  for (const variant of variants) {
    const s = allocateLloydArrays(x, n, d, k, 1, true, true, variant.kernel);
    const kernel = rowsKernel(x, d, s, variant.unroll);
    for (let c = 0; c < k; c++) s.centroids.set(x.subarray(c * 997 * d, (c * 997 + 1) * d), c * d);
    s.params[USE_BOUNDS] = 1;
    s.params[ASSIGN] = ASSIGN_FIRST;
    s.params[SOURCE] = 1;
    kernel.rows(0, n, kernel.tally(0), s.sums);
    halfDistancesToNearestCentroid(s.centroids, d, k, s.half);
    s.previousChanged.fill(1);
    s.params[ASSIGN] = ASSIGN_BOUNDS;
    s.params[INERTIA] = 1;
    s.params[SOURCE] = 0;
    const times: number[] = [];
    let inertia = 0;
    for (let pass = 0; pass < passes; pass++) {
      s.sums.fill(0);
      const started = process.cpuUsage();
      kernel.rows(0, n, kernel.tally(0), s.sums);
      inertia = kernel.addSquared(0, 0, n);
      const used = process.cpuUsage(started);
      times.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    const hash = createHash('sha256').update(new Float64Array([inertia]));
    for (const array of [s.sums, s.assignments[1], s.lower, s.squaredDistances]) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    const digest = hash.digest('hex');
    reference ??= digest;
    result[variant.name] = { bestMs: times[0], medianMs: times[times.length >> 1], sameBits: digest === reference };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
