import { availableParallelism } from 'node:os';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { webAssemblyKernelAvailable } from './lloyd-rows-kernel';
import { createMatrix, sharedFloat64Array, type Matrix } from './matrix';
import { MAX_WASM_MEMORY_BYTES, memoryOf } from './wasm/shared-memory';

// The helper threads of the Lloyd engine (lloyd.ts): threads − 1 workers spawned once per job and
// reused by every restart and iteration; the calling thread is thread 0 and works too. Each pass is
// a barrier on shared memory (Atomics), so the engine stays synchronous and never needs the event
// loop. Nobody waits for a helper to boot (30–100 ms, longer than many jobs): each pass is shared with
// the helpers ready by then, which the split makes safe (lloyd-passes.ts).

/** Default thread count of the Lloyd engine: min(2, cores). More would oversubscribe the machine when several runs compute at once (RUN_CONCURRENCY). */
export const DEFAULT_KMEANS_THREADS = Math.max(1, Math.min(2, availableParallelism()));
/**
 * Below this many rows no helper is started: a helper boots in 30–200 ms, and bench/cluster.ts at 20k
 * and 50k rows (5–10 ms on one thread) ran 4–19 ms longer with one.
 */
export const MIN_ROWS_FOR_THREADS = 100_000;

export const MAX_KMEANS_THREADS = 16;

// Control words (Int32Array over a SharedArrayBuffer).
const GENERATION = 0;
const PHASE = 1;
const DONE = 2;
const FAILED = 3;
// Then per helper index h (1..threads − 1), each written once: READY_AT + h, 1 once the helper has
// booted; JOINED_AT + h, the first generation it takes part in (it then takes part in every later
// one); SLOT_AT + h, its slot in the split (1, 2, … in the order the helpers joined).
const READY_AT = 4;
const JOINED_AT = READY_AT + MAX_KMEANS_THREADS;
const SLOT_AT = JOINED_AT + MAX_KMEANS_THREADS;
const CONTROL_WORDS = SLOT_AT + MAX_KMEANS_THREADS;

