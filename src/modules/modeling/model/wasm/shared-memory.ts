// Shared WebAssembly memories: the run's matrix is allocated in one, so that the WebAssembly kernel
// of every thread reads it where it is. tsconfig's lib has no WebAssembly declarations: the part used
// here is declared below.

export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  /** Grows by `pages` pages of 64 KiB, in place (a shared memory never moves); the old size in pages. */
  grow(pages: number): number;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, WasmMemory>>) => WasmInstance;
}

export const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

export const WASM_PAGE_BYTES = 65_536;
const PAGE = WASM_PAGE_BYTES;
/** A 32-bit memory holds at most 65,536 pages (4 GiB). */
export const MAX_WASM_MEMORY_BYTES = 65_536 * PAGE;
const MAX_BYTES = MAX_WASM_MEMORY_BYTES;

/** The memory each buffer sharedBuffer() made belongs to (a worker receives the Memory itself, not this map). */
const memories = new WeakMap<SharedArrayBuffer, WasmMemory>();

let sharedMemorySupported: boolean | undefined;
function canShareMemory(): boolean {
  if (sharedMemorySupported === undefined) {
    try {
      sharedMemorySupported = wasm !== undefined && new wasm.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      sharedMemorySupported = false;
    }
  }
  return sharedMemorySupported;
}

/**
 * A zeroed SharedArrayBuffer of at least `bytes` bytes: the buffer of a shared WebAssembly memory
 * when the runtime has them and it fits in 4 GiB, a plain SharedArrayBuffer otherwise.
 */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  if (bytes > 0 && bytes <= MAX_BYTES && canShareMemory()) {
    const pages = Math.ceil(bytes / PAGE);
    const memory = new wasm!.Memory({ initial: pages, maximum: pages, shared: true });
    memories.set(memory.buffer, memory);
    return memory.buffer;
  }
  return new SharedArrayBuffer(bytes);
}

/**
 * A shared WebAssembly memory of at least `bytes` bytes that can grow in place up to 4 GiB (address space
 * is reserved, pages committed as it grows), or undefined where the runtime has none or refuses the
 * reservation. Its buffer is registered (memoryOf) in this thread.
 */
export function growableSharedMemory(bytes: number): WasmMemory | undefined {
  if (bytes > MAX_BYTES || !canShareMemory()) return undefined;
  try {
    const memory = new wasm!.Memory({ initial: Math.ceil(bytes / PAGE), maximum: MAX_BYTES / PAGE, shared: true });
    adoptMemory(memory);
    return memory;
  } catch {
    return undefined; // address space refused (ulimit -v)
  }
}

/**
 * The memory's buffer as it is now, registered in this thread so that memoryOf finds the memory from it:
 * how a thread that was handed a Memory (not a buffer sharedBuffer() made here) reads it in place.
 */
export function adoptMemory(memory: WasmMemory): SharedArrayBuffer {
  const buffer = memory.buffer;
  memories.set(buffer, memory);
  return buffer;
}

/** The WebAssembly memory of a buffer sharedBuffer() made in this thread, if it is one. */
export function memoryOf(buffer: ArrayBufferLike): WasmMemory | undefined {
  return buffer instanceof SharedArrayBuffer ? memories.get(buffer) : undefined;
}
