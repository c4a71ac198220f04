import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Access, assemble, Code, Op, sleb, uleb, ValueType } from '../../../../../../src/modules/modeling/model/wasm/assembler';
import { sharedBuffer, wasm, type WasmMemory } from '../../../../../../src/modules/modeling/model/wasm/shared-memory';

/** The assembler the Lloyd kernel is generated with: its encodings, and small modules run over two shared memories. */

function instantiate(bytes: Uint8Array, first: WasmMemory, second: WasmMemory) {
  return new wasm!.Instance(new wasm!.Module(bytes), { m: { a: first, b: second } }).exports;
}

function memory(bytes: number): WasmMemory {
  return new wasm!.Memory({ initial: Math.ceil(bytes / 65_536), maximum: Math.ceil(bytes / 65_536), shared: true });
}

describe('WebAssembly assembler (wasm/assembler.ts)', () => {
  it('encodes LEB128 as the specification examples: 624485 unsigned, −123456 signed, and the one-byte edges', () => {
    assert.deepStrictEqual(uleb(624_485), [0xe5, 0x8e, 0x26]);
    assert.deepStrictEqual(uleb(0), [0]);
    assert.deepStrictEqual(uleb(127), [0x7f]);
    assert.deepStrictEqual(uleb(128), [0x80, 0x01]);
    assert.deepStrictEqual(sleb(-123_456), [0xc0, 0xbb, 0x78]);
    assert.deepStrictEqual(sleb(63), [0x3f]);
    assert.deepStrictEqual(sleb(64), [0xc0, 0x00]);
    assert.deepStrictEqual(sleb(-64), [0x40]);
    assert.deepStrictEqual(sleb(-65), [0xbf, 0x7f]);
  });

  it('a loop summing f64s of memory 1 into memory 0 (multi-memory loads and stores, labels, locals) runs and gives the sequential sum', () => {
    const code = new Code([ValueType.i32, ValueType.i32], [ValueType.f64]);
    const [from, to] = [0, 1];
    const i = code.local(ValueType.i32);
    const total = code.local(ValueType.f64);
    code.get(from).set(i).f64(0).set(total);
    code.block((exit) =>
      code.loop((next) => {
        code.get(i).get(to).op(Op.i32GeS).brIf(exit);
        code.get(total).get(i).i32(3).op(Op.i32Shl).access(Access.f64Load, 1).op(Op.f64Add).set(total);
        code.get(i).i32(1).op(Op.i32Add).set(i).br(next);
      }),
    );
    code.i32(16).get(total).access(Access.f64Store, 0, 8); // memory 0, byte 24
    code.get(total);
    const bytes = assemble(
      [
        { module: 'm', name: 'a' },
        { module: 'm', name: 'b' },
      ],
      { sum: code },
    );
    const first = memory(64);
    const second = memory(8 * 1000);
    const values = new Float64Array(second.buffer, 0, 1000);
    for (let n = 0; n < values.length; n++) values[n] = 1 / (n + 1);
    let expected = 0;
    for (let n = 10; n < 900; n++) expected += values[n]!;
    const { sum } = instantiate(bytes, first, second) as { sum: (from: number, to: number) => number };
    assert.equal(sum(10, 900), expected);
    assert.equal(new Float64Array(first.buffer)[3], expected);
  });

  it('if / else and a branch out of nested blocks compute max(a, b) with NaN going to the else arm, as a JavaScript ?:', () => {
    const code = new Code([ValueType.f64, ValueType.f64], [ValueType.f64]);
    const out = code.local(ValueType.f64);
    code.block((done) => {
      code.get(0).get(1).op(Op.f64Gt);
      code.if(
        () => code.get(0).set(out).br(done),
        () => code.get(1).set(out),
      );
    });
    code.get(out);
    const { max } = instantiate(
      assemble(
        [
          { module: 'm', name: 'a' },
          { module: 'm', name: 'b' },
        ],
        { max: code },
      ),
      memory(1),
      memory(1),
    ) as {
      max: (a: number, b: number) => number;
    };
    for (const [a, b] of [
      [1, 2],
      [2, 1],
      [Number.NaN, 1],
      [1, Number.NaN],
      [-0, 0],
    ])
      assert.ok(Object.is(max(a!, b!), a! > b! ? a : b), `${a}, ${b}`);
  });

  it('a branch to a label outside the enclosing blocks is refused while assembling', () => {
    const code = new Code([], []);
    let outer: Parameters<Code['br']>[0] | undefined;
    code.block((label) => (outer = label));
    assert.throws(() => code.br(outer!), /outside the enclosing blocks/);
  });

  it('sharedBuffer gives the buffer of a shared WebAssembly memory, zeroed', () => {
    const buffer = sharedBuffer(100_000);
    assert.ok(buffer instanceof SharedArrayBuffer);
    assert.ok(buffer.byteLength >= 100_000);
    assert.ok(new Uint8Array(buffer).every((byte) => byte === 0));
  });
});
