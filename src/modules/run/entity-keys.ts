/** Each row's entity key as stored in assignments and outcomes, kept compactly (no string per row). */
export interface EntityKeys {
  readonly length: number;
  /** The key of row `row` (0 ≤ row < length): a single key's text, a composite key's JSON array. */
  keyOf(row: number): string;
  /** Row `row`'s key as the number whose String() it is, where it was read as a number and kept as one; else null. */
  numberOf(row: number): number | null;
}

// Keys are kept in chunks of 2^16 rows. A chunk of numbers is stored in the smallest form that gives
// each key back exactly (String() of the number is the key): a run of consecutive 32-bit integers
// (start + index x step, the common case of an id column) as two numbers, other 32-bit integers as an
// Int32Array, any other number as a Float64Array. Any other chunk is one string of its keys end to end
// plus where each ends.
const CHUNK_BITS = 16;
const CHUNK_ROWS = 1 << CHUNK_BITS;

type KeyChunk =
  { readonly start: number; readonly step: number } | { readonly numbers: Int32Array | Float64Array } | { readonly text: string; readonly ends: Uint32Array };

/** A full chunk of numbers in its smallest exact form (see above); `numbers` itself only when no smaller form holds it. */
function sealNumbers(numbers: Float64Array): KeyChunk {
  const start = numbers[0]!;
  const step = numbers[1]! - start;
  let sequence = true;
  for (let index = 0; index < numbers.length; index++) {
    const key = numbers[index]!;
    // (key | 0) === key: a 32-bit integer; -0 passes and is stored as 0, which String() writes as "0" too.
    if ((key | 0) !== key) return { numbers };
    if (sequence && key !== start + index * step) sequence = false;
  }
  return sequence ? { start, step } : { numbers: Int32Array.from(numbers) };
}

/**
 * Collects keys in read order. 10M consecutive integer keys take a few kilobytes, other 32-bit integers
 * 40 MB, other numbers 80 MB, where 10M strings took about 400 MB.
 */
export class EntityKeyBuilder implements EntityKeys {
  private readonly chunks: KeyChunk[] = [];
  private numbers = new Float64Array(CHUNK_ROWS);
  private texts: string[] | null = null;
  private pending = 0;

  get length(): number {
    return this.chunks.length * CHUNK_ROWS + this.pending;
  }

  addNumber(key: number): void {
    if (this.texts) this.texts.push(String(key));
    else this.numbers[this.pending] = key;
    this.added();
  }

  addText(key: string): void {
    // The chunk so far becomes text: one number among texts is kept as its text, as keyOf gives it.
    this.texts ??= Array.from(this.numbers.subarray(0, this.pending), String);
    this.texts.push(key);
    this.added();
  }

  keyOf(row: number): string {
    const number = this.numberOf(row);
    if (number !== null) return String(number);
    // Not a number: a text of the chunk being filled, or of a sealed chunk of texts.
    const index = row & (CHUNK_ROWS - 1);
    const sealed = this.chunks[row >>> CHUNK_BITS] as Extract<KeyChunk, { text: string }> | undefined;
    return sealed ? sealed.text.slice(index === 0 ? 0 : sealed.ends[index - 1], sealed.ends[index]) : this.texts![index]!;
  }

  numberOf(row: number): number | null {
    const chunk = row >>> CHUNK_BITS;
    const index = row & (CHUNK_ROWS - 1);
    if (chunk === this.chunks.length) return this.texts ? null : this.numbers[index]!;
    const sealed = this.chunks[chunk]!;
    if ('step' in sealed) return sealed.start + index * sealed.step;
    if ('numbers' in sealed) return sealed.numbers[index]!;
    return null;
  }

  private added(): void {
    this.pending += 1;
    if (this.pending < CHUNK_ROWS) return;
    if (this.texts) {
      const ends = new Uint32Array(CHUNK_ROWS);
      let end = 0;
      for (let index = 0; index < CHUNK_ROWS; index++) ends[index] = end += this.texts[index]!.length;
      this.chunks.push({ text: this.texts.join(''), ends });
      this.texts = null;
    } else {
      const sealed = sealNumbers(this.numbers);
      this.chunks.push(sealed);
      // The buffer is filled again unless the chunk kept it.
      if ('numbers' in sealed && sealed.numbers === this.numbers) this.numbers = new Float64Array(CHUNK_ROWS);
    }
    this.pending = 0;
  }
}

/** The keys of consecutive parts read side by side, as one sequence in part order (no copy). */
export class JoinedEntityKeys implements EntityKeys {
  readonly length: number;
  private readonly starts: number[];

  constructor(private readonly parts: readonly EntityKeys[]) {
    this.starts = [];
    let start = 0;
    for (const part of parts) {
      this.starts.push(start);
      start += part.length;
    }
    this.length = start;
  }

  keyOf(row: number): string {
    const part = this.partOf(row);
    return this.parts[part]!.keyOf(row - this.starts[part]!);
  }

  numberOf(row: number): number | null {
    const part = this.partOf(row);
    return this.parts[part]!.numberOf(row - this.starts[part]!);
  }

  private partOf(row: number): number {
    let part = this.parts.length - 1;
    while (part > 0 && this.starts[part]! > row) part--;
    return part;
  }
}
