import { endianness } from 'node:os';

/** A slice of a run's assignments as columns: row i is (keys[i], clusters[i], distances[i]). */
export interface AssignmentColumns {
  readonly keys: readonly string[];
  readonly clusters: Int32Array;
  readonly distances: Float64Array;
}

// Layout, little-endian: u8 version, 3 bytes zero, u32 rows; Int32 clusters; Float64 distances;
// then each key as u32 UTF-8 byte length and its bytes.
const VERSION = 1;
const HEADER_BYTES = 8;
const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/**
 * Packs a chunk into bytes. −0 is packed as 0, as the datastore writes a double (values.ts), so a run's
 * assignments read the same from either storage. Keys must be well-formed UTF-16 (lone surrogates do not survive UTF-8).
 */
export function encodeAssignmentChunk(chunk: AssignmentColumns): Buffer {
  const rows = chunk.keys.length;
  if (chunk.clusters.length !== rows || chunk.distances.length !== rows) throw new Error('a chunk needs one cluster and one distance per key');
  const keyBytes = new Uint32Array(rows);
  let size = HEADER_BYTES + rows * 12;
  for (let row = 0; row < rows; row++) {
    keyBytes[row] = Buffer.byteLength(chunk.keys[row]!, 'utf8');
    size += 4 + keyBytes[row]!;
  }
  const out = Buffer.alloc(size);
  out.writeUInt8(VERSION, 0);
  out.writeUInt32LE(rows, 4);
  let offset = HEADER_BYTES;
  for (let row = 0; row < rows; row++, offset += 4) out.writeInt32LE(chunk.clusters[row]!, offset);
  for (let row = 0; row < rows; row++, offset += 8) {
    const distance = chunk.distances[row]!;
    out.writeDoubleLE(Object.is(distance, -0) ? 0 : distance, offset);
  }
  for (let row = 0; row < rows; row++) {
    out.writeUInt32LE(keyBytes[row]!, offset);
    offset += 4 + out.write(chunk.keys[row]!, offset + 4, 'utf8');
  }
  return out;
}

/** The chunk packed by encodeAssignmentChunk; `keys: false` skips the keys (counting clusters). */
export function decodeAssignmentChunk(packed: Buffer, keys = true): AssignmentColumns {
  if (packed.length < HEADER_BYTES || packed.readUInt8(0) !== VERSION) throw new Error('not a packed assignment chunk of version 1');
  const rows = packed.readUInt32LE(4);
  if (packed.length < HEADER_BYTES + rows * 12) throw new Error('a packed assignment chunk is cut short');
  const clusters = new Int32Array(rows);
  const distances = new Float64Array(rows);
  const numbersEnd = HEADER_BYTES + rows * 12;
  if (LITTLE_ENDIAN_HOST) {
    // Byte copies into the typed arrays' own (aligned) memory.
    new Uint8Array(clusters.buffer).set(packed.subarray(HEADER_BYTES, HEADER_BYTES + rows * 4));
    new Uint8Array(distances.buffer).set(packed.subarray(HEADER_BYTES + rows * 4, numbersEnd));
  } else {
    for (let row = 0; row < rows; row++) clusters[row] = packed.readInt32LE(HEADER_BYTES + row * 4);
    for (let row = 0; row < rows; row++) distances[row] = packed.readDoubleLE(HEADER_BYTES + rows * 4 + row * 8);
  }
  const decodedKeys: string[] = [];
  if (keys) {
    let offset = numbersEnd;
    for (let row = 0; row < rows; row++) {
      const length = packed.readUInt32LE(offset);
      if (offset + 4 + length > packed.length) throw new Error('a packed assignment chunk is cut short');
      decodedKeys.push(packed.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
  }
  return { keys: decodedKeys, clusters, distances };
}

/**
 * Compares two keys by Unicode code point, the order of their UTF-8 bytes: PostgreSQL's C collations and
 * SQLite's BINARY order text so. (`<` compares UTF-16 code units, which puts U+E000–U+FFFF after astral characters.)
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    let x = a.charCodeAt(index);
    let y = b.charCodeAt(index);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (D800–DFFF) go after E000–FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