/** What a helper does when GENERATION changes. */
export const Phase = { Rows: 2, Exit: 4 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** About 10–50 µs of polling before blocking: a pass over 100k rows lasts about a millisecond, a futex wake-up tens of microseconds. */
const SPINS = 2_000;

/** Blocks until control[index] === expected (spinning briefly first; Atomics.wait is allowed on Node's main thread too). */
function waitFor(control: Int32Array, index: number, expected: number): void {
  for (let spin = 0; spin < SPINS; spin++) if (Atomics.load(control, index) === expected) return;
  for (;;) {
    const value = Atomics.load(control, index);
    if (value === expected) return;
    Atomics.wait(control, index, value);
  }
}

/** Blocks until control[index] !== seen; returns the new value. */
export function waitForChange(control: Int32Array, index: number, seen: number): number {
  for (let spin = 0; spin < SPINS; spin++) {
    const value = Atomics.load(control, index);
    if (value !== seen) return value;
  }
  for (;;) {
    const value = Atomics.load(control, index);
    if (value !== seen) return value;
    Atomics.wait(control, index, seen);
  }
}

/** What a helper thread receives as workerData. */
export interface HelperData {
  readonly control: Int32Array;
  readonly port: MessagePort;
  readonly index: number;
  readonly values: Float64Array;
  readonly rows: number;
  readonly columns: number;
}

export const CONTROL = { GENERATION, PHASE, DONE, FAILED, READY_AT, JOINED_AT, SLOT_AT } as const;

const HELPER_FILE = path.join(__dirname, '..', 'worker', 'lloyd-helper.worker.js');

export interface LloydThreadsOptions {
  /** Default MIN_ROWS_FOR_THREADS: below it, open() starts no helper. */
  readonly minRows?: number;
  /** Default false: passes start without waiting for the helpers to boot. true: open() blocks until they have, so every pass is shared. */
  readonly waitForHelpers?: boolean;
}

export class LloydThreads {
  /** The shared matrix every thread reads (the caller's, or its one shared copy). */
  readonly matrix: Matrix;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly helpers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private closed = false;
  private participants = 1;
  private readonly joined: boolean[] = [];
  private helpersAlive = 0;
  private passesShared = 0;

  private constructor(
    /** The matrix the pool was opened for: the engine checks it is given this one. */
    readonly source: Matrix,
    /** Threads in all, the calling one included (≥ 2). */
    readonly threads: number,
  ) {
    const { values, rows, columns } = source;
    // prepare() allocates the matrix where every thread reads it (a shared WebAssembly memory, or a
    // SharedArrayBuffer without WebAssembly or past a WebAssembly memory's 4 GiB, where a copy would be
    // no WebAssembly memory either); any other is copied there once for the job.
    const shared = values.buffer instanceof SharedArrayBuffer;
    const inPlace = memoryOf(values.buffer) !== undefined || (shared && (!webAssemblyKernelAvailable() || values.buffer.byteLength > MAX_WASM_MEMORY_BYTES));
    this.matrix = inPlace ? source : createMatrix(sharedCopy(values), rows, columns);
    try {
      for (let index = 1; index < threads; index++) {
        const channel = new MessageChannel();
        const data: HelperData = { control: this.control, port: channel.port2, index, values: this.matrix.values, rows, columns };
        const worker = new Worker(HELPER_FILE, { workerData: data, transferList: [channel.port2] });
        this.helpersAlive++;
        worker.once('exit', () => this.helpersAlive--);
        // The helper reports through shared memory; an 'error' event would only follow a bug in its loop.
        worker.on('error', () => undefined);
        worker.unref();
        this.helpers.push(worker);
        this.ports.push(channel.port1);
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The helper threads for a job over `matrix`, or undefined when one thread will do (threads ≤ 1, or fewer than minRows rows). The caller must close() it. */
  static open(matrix: Matrix, threads: number, { minRows = MIN_ROWS_FOR_THREADS, waitForHelpers = false }: LloydThreadsOptions = {}): LloydThreads | undefined {
    if (threads <= 1 || matrix.rows < minRows) return undefined;
    const pool = new LloydThreads(matrix, Math.min(threads, MAX_KMEANS_THREADS));
    if (waitForHelpers) pool.waitUntilReady();
    return pool;
  }

  /** Helpers spawned and not yet exited: 0 some time after close(). */
  get liveHelpers(): number {
    return this.helpersAlive;
  }

  /** Passes shared with at least one helper so far. */
  get sharedPasses(): number {
    return this.passesShared;
  }

  /** Hands every helper the arrays of a new restart (a message each; a helper reads the last one before its next pass). */
  setup(message: unknown): void {
    for (const port of this.ports) port.postMessage(message);
  }

  /**
   * Starts a pass: the helpers ready now get slots 1, 2, …; returns the number of threads of the
   * pass (thread 0 included). The caller splits the work by it, then calls run().
   */
  begin(): number {
    const { control } = this;
    const generation = Atomics.load(control, GENERATION) + 1; // the one run() will start
    for (let helper = 1; helper < this.threads && !this.closed; helper++) {
      if (this.joined[helper] || Atomics.load(control, READY_AT + helper) !== 1) continue;
      this.joined[helper] = true;
      Atomics.store(control, SLOT_AT + helper, this.participants++);
      Atomics.store(control, JOINED_AT + helper, generation);
    }
    return this.participants;
  }

  /** Blocks until every helper has booted, so that every later pass is shared. */
  waitUntilReady(): void {
    for (let helper = 1; helper < this.threads; helper++) waitFor(this.control, READY_AT + helper, 1);
  }

  /** The pass begun by begin(): every participating helper runs `phase` on its share while this thread runs `own`. */
  run(phase: Phase, own: () => void): void {
    if (this.closed) throw new Error('the k-means helper threads are closed');
    const { control } = this;
    const helpers = this.participants - 1;
    if (helpers === 0) return own();
    this.passesShared++;
    Atomics.store(control, DONE, 0);
    Atomics.store(control, PHASE, phase);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    let failure: { error: unknown } | undefined;
    try {
      own();
    } catch (error) {
      failure = { error };
    }
    waitFor(control, DONE, helpers); // even on our own error: the helpers must be idle before anything changes
    // A helper's failure is taken even when ours is the one raised, so that none outlives its pass.
    const report = this.takeFailure();
    if (failure) throw failure.error;
    if (report) throw report.name === 'RangeError' ? new RangeError(report.message) : new Error(`a k-means helper thread failed: ${report.message}`);
  }

  /** A failed helper's report of the last pass, if one failed; clears the flag and every queued report. */
  private takeFailure(): { name: string; message: string } | undefined {
    if (!Atomics.load(this.control, FAILED)) return undefined;
    Atomics.store(this.control, FAILED, 0);
    const reports = this.ports.map((port) => receiveMessageOnPort(port)?.message as { name: string; message: string } | undefined).filter((report) => report);
    return reports[0] ?? { name: 'Error', message: 'unknown failure' };
  }

  /** Ends the helper threads (idempotent). They exit on their own at the Exit phase; terminate() makes sure. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { control } = this;
    Atomics.store(control, PHASE, Phase.Exit);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
    for (const port of this.ports) port.close();
    for (const worker of this.helpers) void worker.terminate();
  }
}

function sharedCopy(values: Float64Array): Float64Array {
  const copy = sharedFloat64Array(values.length);
  copy.set(values);
  return copy;
}
