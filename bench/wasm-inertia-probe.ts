import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { sleb, uleb, ValueType } from '../src/modules/modeling/model/wasm/assembler';
import { wasm, type WasmMemory } from '../src/modules/modeling/model/wasm/shared-memory';
import { blobValues } from './data';

/**
 * A measurement behind the choice of a WebAssembly kernel (issue 16 item 2), not an engine: the inner
 * loop every Lloyd pass runs for every row with the inertia tracked, Σ_j (x_j − c_j)² to the row's
 * centroid summed j = 0, 1, … and then over rows in row order (lloyd-kernel.ts' rowsPass), three ways:
 * today's JavaScript, JavaScript specialised for the column count by new Function, and WebAssembly
 * (MVP scalar f64, no SIMD: the sum's order is the same, so are its bits) specialised the same way and
 * assembled here byte by byte, so no tool or generated binary is needed.
 *
 *   node dist/bench/wasm-inertia-probe.js [--rows 1000000] [--columns 10] [--k 10]
 *
 * Then the same loop also adding each row to its cluster's sums (the fused pass), in JavaScript and
 * WebAssembly. Prints the best CPU time of 9 runs of each, and whether every squared distance, the
 * total and the sums have the same bits as today's loop. Last, the WebAssembly fused pass on one and
 * on two worker threads (half the rows and its own sums each), best wall time of 15: how it scales.
 */

// The project's WebAssembly API declarations and LEB128 encoders (the kernel's assembler); the rest of
// the module is written out byte by byte below, as it was measured.
const wasmApi = wasm!;

const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (text: string): number[] => vector([...Buffer.from(text)].map((byte) => [byte]));

const I32 = ValueType.i32;
const F64 = ValueType.f64;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  i32Load: [0x28, 2, 0],
  f64Load: (offset: number) => [0x2b, 3, ...uleb(offset)],
  f64StoreAt: (offset: number) => [0x39, 3, ...uleb(offset)],
  f64Zero: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
};

/**
 * inertia(x, centroids, assignments, out, from, to, sums) → Σ out[i] over [from, to) in row order, where
 * out[i] = Σ_j (x[i][j] − centroids[assignments[i]][j])², j ascending; withSums: also adds each row to
 * sums[assignments[i]], in row order. Byte addresses into memory "e"."m" (shared: a shared memory of exactly `pages`).
 */
export function inertiaModule(columns: number, pages: number, withSums: boolean, shared = false): Uint8Array {
  const [X, C, A, OUT, FROM, TO, S, I, XB, CB, SB, SUM, TOTAL, T, XV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const unrolled: number[] = [];
  for (let j = 0; j < columns; j++) {
    unrolled.push(...op.get(XB), ...op.f64Load(8 * j), ...op.tee(XV), ...op.get(CB), ...op.f64Load(8 * j), op.f64Sub, ...op.tee(T), ...op.get(T), op.f64Mul);
    unrolled.push(...op.get(SUM), op.f64Add, ...op.set(SUM)); // t·t + sum: IEEE addition commutes exactly
    if (withSums) unrolled.push(...op.get(SB), ...op.get(SB), ...op.f64Load(8 * j), ...op.get(XV), op.f64Add, ...op.f64StoreAt(8 * j));
  }
  const body = [
    ...op.get(FROM), ...op.set(I),
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(TO), op.i32GeS, op.brIf, 1,
    ...op.get(X), ...op.get(I), ...op.i32(columns * 8), op.i32Mul, op.i32Add, ...op.set(XB),
    ...op.get(A), ...op.get(I), ...op.i32(2), op.i32Shl, op.i32Add, ...op.i32Load, ...op.i32(columns * 8), op.i32Mul, ...op.tee(SB),
    ...op.get(C), op.i32Add, ...op.set(CB),
    ...op.get(SB), ...op.get(S), op.i32Add, ...op.set(SB),
    ...op.f64Zero, ...op.set(SUM),
    ...unrolled,
    ...op.get(OUT), ...op.get(I), ...op.i32(3), op.i32Shl, op.i32Add, ...op.get(SUM), ...op.f64StoreAt(0),
    ...op.get(TOTAL), ...op.get(SUM), op.f64Add, ...op.set(TOTAL),
    ...op.get(I), ...op.i32(1), op.i32Add, ...op.set(I),
    op.br, 0,
    op.end, op.end,
    ...op.get(TOTAL), op.end,
  ]; // prettier-ignore
  const code = [...vector([[...uleb(4), I32], [...uleb(4), F64]]), ...body]; // prettier-ignore
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [I32], [I32], [I32]]), ...vector([[F64]])]])),
    ...section(2, vector([[...name('e'), ...name('m'), 0x02, ...(shared ? [0x03, ...uleb(pages), ...uleb(pages)] : [0x00, ...uleb(pages)])]])),
    ...section(3, vector([[0]])),
    ...section(7, vector([[...name('inertia'), 0x00, 0]])),
    ...section(10, vector([[...uleb(code.length), ...code]])),
  ]);
}

