/**
 * DataLoader's batch contract: one result per key, same length and order as the keys, an Error where a
 * key has no value. Batch functions build a Map and let this line it up.
 */
export function alignToKeys<K, V>(keys: readonly K[], found: ReadonlyMap<K, V>, missing: (key: K) => Error): (V | Error)[] {
  return keys.map((key) => (found.has(key) ? found.get(key)! : missing(key)));
}
