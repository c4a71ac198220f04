import { SeededRandom } from '../../src/shared/seeded-random';

/** Values that break naive escaping and number printing, shared by the UPSERT unit and integration tests. */

// Every text the escaping must keep as it is, each at a key and at a value.
export const AWKWARD_TEXTS: readonly string[] = [
  'plain',
  'with "double" quotes',
  "with 'single' quotes",
  'back\\slash and \\" both',
  'trailing backslash \\',
  'a,b,c',
  '{braces}',
  '}{',
  'NULL',
  'null',
  '',
  ' ',
  '  leading and trailing  ',
  'tab\there\nnewline\r\n',
  '한국어 텍스트, "인용" {중괄호}',
  '😀 astral plane',
  '[1,2]',
  '$[0]',
  '?',
];

/** A finite double of random bits, drawn from `random` (NaN and ±Infinity drawn again, −0 given as 0). */
export function randomBitDouble(random: SeededRandom): number {
  const bits = new DataView(new ArrayBuffer(8));
  for (;;) {
    bits.setUint32(0, random.integer(2 ** 32));
    bits.setUint32(4, random.integer(2 ** 32));
    const value = bits.getFloat64(0);
    if (Number.isFinite(value)) return Object.is(value, -0) ? 0 : value;
  }
}

/** Doubles over the whole range, bit patterns drawn at random, plus the ones that break naive printing. */
export function awkwardDoubles(count: number, seed = 6): number[] {
  const random = new SeededRandom(seed);
  const bits = new Uint32Array(2);
  const view = new Float64Array(bits.buffer);
  const values = [
    0.1,
    0.2 + 0.1,
    1 / 3,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    2.225073858507201e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    1e21,
    1e-7,
    123456789012345680000,
    2 ** 53, // 9007199254740993 (2^53 + 1) written as a literal reads as this: past 2^53, not every integer is a double
    0.000001,
    1e-6 / 3,
    -0.5,
    12,
  ];
  while (values.length < count) {
    bits[0] = Math.floor(random.next() * 2 ** 32);
    bits[1] = Math.floor(random.next() * 2 ** 32);
    if (Number.isFinite(view[0]!)) values.push(view[0]!);
    values.push(random.next() * 12);
  }
  return values.slice(0, count);
}
