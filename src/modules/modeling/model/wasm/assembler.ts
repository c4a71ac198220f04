// A WebAssembly assembler for the few instructions the Lloyd kernel needs (lloyd-module.ts): the
// kernel is generated at runtime for the column count, so no tool, binary or dependency is involved.
// Encoding: the WebAssembly core specification, binary format (§5), with multi-memory's memarg.

export const ValueType = { i32: 0x7f, f64: 0x7c } as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** Opcodes without immediates (the ones with immediates have methods on Code). */
export const Op = {
  unreachable: 0x00,
  return: 0x0f,
  select: 0x1b,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  f64Eq: 0x61,
  f64Lt: 0x63,
  f64Gt: 0x64,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  i32TruncF64S: 0xaa,
  f64ConvertI32S: 0xb7,
} as const;

/** Memory access opcodes and their natural alignment (log2 bytes). */
export const Access = {
  i32Load: [0x28, 2],
  f64Load: [0x2b, 3],
  i32Load8U: [0x2d, 0],
  i32Store: [0x36, 2],
  f64Store: [0x39, 3],
  i32Store8: [0x3a, 0],
} as const satisfies Record<string, readonly [number, number]>;
export type Access = (typeof Access)[keyof typeof Access];

/** SIMD opcodes (after the prefix 0xfd). f64x2 lanes are IEEE-754 binary64 operations, each the scalar one. */
export const Simd = { v128Load: 0, v128Store: 11, f64x2Add: 240 } as const;
export type Simd = (typeof Simd)[keyof typeof Simd];

/** A memarg: alignment, then the memory index when not 0 (multi-memory: bit 6 of the alignment says one follows), then the offset. */
function memarg(align: number, memory: number, offset: number): number[] {
  return memory === 0 ? [...uleb(align), ...uleb(offset)] : [...uleb(align | 0x40), ...uleb(memory), ...uleb(offset)];
}

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && !(byte & 0x40)) || (value === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vector = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: readonly number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (text: string): number[] => vector([...new TextEncoder().encode(text)].map((byte) => [byte]));

/** A branch target: the block or loop it names (br to a loop jumps to its start, to a block past its end). */
export interface Label {
  readonly id: number;
}

/** One function's locals and instructions. Locals are numbered after the parameters, in the order local() declares them. */
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: ValueType[] = [];
  private readonly labels: Label[] = [];
  private nextLabel = 0;

  constructor(
    readonly params: readonly ValueType[],
    readonly results: readonly ValueType[],
  ) {}

  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  op(...opcodes: number[]): this {
    this.bytes.push(...opcodes);
    return this;
  }
  get(local: number): this {
    return this.op(0x20, ...uleb(local));
  }
  set(local: number): this {
    return this.op(0x21, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(0x22, ...uleb(local));
  }
  i32(value: number): this {
    return this.op(0x41, ...sleb(value));
  }
  f64(value: number): this {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return this.op(0x44, ...bytes);
  }
  /** A load or store at address (on the stack) + offset in memory `memory`. */
  /** A SIMD instruction without immediates (prefix 0xfd). */
  simd(opcode: Simd): this {
    return this.op(0xfd, ...uleb(opcode));
  }
  /** v128.load or v128.store at address (on the stack) + offset in memory `memory`. */
  access128(opcode: typeof Simd.v128Load | typeof Simd.v128Store, memory: number, offset = 0): this {
    return this.op(0xfd, ...uleb(opcode), ...memarg(4, memory, offset));
  }
  access([opcode, align]: Access, memory: number, offset = 0): this {
    return this.op(opcode, ...memarg(align, memory, offset));
  }

  block(body: (label: Label) => void): this {
    return this.structured(0x02, body);
  }
  loop(body: (label: Label) => void): this {
    return this.structured(0x03, body);
  }
  /** if (condition on the stack) { then } else { otherwise }. */
  if(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    const label = { id: this.nextLabel++ };
    this.labels.push(label);
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    this.labels.pop();
    return this.op(0x0b);
  }
  br(label: Label): this {
    return this.op(0x0c, ...uleb(this.depth(label)));
  }
  brIf(label: Label): this {
    return this.op(0x0d, ...uleb(this.depth(label)));
  }

  /** The function's body as the code section holds it: locals, then instructions and end. */
  encode(): number[] {
    const locals = vector(this.localTypes.map((type) => [1, type]));
    const body = [...locals, ...this.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  }

  private structured(opcode: number, body: (label: Label) => void): this {
    this.op(opcode, 0x40);
    const label = { id: this.nextLabel++ };
    this.labels.push(label);
    body(label);
    this.labels.pop();
    return this.op(0x0b);
  }

  private depth(label: Label): number {
    const index = this.labels.lastIndexOf(label);
    if (index < 0) throw new Error('branch to a label outside the enclosing blocks');
    return this.labels.length - 1 - index;
  }
}

export interface ImportedMemory {
  readonly module: string;
  readonly name: string;
}

/**
 * A module importing shared memories (each declared with the limits 0 … 65,536 pages, so any shared
 * memory fits) and exporting `functions`; memory index i is memories[i].
 */
export function assemble(memories: readonly ImportedMemory[], functions: Readonly<Record<string, Code>>): Uint8Array {
  const entries = Object.entries(functions);
  const types = entries.map(([, code]) => [0x60, ...vector(code.params.map((type) => [type])), ...vector(code.results.map((type) => [type]))]);
  const imports = memories.map((memory) => [...name(memory.module), ...name(memory.name), 0x02, 0x03, ...uleb(0), ...uleb(65_536)]);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(entries.map((_, index) => uleb(index)))),
    ...section(7, vector(entries.map(([exported], index) => [...name(exported), 0x00, ...uleb(index)]))),
    ...section(10, vector(entries.map(([, code]) => code.encode()))),
  ]);
}
