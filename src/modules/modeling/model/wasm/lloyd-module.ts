import { Access, assemble, Code, Op, Simd, ValueType } from './assembler';

// The rows pass of lloyd-kernel.ts (rowsPass, nearestTwo) and lloyd-passes.ts (the inertia in row
// order) as a WebAssembly module. It is a transcription: every distance is Σ_j (x_j − c_j)²
// with j ascending, every comparison is the JavaScript one (NaN fails a <, > or ==, as there), every
// sum is added in row order, and sqrt, +, −, × are IEEE-754 in both, so the bits are the same.
// Memory 0 ("lloyd" "job") holds a restart's arrays; memory 1 ("lloyd" "matrix") the rows.

export const JOB_MEMORY = 0;
export const MATRIX_MEMORY = 1;

/** Byte offsets of the job memory's header (i32 byte addresses and k, then the params), written by allocateLloydArrays. */
export const Header = {
  matrix: 0,
  k: 4,
  centroids: 8,
  half: 12,
  move: 16,
  previousChanged: 20,
  assignments0: 24,
  assignments1: 28,
  /** 0 when no upper bounds are stored. */
  upper: 32,
  lower: 36,
  squaredDistances: 40,
  /** The params array of lloyd-arrays.ts: 8 bytes a slot. */
  params: 64,
} as const;
export const HEADER_BYTES = 128;

/** Byte offsets in a thread's block: what one rows() call counted, and the tally's deltas (k i32) and changed flags (k u8). */
export const Block = { computed: 0, failedRow: 8, deltas: 16 } as const;

// Slots of params (lloyd-arrays.ts), repeated to keep this module free of imports from the engine.
const ASSIGN = 0;
const INERTIA = 1;
const SOURCE = 2;
const MAX_MOVE = 3;
const SECOND_MOVE = 4;
const MAX_MOVE_INDEX = 5;
const USE_BOUNDS = 6;
const ASSIGN_NONE = 0;
const ASSIGN_FIRST = 1;
const ASSIGN_BOUNDS = 3;

/** Up to this column count the column loops are unrolled (bench/RESULTS.md: specialising for d pays). */
export const UNROLL_COLUMNS = 32;

/** What a module is specialised for: the column count. */
export interface Shape {
  readonly columns: number;
  /** Unrolled column loops (rowsKernel: up to UNROLL_COLUMNS columns). */
  readonly unroll: boolean;
}

const { i32, f64 } = ValueType;

/**
 * The module for `shape`, with the bound constants of lloyd-kernel.ts. Exports: rows(from, to,
 * block, sums) (lloyd-kernel.ts' rowsPass; block: the thread's block; sums: 0, or the sums to add each
 * row to); addSquared(total, from, to) → total + Σ squared distances in row order.
 */
export function lloydModule(shape: Shape, constants: BoundConstants): Uint8Array {
  return assemble(
    [
      { module: 'lloyd', name: 'job' },
      { module: 'lloyd', name: 'matrix' },
    ],
    {
      rows: rowsFunction(shape, constants),
      addSquared: addSquaredFunction(),
    },
  );
}

/** Named locals of one type, declared in the order given. */
function locals<const Names extends readonly string[]>(code: Code, type: ValueType, names: Names): Record<Names[number], number> {
  return Object.fromEntries(names.map((name) => [name, code.local(type)])) as Record<Names[number], number>;
}

/** A load from the job memory of the address on the stack. */
const job = (code: Code, access: Access, offset = 0) => code.access(access, JOB_MEMORY, offset);
/** Pushes the byte address of row `index` of the matrix, or of centroid `index`: base + index × columns × 8. */
const rowAddress = (code: Code, columns: number, base: number, index: number) =>
  code
    .get(base)
    .get(index)
    .i32(columns * 8)
    .op(Op.i32Mul, Op.i32Add);
const matrix = (code: Code, access: Access, offset = 0) => code.access(access, MATRIX_MEMORY, offset);

