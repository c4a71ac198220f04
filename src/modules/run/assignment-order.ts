import { compareKeys, type AssignmentColumns } from './assignment-chunk-codec';

/** The row indexes of `keys` in key order (compareKeys). */
export function keyOrder(keys: readonly string[]): Uint32Array {
  const order = new Uint32Array(keys.length);
  for (let index = 0; index < order.length; index++) order[index] = index;
  // Below U+D800 code units are code points, so `<` (faster than compareKeys) gives the same order.
  const plain = keys.every((key) => !/[\ud800-\uffff]/.test(key));
  return plain ? order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0)) : order.sort((a, b) => compareKeys(keys[a]!, keys[b]!));
}

// The keys integerKeyOrder sorts: integers of at most 10 digits. POWERS_OF_TEN[d] = 10^d.
const MAX_DIGITS = 10;
const POWERS_OF_TEN = Array.from({ length: MAX_DIGITS + 1 }, (_, digits) => 10 ** digits);
const RADIX_BITS = 13;
// rankOfInteger's ranks are below 2^39: three passes of 13 bits.
const RADIX_PASSES = 3;

/**
 * The indexes 0…count-1 in the key order (compareKeys) of String(key(index)), where every key is an
 * integer of at most 10 digits; null where one is not (the caller sorts the texts). The texts are not
 * made: each key's rank (rankOfInteger) is sorted by radix (bench/RESULTS.md has the times).
 */
export function integerKeyOrder(count: number, key: (index: number) => number | null): Uint32Array | null {
  const ranks = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const value = key(index);
    if (value === null || !Number.isInteger(value) || Math.abs(value) >= POWERS_OF_TEN[MAX_DIGITS]!) return null;
    ranks[index] = rankOfInteger(value);
  }
  let order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  let next = new Uint32Array(count);
  const starts = new Uint32Array(1 << RADIX_BITS);
  const mask = (1 << RADIX_BITS) - 1;
  // Least significant digit first; each pass is stable, so ties keep the order of the pass before.
  for (let pass = 0; pass < RADIX_PASSES; pass++) {
    const scale = 2 ** (RADIX_BITS * pass);
    starts.fill(0);
    for (let index = 0; index < count; index++) starts[Math.floor(ranks[index]! / scale) & mask]! += 1;
    let start = 0;
    for (let digit = 0; digit < starts.length; digit++) {
      const size = starts[digit]!;
      starts[digit] = start;
      start += size;
    }
    for (let at = 0; at < count; at++) {
      const index = order[at]!;
      next[starts[Math.floor(ranks[index]! / scale) & mask]!++] = index;
    }
    [order, next] = [next, order];
  }
  return order;
}

/**
 * A number below 2^39 whose order is the key order of String(value), for an integer of at most 10
 * digits. "-" sorts before every digit, so negative keys come first; within each sign the digits
 * compare as text: padded on the right to 10 digits ("12" → 1200000000, before "13", after "119"),
 * and of two equal once padded ("1", "10") the shorter first. -0 is "0".
 */
export function rankOfInteger(value: number): number {
  const magnitude = Math.abs(value);
  let digits = 1;
  while (digits < MAX_DIGITS && magnitude >= POWERS_OF_TEN[digits]!) digits++;
  return (value < 0 ? 0 : 2 ** 38) + magnitude * POWERS_OF_TEN[MAX_DIGITS - digits]! * 16 + digits;
}

/** Whether the keys are in strictly ascending key order. */
export function inKeyOrder(keys: readonly string[]): boolean {
  for (let index = 1; index < keys.length; index++) if (compareKeys(keys[index - 1]!, keys[index]!) >= 0) return false;
  return true;
}

/** The rows `order` names, in that order. */
export function pickRows(columns: AssignmentColumns, order: ArrayLike<number>, start = 0, end = order.length): AssignmentColumns {
  const rows = end - start;
  const keys = new Array<string>(rows);
  const clusters = new Int32Array(rows);
  const distances = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const from = order[start + row]!;
    keys[row] = columns.keys[from]!;
    clusters[row] = columns.clusters[from]!;
    distances[row] = columns.distances[from]!;
  }
  return { keys, clusters, distances };
}
