import { RowsTally, type SharedLloydArrays } from './lloyd-arrays';
import { boundMargin, MIN_SKIP, noNearestCentroid, PAD, rowsPass } from './lloyd-kernel';
import { Block, lloydModule, UNROLL_COLUMNS, type Shape } from './wasm/lloyd-module';
import { wasm } from './wasm/shared-memory';

// The primitives of a rows pass for one restart in one thread (lloyd-passes.ts splits the pass between
// threads with them): in WebAssembly (wasm/lloyd-module.ts) when the restart's arrays are in a
// WebAssembly memory, in JavaScript (lloyd-kernel.ts) otherwise. Both give the same bits.

export interface RowsKernel {
  /** A zeroed tally for this thread's share of a pass. */
  tally(thread: number): RowsTally;
  /** lloyd-kernel.ts' rowsPass over rows [from, to), adding each row to `sums` when given (in the restart's arrays: s.chunkSums). */
  rows(from: number, to: number, tally: RowsTally, sums: Float64Array | undefined): void;
  /** total + the squared distances of rows [from, to), added in row order. */
  addSquared(total: number, from: number, to: number): number;
}

export function javascriptKernel(x: Float64Array, columns: number, s: SharedLloydArrays): RowsKernel {
  const d = columns;
  return {
    tally: () => new RowsTally(s.k),
    rows: (from, to, tally, sums) => rowsPass(x, d, s, from, to, tally, sums),
    addSquared(total, from, to) {
      const squared = s.squaredDistances;
      for (let i = from; i < to; i++) total += squared[i]!;
      return total;
    },
  };
}

/** A tally whose deltas and changed flags are the thread's block in the job memory, where the module counts. */
class BlockTally extends RowsTally {
  constructor(
    k: number,
    buffer: SharedArrayBuffer,
    readonly block: number,
  ) {
    super(k, new Int32Array(buffer, block + Block.deltas, k), new Uint8Array(buffer, block + Block.deltas + 4 * k, k));
  }
}

/** Compiled modules of this thread, by shape (a few KB each; compiling one takes well under a millisecond). */
const modules = new Map<string, object>();

function compiled(shape: Shape): object {
  const key = JSON.stringify(shape);
  let module = modules.get(key);
  if (!module) {
    const eta = boundMargin(shape.columns);
    module = new wasm!.Module(lloydModule(shape, { pad: PAD, minSkip: MIN_SKIP, up: 1 + eta, down: 1 - eta }));
    modules.set(key, module);
  }
  return module;
}

interface LloydExports {
  rows(from: number, to: number, block: number, sums: number): void;
  addSquared(total: number, from: number, to: number): number;
}

let available: boolean | undefined;
/** Whether this runtime runs the module: WebAssembly with shared memories, SIMD and multi-memory (Node ≥ 22). */
export function webAssemblyKernelAvailable(): boolean {
  if (available === undefined) {
    try {
      compiled({ columns: 2, unroll: true }); // (with the SIMD the sums use)
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/**
 * The kernel of the restart whose arrays are `s`: WebAssembly when allocateLloydArrays put them in a
 * WebAssembly memory. `unroll`: default columns ≤ UNROLL_COLUMNS (the benchmark compares both).
 */
export function rowsKernel(x: Float64Array, columns: number, s: SharedLloydArrays, unroll = columns <= UNROLL_COLUMNS): RowsKernel {
  const layout = s.wasm;
  if (!layout) return javascriptKernel(x, columns, s);
  const memories = { lloyd: { job: layout.job, matrix: layout.matrix } };
  const exports = new wasm!.Instance(compiled({ columns, unroll }), memories).exports as unknown as LloydExports;
  const buffer = layout.job.buffer;
  const blockAt = (thread: number) => layout.blocks + thread * layout.blockBytes;
  const view = new DataView(buffer);
  return {
    tally(thread) {
      const block = blockAt(thread);
      new Uint8Array(buffer, block, layout.blockBytes).fill(0);
      view.setInt32(block + Block.failedRow, -1, true);
      return new BlockTally(s.k, buffer, block);
    },
    rows(from, to, tally, sums) {
      const block = (tally as BlockTally).block;
      exports.rows(from, to, block, sums ? sums.byteOffset : 0);
      const failedRow = view.getInt32(block + Block.failedRow, true);
      if (failedRow >= 0) throw noNearestCentroid(failedRow);
      tally.computed += view.getFloat64(block + Block.computed, true);
    },
    addSquared: (total, from, to) => exports.addSquared(total, from, to),
  };
}