/** for (local = start; local < end; local++) body — start and end pushed by the callbacks. */
function forRange(code: Code, local: number, start: () => void, end: () => void, body: () => void): void {
  start();
  code.set(local);
  code.block((exit) =>
    code.loop((next) => {
      code.get(local);
      end();
      code.op(Op.i32GeS).brIf(exit);
      body();
      code.get(local).i32(1).op(Op.i32Add).set(local).br(next);
    }),
  );
}

/**
 * sumLocals[c] = Σ_j (x_j − centroid_c,j)², j ascending, for the row at byte xb (matrix memory) and
 * the centroids at bytes cbLocals (job memory): several centroids side by side, each in its own order.
 */
function distances(
  code: Code,
  columns: number,
  unroll: boolean,
  xb: number,
  cbLocals: readonly number[],
  sumLocals: readonly number[],
  scratch: Scratch,
): void {
  for (const sum of sumLocals) code.f64(0).set(sum);
  const column = (offset: () => void, constant: number) => {
    code.get(xb);
    offset();
    matrix(code, Access.f64Load, constant).set(scratch.value);
    cbLocals.forEach((cb, n) => {
      code.get(scratch.value).get(cb);
      offset();
      job(code, Access.f64Load, constant).op(Op.f64Sub).tee(scratch.t).get(scratch.t).op(Op.f64Mul);
      code.get(sumLocals[n]!).op(Op.f64Add).set(sumLocals[n]!); // t·t + sum: IEEE addition commutes exactly
    });
  };
  if (unroll) {
    for (let j = 0; j < columns; j++) column(() => undefined, 8 * j);
    return;
  }
  forRange(
    code,
    scratch.j,
    () => code.i32(0),
    () => code.i32(columns),
    () =>
      column(() => {
        code.get(scratch.j).i32(3).op(Op.i32Shl, Op.i32Add);
      }, 0),
  );
}

interface Scratch {
  readonly value: number;
  readonly t: number;
  readonly j: number;
}

/** sums[label][j] += x[row][j] for every column j (the row at byte xb, the label on the stack). */
function addColumns(code: Code, { columns, unroll }: Shape, xb: number, sums: number, p: number, q: number): void {
  code
    .i32(columns * 8)
    .op(Op.i32Mul)
    .get(sums)
    .op(Op.i32Add)
    .set(p);
  const add = (offset: number) => {
    code.get(p).get(p);
    job(code, Access.f64Load, offset);
    code.get(q);
    matrix(code, Access.f64Load, offset).op(Op.f64Add);
    job(code, Access.f64Store, offset);
  };
  code.get(xb).set(q);
  if (unroll) {
    // Two columns at a time (f64x2: each lane is its column's own scalar add, so the bits are the same).
    let j = 0;
    for (; j + 1 < columns; j += 2) {
      code
        .get(p)
        .get(p)
        .access128(Simd.v128Load, JOB_MEMORY, 8 * j);
      code.get(q).access128(Simd.v128Load, MATRIX_MEMORY, 8 * j);
      code.simd(Simd.f64x2Add).access128(Simd.v128Store, JOB_MEMORY, 8 * j);
    }
    for (; j < columns; j++) add(8 * j);
    return;
  }
  // p walks the sums, q the row, until q = xb + columns·8.
  code.block((done) =>
    code.loop((next) => {
      code
        .get(q)
        .get(xb)
        .i32(8 * columns)
        .op(Op.i32Add, Op.i32GeU)
        .brIf(done); // (unsigned: byte addresses reach 4 GiB)
      add(0);
      code.get(p).i32(8).op(Op.i32Add).set(p);
      code.get(q).i32(8).op(Op.i32Add).set(q).br(next);
    }),
  );
}

/** lloyd-kernel.ts' PAD and MIN_SKIP, and 1 ± boundMargin(columns). */
export interface BoundConstants {
  readonly pad: number;
  readonly minSkip: number;
  readonly up: number;
  readonly down: number;
}

