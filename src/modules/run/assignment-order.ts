import { compareKeys, type AssignmentColumns } from './assignment-chunk-codec';

/** The row indexes of `keys` in key order (compareKeys). */
export function keyOrder(keys: readonly string[]): Uint32Array {
  const order = new Uint32Array(keys.length);
  for (let index = 0; index < order.length; index++) order[index] = index;
  // Below U+D800 code units are code points, so `<` (faster than compareKeys) gives the same order.
  const plain = keys.every((key) => !/[\ud800-\uffff]/.test(key));
  return plain ? order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0)) : order.sort((a, b) => compareKeys(keys[a]!, keys[b]!));
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