function cpuMs(work: () => void): number {
  let best = Infinity;
  for (let run = 0; run < 9; run++) {
    const started = process.cpuUsage();
    work();
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return Math.round(best * 100) / 100;
}

interface ThreadJob {
  readonly memory: WasmMemory;
  readonly columns: number;
  readonly pages: number;
  readonly at: readonly number[];
  readonly from: number;
  readonly to: number;
}

/** The fused WebAssembly pass over rows [from, to) of the shared memory, into its own sums: best wall ms of 15 (in a worker). */
function threadPass(job: ThreadJob): number {
  const { memory, columns, pages, at, from, to } = job;
  const pass = new wasmApi.Instance(new wasmApi.Module(inertiaModule(columns, pages, true, true)), { e: { m: memory } }).exports.inertia as (
    ...args: number[]
  ) => number;
  let best = Infinity;
  for (let run = 0; run < 15; run++) {
    const started = performance.now();
    pass(at[0]!, at[1]!, at[2]!, at[3]!, from, to, at[4]!);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** The fused pass split between `threads` workers, each its own rows and sums (how the memory bandwidth scales; not the engine's split): the slowest worker's ms. */
async function threadedPass(threads: number, job: Omit<ThreadJob, 'from' | 'to'>, rows: number, sumsBytes: number): Promise<number> {
  const times = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const at = [...job.at.slice(0, 4), job.at[4]! + t * sumsBytes];
      const data: ThreadJob = { ...job, at, from: Math.floor((rows * t) / threads), to: Math.floor((rows * (t + 1)) / threads) };
      const worker = new Worker(__filename, { workerData: data });
      return new Promise<number>((resolve, reject) => {
        worker.once('message', (ms: number) => resolve(ms));
        worker.once('error', reject);
      }).finally(() => void worker.terminate());
    }),
  );
  return Math.round(Math.max(...times) * 100) / 100;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '1000000' }, columns: { type: 'string', default: '10' }, k: { type: 'string', default: '10' } },
  });
  const [n, d, k] = [values.rows, values.columns, values.k].map(Number) as [number, number, number];
  const xAt = 0;
  const cAt = n * d * 8;
  const aAt = cAt + k * d * 8;
  const outAt = aAt + n * 4;
  const sumsAt = outAt + n * 8;
  const pages = Math.ceil((sumsAt + 2 * k * d * 8) / 65_536);
  const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
  const x = new Float64Array(memory.buffer, xAt, n * d);
  x.set(blobValues(n, d, k, 2, 42));
  const centroids = new Float64Array(memory.buffer, cAt, k * d);
  for (let c = 0; c < k; c++) centroids.set(x.subarray(c * 997 * d, (c * 997 + 1) * d), c * d);
  const assignments = new Int32Array(memory.buffer, aAt, n);
  for (let i = 0; i < n; i++) assignments[i] = (i * 7_919) % k;
  const out = new Float64Array(memory.buffer, outAt, n);
  const squared = new Float64Array(n);
  const wasmSums = new Float64Array(memory.buffer, sumsAt, k * d);
  const jsSums = new Float64Array(k * d);

  let jsTotal = 0;
  const js = () => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const xb = i * d;
      const cb = assignments[i]! * d;
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const t = x[xb + j]! - centroids[cb + j]!;
        sum += t * t;
      }
      squared[i] = sum;
      total += sum;
      if (withSums) for (let j = 0; j < d; j++) jsSums[cb + j]! += x[xb + j]!;
    }
    jsTotal = total;
  };
  let withSums = false;
  let source = `let total = 0; for (let i = 0; i < n; i++) { const xb = i * ${d}; const cb = a[i] * ${d}; let s = 0; let t;`;
  for (let j = 0; j < d; j++) source += ` t = x[xb + ${j}] - c[cb + ${j}]; s += t * t;`;
  source += ' out[i] = s; total += s; } return total;';
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the probe measures exactly this: code specialised for the column count
  const specialised = new Function('x', 'c', 'a', 'out', 'n', source) as (...args: unknown[]) => number;
  const scratch = new Float64Array(n);
  const instantiate = (sums: boolean) =>
    new wasmApi.Instance(new wasmApi.Module(inertiaModule(d, pages, sums, true)), { e: { m: memory } }).exports.inertia as (...args: number[]) => number;
  const wasm = instantiate(false);
  const wasmWithSums = instantiate(true);
  let wasmTotal = 0;
  const same = () => jsTotal === wasmTotal && squared.every((value, i) => value === out[i]);

  // Each variant runs once more after its timings (one run each, from zero sums) for the bit comparison.
  const jsMs = cpuMs(js);
  js();
  const jsSpecialisedMs = cpuMs(() => specialised(x, centroids, assignments, scratch, n));
  const wasmMs = cpuMs(() => (wasmTotal = wasm(xAt, cAt, aAt, outAt, 0, n, 0)));
  const identical = same() && squared.every((value, i) => value === scratch[i]);
  withSums = true;
  const jsWithSumsMs = cpuMs(js);
  const wasmWithSumsMs = cpuMs(() => (wasmTotal = wasmWithSums(xAt, cAt, aAt, outAt, 0, n, sumsAt)));
  jsSums.fill(0);
  wasmSums.fill(0);
  js();
  wasmTotal = wasmWithSums(xAt, cAt, aAt, outAt, 0, n, sumsAt);
  const identicalWithSums = same() && jsSums.every((value, i) => value === wasmSums[i]);
  const job = { memory, columns: d, pages, at: [xAt, cAt, aAt, outAt, sumsAt] };
  const wasmWithSumsOneWorkerMs = await threadedPass(1, job, n, k * d * 8);
  const wasmWithSumsTwoWorkersMs = await threadedPass(2, job, n, k * d * 8);
  const result = {
    rows: n,
    columns: d,
    jsMs,
    jsSpecialisedMs,
    wasmMs,
    identical,
    jsWithSumsMs,
    wasmWithSumsMs,
    identicalWithSums,
    wasmWithSumsOneWorkerMs,
    wasmWithSumsTwoWorkersMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (!isMainThread) parentPort!.postMessage(threadPass(workerData as ThreadJob));
else if (require.main === module) void main();
