/**
 * How a packed page (SqlDialect.compilePackedPage) writes its rows; a key is an integer, the string of
 * its digits past ±(2^53 − 1), or null where the row's key is not one the form carries, and a value may
 * also be null (NULL) or false (a value that is no number, read as NULL and counted).
 *
 * - `flat` (PostgreSQL): one JSON array holding, row after row, the row's key and then its values; a
 *   value is the number it is (the reader also takes [m, e] for m × 2^e).
 * - `scaled` (SQLite): a JSON array of rows, each an array of its key and its values. A value of
 *   magnitude 1 to SCALED_HIGH is the integer value × 2^SCALED_POWER (SQLite writes an integer's digits
 *   faster than a double's 17), one of SMALL_LOW to 1 is [value × 2^SMALL_POWER, −SMALL_POWER], a zero
 *   the integer 0 or the text `-0`, any other the text of its 17 digits, or [m, e] for m × 2^e past
 *   1e99 ([±1, 1024] for ±Infinity). A row of more than SCALED_ROW_VALUES values holds them in
 *   scaledGroupCount arrays of SCALED_GROUP_VALUES after its key (SQLite's functions take at most 127
 *   arguments).
 */
export type PackedForm = 'flat' | 'scaled';

// The ranges a `scaled` page writes as integers, each exact and within int64: a double's lowest bit is
// at least 2^-52 of its power of two, and the largest integer 1024 × 2^52 = 1 × 2^62 = 2^62 < 2^63.
/** The power of two a `scaled` page's integers are the values of magnitude 1 to SCALED_HIGH times. */
export const SCALED_POWER = 52;
/** The largest magnitude a `scaled` page writes times 2^SCALED_POWER. */
export const SCALED_HIGH = 1024;
/** The power of two of the [integer, −SMALL_POWER] a `scaled` page writes for magnitudes SMALL_LOW to 1. */
export const SMALL_POWER = 62;
/** The smallest magnitude a `scaled` page writes times 2^SMALL_POWER. */
export const SMALL_LOW = 2 ** -10;
/** The most values a `scaled` row holds after its key in one array; a wider row holds them in groups. */
export const SCALED_ROW_VALUES = 126;
/** The values of each group of a wide `scaled` row (the last one's the rest). */
export const SCALED_GROUP_VALUES = 100;

/** The groups a `scaled` row of `valueColumns` values holds them in; 0 when it holds them after its key. */
export function scaledGroupCount(valueColumns: number): number {
  return valueColumns > SCALED_ROW_VALUES ? Math.ceil(valueColumns / SCALED_GROUP_VALUES) : 0;
}

export interface PackedRows {
  /** Each row as [key, ...values], values as doubles or null, in key order. */
  readonly rows: unknown[][];
  /** In each column (by index, 0 the key's), the values of `rows` that were no numbers. */
  readonly nonNumbers: number[];
  /**
   * How the read goes on: `done`, the page held the rest; `next`, read on after the last row's key;
   * `fallback`, read on without the form after the last row's key (or the page's own start when no
   * row is left): a key the form does not carry, keys out of order, a key whose rows go on from one
   * text into the next, or a page of one key.
   */
  readonly then: 'done' | 'next' | 'fallback';
  /** The key of the page's last row the form carries, before the cut (undefined where there is none). */
  readonly lastKey?: number | string;
}

/**
 * Reads a packed page's text, written in `form`. A full page (`limit` rows) is cut before its last
 * key's rows, which may go on past it (rows whose keys tie are read together); so are the rows before
 * a key the form does not carry, which may compare equal to it.
 */
export function readPackedPage(text: unknown, valueColumns: number, limit: number, form: PackedForm): PackedRows {
  return readPackedTexts([text], valueColumns, limit, form);
}

/**
 * Reads a page that comes as several texts, each whole rows, one after another in key order (SQLite's
 * pages: SqlDialect.packedPageSplits), as readPackedPage reads one; a NULL text holds no rows. SQLite's
 * form cuts its texts at keys; should a key's rows go on from one text into the next (texts cut by
 * position, each its own ordering of tied rows, could hold some of them twice and others not at all),
 * the page stops before that key and the read goes on without the form.
 */
