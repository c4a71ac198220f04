// Shared WebAssembly memories: the run's matrix is allocated in one, so that the WebAssembly kernel
// of every thread reads it where it is. tsconfig's lib has no WebAssembly declarations: the part used
// here is declared below.

export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
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

const PAGE = 65_536;
/** A 32-bit memory holds at most 65,536 pages (4 GiB). */
const MAX_BYTES = 65_536 * PAGE;

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

/** The WebAssembly memory of a buffer sharedBuffer() made in this thread, if it is one. */
export function memoryOf(buffer: ArrayBufferLike): WasmMemory | undefined {
  return buffer instanceof SharedArrayBuffer ? memories.get(buffer) : undefined;
}
