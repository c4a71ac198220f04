/**
 * Characters as a text column counts them (code points: PostgreSQL, MariaDB's utf8mb4, Oracle's CHAR
 * semantics), not UTF-16 units as String.length does: an emoji is one character, not two.
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * The first `limit` characters (code points) of `text`, as characterCount counts them: a pair of
 * UTF-16 surrogates is never split (echoed input cut with slice() could end in a lone surrogate). A
 * lone surrogate the text already holds is kept, as one character.
 */
export function leadingCharacters(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = 0;
  for (let taken = 0; taken < limit && end < text.length; taken++) {
    const code = text.charCodeAt(end);
    end += code >= 0xd800 && code <= 0xdbff && end + 1 < text.length && (text.charCodeAt(end + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return text.slice(0, end);
}