export function readPackedTexts(texts: readonly unknown[], valueColumns: number, limit: number, form: PackedForm): PackedRows {
  const width = valueColumns + 1;
  // Each text's rows.
  const textRows = texts.flatMap((text) => {
    if (text === null || text === undefined) return [];
    if (typeof text !== 'string') throw new Error(`A packed page is text, got ${typeof text}`);
    return [form === 'scaled' ? scaledRows(parsePage(text), width) : flatRows(parsePage(text), width)];
  });
  const readValue = form === 'scaled' ? scaledNumber : flatNumber;
  const rows = textRows.length === 1 ? textRows[0]! : textRows.flat();
  const count = rows.length;
  let regular = count;
  let previous: number | string | undefined;
  // Where a value was no number: [row, column], rare, counted once the rows kept are known.
  const notNumbers: [number, number][] = [];
  let row = 0;
  read: for (const text of textRows) {
    for (let at = 0; at < text.length; row++, at++) {
      const values = text[at]!;
      const key = values[0];
      // A key that goes on from one text to the next: each text's rows of a key may be any of its rows.
      const tiedAcross = at === 0 && row > 0 && key === previous;
      if (!isPackedKey(key) || (previous !== undefined && keyBefore(key, previous)) || tiedAcross) {
        regular = row;
        break read;
      }
      previous = key;
      for (let column = 1; column < width; column++) {
        const value = values[column];
        if (value === false) {
          notNumbers.push([row, column]);
          values[column] = null;
        } else values[column] = readValue(value);
      }
    }
  }
  const counted = (kept: unknown[][]) => {
    const nonNumbers = new Array<number>(width).fill(0);
    for (const [at, column] of notNumbers) if (at < kept.length) nonNumbers[column]! += 1;
    return nonNumbers;
  };
  const last = regular > 0 ? { lastKey: rows[regular - 1]![0] as number | string } : {};
  if (regular === count && count < limit) return { rows, nonNumbers: counted(rows), then: 'done', ...last };
  // Cut before the last key's rows: they may go on in the next page, or tie with the key that stopped the form.
  const kept = withoutLastKey(rows, regular);
  return { rows: kept, nonNumbers: counted(kept), then: regular < count || kept.length === 0 ? 'fallback' : 'next', ...last };
}

/**
 * The key of a packed page's last row as readPackedTexts would read it (a number, or the string of its
 * digits past ±(2^53 − 1)), found from the end of the last text without reading the page: the next
 * page's statement can run while this one is read. Undefined where there is no row, or the last row's
 * key is not an integer.
 */
export function lastPackedKey(texts: readonly unknown[], valueColumns: number, form: PackedForm): number | string | undefined {
  let text: unknown;
  for (let index = texts.length - 1; index >= 0 && (text === null || text === undefined); index--) text = texts[index];
  if (typeof text !== 'string' || !text.endsWith(']')) return undefined;
  if (form === 'scaled') return lastScaledKey(text);
  // Back over the last row's values (an [m, e] holds a comma) to the comma after its key, then to the one before.
  let depth = 0;
  let commas = 0;
  let keyEnd = -1;
  for (let at = text.length - 2; at >= 0; at--) {
    const code = text.charCodeAt(at);
    if (code === 0x5d) depth++;
    else if (code === 0x5b && depth > 0) depth--;
    else if ((code === 0x2c && depth === 0) || (code === 0x5b && at === 0)) {
      commas++;
      if (commas === valueColumns) keyEnd = at;
      else if (commas === valueColumns + 1 || at === 0) {
        return keyEnd <= at ? undefined : packedKeyText(text.slice(at + 1, keyEnd));
      }
    }
  }
  return undefined;
}

// The key of a `scaled` page's last row: back from the page's end to where that row's array opens.
function lastScaledKey(text: string): number | string | undefined {
  let depth = 0;
  for (let at = text.length - 2; at > 0; at--) {
    const code = text.charCodeAt(at);
    if (code === 0x5d) depth++;
    else if (code === 0x5b && --depth === 0) {
      const comma = text.indexOf(',', at);
      return comma === -1 ? undefined : packedKeyText(text.slice(at + 1, comma));
    }
  }
  return undefined;
}