function rowsFunction(shape: Shape, { pad, minSkip, up: upValue, down: downValue }: BoundConstants): Code {
  const { columns, unroll } = shape;
  const code = new Code([i32, i32, i32, i32], []);
  const [from, to, block, sums] = [0, 1, 2, 3];
  const { x, k, centroids, half, move, previousChanged, source, target, upper, lower, squared } = locals(code, i32, [
    'x', 'k', 'centroids', 'half', 'move', 'previousChanged', 'source', 'target', 'upper', 'lower', 'squared',
  ]); // prettier-ignore
  const { assign, inertia, useBounds, maxMoveIndex, deltas, changed } = locals(code, i32, [
    'assign',
    'inertia',
    'useBounds',
    'maxMoveIndex',
    'deltas',
    'changed',
  ]);
  const { i, a, best, c, xb, cb, scan, p, q } = locals(code, i32, ['i', 'a', 'best', 'c', 'xb', 'cb', 'scan', 'p', 'q']);
  const { up, down, maxMove, secondMove, computed, squaredDistance, u, l, m, sa, bestDistance, secondDistance } = locals(code, f64, [
    'up', 'down', 'maxMove', 'secondMove', 'computed', 'squaredDistance', 'u', 'l', 'm', 'sa', 'bestDistance', 'secondDistance',
  ]); // prettier-ignore
  const cbs = [code.local(i32), code.local(i32), code.local(i32), code.local(i32)] as const;
  const sums4 = [code.local(f64), code.local(f64), code.local(f64), code.local(f64)] as const;
  const scratch: Scratch = { value: code.local(f64), t: code.local(f64), j: code.local(i32) };
  const headerI32 = (field: number, into: number) => code.i32(field).access(Access.i32Load, JOB_MEMORY).set(into);
  const param = (slot: number) => code.i32(Header.params + 8 * slot).access(Access.f64Load, JOB_MEMORY);
  const address = (base: number, index: number, shift: number) => code.get(base).get(index).i32(shift).op(Op.i32Shl, Op.i32Add);
  /** counts[c] += by (deltas of this thread's block). */
  const addDelta = (cluster: number, by: number) => {
    address(deltas, cluster, 2).get(deltas).get(cluster).i32(2).op(Op.i32Shl, Op.i32Add);
    job(code, Access.i32Load).i32(by).op(Op.i32Add);
    job(code, Access.i32Store);
  };
  const markChanged = (cluster: number) => {
    code.get(changed).get(cluster).op(Op.i32Add).i32(1);
    job(code, Access.i32Store8);
  };
  /** The tight bounds after a scan, as rowsPass: u = √best·(1 + η) + PAD, l = max(√second·(1 − η) − PAD, 0). */
  const boundsFromScan = () => {
    code.get(bestDistance).op(Op.f64Sqrt).get(up).op(Op.f64Mul).f64(pad).op(Op.f64Add).set(u);
    code.get(secondDistance).op(Op.f64Sqrt).get(down).op(Op.f64Mul).f64(pad).op(Op.f64Sub).set(l);
    code
      .get(l)
      .f64(0)
      .op(Op.f64Gt, Op.i32Eqz)
      .if(() => code.f64(0).set(l));
  };
  /** m > MIN_SKIP && u·(1 + η) < m·(1 − η): the row keeps its cluster without a scan. */
  const boundsHold = () => {
    code.get(m).f64(minSkip).op(Op.f64Gt);
    code.get(u).get(up).op(Op.f64Mul).get(m).get(down).op(Op.f64Mul).op(Op.f64Lt, Op.i32And);
  };
  /** nearestTwo: best, bestDistance, secondDistance (strict <, from Number.MAX_VALUE, in index order). */
  const nearestTwo = () => {
    code.i32(-1).set(best).f64(Number.MAX_VALUE).set(bestDistance).f64(Infinity).set(secondDistance);
    const compare = (sum: number, offset: number) => {
      code.get(sum).get(bestDistance).op(Op.f64Lt);
      code.if(
        () => {
          code.get(bestDistance).set(secondDistance).get(sum).set(bestDistance).get(c).i32(offset).op(Op.i32Add).set(best);
        },
        () => {
          code
            .get(sum)
            .get(secondDistance)
            .op(Op.f64Lt)
            .if(() => code.get(sum).set(secondDistance));
        },
      );
    };
    // Four centroids side by side, then one at a time.
    code.i32(0).set(c);
    code.block((exit) =>
      code.loop((next) => {
        code.get(c).i32(4).op(Op.i32Add).get(k).op(Op.i32GtS).brIf(exit);
        rowAddress(code, columns, centroids, c).set(cbs[0]);
        for (let n = 1; n < 4; n++)
          code
            .get(cbs[n - 1]!)
            .i32(columns * 8)
            .op(Op.i32Add)
            .set(cbs[n]!);
        distances(code, columns, unroll, xb, cbs, sums4, scratch);
        sums4.forEach((sum, n) => compare(sum, n));
        code.get(c).i32(4).op(Op.i32Add).set(c).br(next);
      }),
    );
    code.block((exit) =>
      code.loop((next) => {
        code.get(c).get(k).op(Op.i32GeS).brIf(exit);
        rowAddress(code, columns, centroids, c).set(cbs[0]);
        distances(code, columns, unroll, xb, [cbs[0]], [sums4[0]], scratch);
        compare(sums4[0], 0);
        code.get(c).i32(1).op(Op.i32Add).set(c).br(next);
      }),
    );
    // ml-kmeans would return cluster −1 here: the caller raises rowsPass' RangeError for this row.
    code.get(best).i32(0).op(Op.i32LtS);
    code.if(() => {
      code.get(block).get(i);
      job(code, Access.i32Store, Block.failedRow);
      code.f64(0).op(Op.return);
    });
  };

  // The header and the params of the pass.
  for (const [field, into] of [
    [Header.matrix, x],
    [Header.k, k],
    [Header.centroids, centroids],
    [Header.half, half],
    [Header.move, move],
    [Header.previousChanged, previousChanged],
    [Header.upper, upper],
    [Header.lower, lower],
    [Header.squaredDistances, squared],
  ] as const)
    headerI32(field, into);
  code.f64(upValue).set(up).f64(downValue).set(down);
  param(ASSIGN).op(Op.i32TruncF64S).set(assign);
  param(INERTIA).f64(1).op(Op.f64Eq).set(inertia);
  param(USE_BOUNDS).f64(1).op(Op.f64Eq).set(useBounds);
  param(MAX_MOVE).set(maxMove);
  param(SECOND_MOVE).set(secondMove);
  param(MAX_MOVE_INDEX).op(Op.i32TruncF64S).set(maxMoveIndex);
  // source = assignments[params[SOURCE]], target = the other one.
  param(SOURCE).f64(0).op(Op.f64Eq);
  code.if(
    () => {
      headerI32(Header.assignments0, source);
      headerI32(Header.assignments1, target);
    },
    () => {
      headerI32(Header.assignments1, source);
      headerI32(Header.assignments0, target);
    },
  );
  code.get(block).i32(Block.deltas).op(Op.i32Add).set(deltas);
  code.get(deltas).get(k).i32(2).op(Op.i32Shl, Op.i32Add).set(changed);
  code.f64(0).set(computed);

  forRange(
    code,
    i,
    () => code.get(from),
    () => code.get(to),
    () =>
      code.block((rowDone) => {
        address(source, i, 2);
        job(code, Access.i32Load).set(a);
        rowAddress(code, columns, x, i).set(xb);
        // The inertia: a cluster no row entered or left keeps its rows' squared distances.
        code.get(inertia).if(() => {
          code.get(previousChanged).get(a).op(Op.i32Add);
          job(code, Access.i32Load8U);
          code.if(
            () => {
              rowAddress(code, columns, centroids, a).set(cb);
              distances(code, columns, unroll, xb, [cb], [squaredDistance], scratch);
              address(squared, i, 3).get(squaredDistance);
              job(code, Access.f64Store);
            },
            () => {
              address(squared, i, 3);
              job(code, Access.f64Load).set(squaredDistance);
            },
          );
        });
        code.get(assign).i32(ASSIGN_NONE).op(Op.i32Eq).brIf(rowDone);

        code.i32(1).set(scan);
        code.get(assign).i32(ASSIGN_BOUNDS).op(Op.i32Eq);
        code.if(() => {
          // Hamerly's test first, one distance to tighten u next (without the inertia), a full scan last.
          code.get(inertia);
          code.if(
            () => code.get(squaredDistance).op(Op.f64Sqrt).get(up).op(Op.f64Mul).f64(pad).op(Op.f64Add).set(u),
            () => {
              address(upper, i, 3);
              job(code, Access.f64Load);
              address(move, a, 3);
              job(code, Access.f64Load).op(Op.f64Add).get(up).op(Op.f64Mul).set(u);
            },
          );
          address(lower, i, 3);
          job(code, Access.f64Load);
          code.get(secondMove).get(maxMove).get(a).get(maxMoveIndex).op(Op.i32Eq, Op.select);
          code.op(Op.f64Sub).get(down).op(Op.f64Mul).set(l);
          code
            .get(l)
            .f64(0)
            .op(Op.f64Gt, Op.i32Eqz)
            .if(() => code.f64(0).set(l));
          address(half, a, 3);
          job(code, Access.f64Load).set(sa);
          code.get(sa).get(l).get(sa).get(l).op(Op.f64Gt, Op.select).set(m);
          boundsHold();
          code.op(Op.i32Eqz).set(scan);
          code.get(scan).get(inertia).op(Op.i32Eqz, Op.i32And);
          code.if(() => {
            rowAddress(code, columns, centroids, a).set(cb);
            distances(code, columns, unroll, xb, [cb], [squaredDistance], scratch);
            code.get(computed).f64(1).op(Op.f64Add).set(computed);
            code.get(squaredDistance).op(Op.f64Sqrt).get(up).op(Op.f64Mul).f64(pad).op(Op.f64Add).set(u);
            boundsHold();
            code.op(Op.i32Eqz).set(scan);
          });
        });

        code.get(a).set(best);
        code.get(scan);
        code.if(() => {
          nearestTwo();
          code.get(assign).i32(ASSIGN_BOUNDS).op(Op.i32Eq);
          code.if(() => code.get(computed).get(k).op(Op.f64ConvertI32S, Op.f64Add).set(computed));
          code.get(assign).i32(ASSIGN_FIRST).op(Op.i32Eq);
          code.if(
            () => addDelta(best, 1),
            () => {
              code.get(best).get(a).op(Op.i32Ne);
              code.if(() => {
                addDelta(a, -1);
                addDelta(best, 1);
                markChanged(a);
                markChanged(best);
              });
            },
          );
          boundsFromScan();
        });
        address(target, i, 2).get(best);
        job(code, Access.i32Store);
        code.get(sums);
        code.if(() => {
          code.get(best);
          addColumns(code, shape, xb, sums, p, q);
        });
        code.get(useBounds).if(() => {
          code.get(upper).if(() => {
            // (the upper bounds are stored only without the inertia: rowsPass' storeUpper)
            code.get(inertia).op(Op.i32Eqz);
            code.if(() => {
              address(upper, i, 3).get(u);
              job(code, Access.f64Store);
            });
          });
          address(lower, i, 3).get(l);
          job(code, Access.f64Store);
        });
      }),
  );
  // rowsPass' tally.computed: every row scanned for a first or full assignment, the counted distances otherwise.
  code.get(block);
  code.get(assign).i32(ASSIGN_FIRST).op(Op.i32Eq).get(assign).i32(2).op(Op.i32Eq, Op.i32Or);
  code.if(() => code.get(to).get(from).op(Op.i32Sub, Op.f64ConvertI32S).get(k).op(Op.f64ConvertI32S, Op.f64Mul).set(computed));
  code.get(computed);
  job(code, Access.f64Store, Block.computed);
  return code;
}

/** total + squaredDistances[from] + … + squaredDistances[to − 1], added in that order. */
function addSquaredFunction(): Code {
  const code = new Code([f64, i32, i32], [f64]);
  const [total, from, to] = [0, 1, 2];
  const [squared, i] = [code.local(i32), code.local(i32)];
  code.i32(Header.squaredDistances).access(Access.i32Load, JOB_MEMORY).set(squared);
  forRange(
    code,
    i,
    () => code.get(from),
    () => code.get(to),
    () => {
      code.get(total).get(squared).get(i).i32(3).op(Op.i32Shl, Op.i32Add);
      job(code, Access.f64Load).op(Op.f64Add).set(total);
    },
  );
  code.get(total);
  return code;
}