// A key's text as the page's JSON.parse reads it, kept as readPackedTexts keeps a key; else undefined.
function packedKeyText(text: string): number | string | undefined {
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isPackedKey(key) ? key : undefined;
}

const DIGITS = /^-?[0-9]+$/;

/**
 * A page that is not the form's JSON: a column holds what is no number's text (a type changed since the
 * dataset was registered). Its message holds none of the page, whose values are the user's data.
 */
export class UnreadablePackedPage extends Error {
  constructor() {
    super('A packed page is not JSON of numbers');
  }
}

// PostgreSQL writes NaN and ±Infinity as words, which JSON has not: read as NULL and ±Infinity, where
// a page holds them (no other text of a page has those letters).
function parsePage(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      if (/NaN|Infinity/.test(text)) return JSON.parse(text.replace(/NaN/g, 'null').replace(/Infinity/g, '1e999')) as unknown;
    } catch {
      // As below.
    }
    throw new UnreadablePackedPage();
  }
}

function isPackedKey(key: unknown): key is number | string {
  return (typeof key === 'number' && Number.isSafeInteger(key)) || (typeof key === 'string' && DIGITS.test(key));
}

function keyBefore(key: number | string, previous: number | string): boolean {
  return typeof key === 'number' && typeof previous === 'number' ? key < previous : BigInt(key) < BigInt(previous);
}

/** A `flat` page's rows, each made an array of its own. */
function flatRows(flat: unknown, width: number): unknown[][] {
  if (!Array.isArray(flat) || flat.length % width !== 0)
    throw new Error(`A packed page holds rows of ${width} values, got ${Array.isArray(flat) ? String(flat.length) : 'no array'} values`);
  const rows = new Array<unknown[]>(flat.length / width);
  for (let row = 0; row < rows.length; row++) rows[row] = flat.slice(row * width, (row + 1) * width);
  return rows;
}

/** A `scaled` page's rows as it holds them, a wide row's groups joined. */
function scaledRows(page: unknown, width: number): unknown[][] {
  if (!Array.isArray(page)) throw new Error('A packed page is an array of rows');
  const groups = scaledGroupCount(width - 1);
  const rows = page as unknown[][];
  for (let row = 0; row < rows.length; row++) {
    let values: unknown = rows[row];
    if (groups > 0) {
      if (!Array.isArray(values) || values.length !== groups + 1 || !values.slice(1).every((group) => Array.isArray(group))) {
        throw new Error(`A packed page holds rows of a key and ${groups} groups of values, got ${shapeOf(values)}`);
      }
      values = rows[row] = [values[0], ...(values.slice(1) as unknown[][]).flat(1)];
    }
    if (!Array.isArray(values) || values.length !== width) throw new Error(`A packed page holds rows of ${width} values, got ${shapeOf(values)}`);
  }
  return rows;
}

// What a row that is not the form's is, without its values (the user's data): an array's length, or a type.
function shapeOf(value: unknown): string {
  return Array.isArray(value) ? `a row of ${value.length}` : typeof value;
}

function flatNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (value === null) return null;
  if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && Number.isInteger(value[1])) {
    return (value[0] as number) * 2 ** (value[1] as number);
  }
  throw new Error(`A packed page holds numbers, null, false and [m, e], got ${JSON.stringify(value)}`);
}

// A value of a `scaled` page: an integer is the value × 2^SCALED_POWER (exact: a power of two apart,
// and the integer a double's value); a text, a double's digits; [m, e] as flatNumber reads it.
function scaledNumber(value: unknown): number | null {
  if (typeof value === 'number') return value * 2 ** -SCALED_POWER;
  if (typeof value === 'string') {
    const number = Number(value);
    if (!DECIMAL.test(value) || !Number.isFinite(number)) throw new Error('A packed page holds the texts of numbers, got another text');
    return number;
  }
  return flatNumber(value);
}

const DECIMAL = /^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$/;

function withoutLastKey(rows: readonly unknown[][], count: number): unknown[][] {
  if (count === 0) return [];
  const last = rows[count - 1]![0];
  let end = count;
  while (end > 0 && rows[end - 1]![0] === last) end--;
  return rows.slice(0, end);
}
