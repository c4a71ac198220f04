/**
 * Characters as a text column counts them (code points: PostgreSQL, MariaDB's utf8mb4, Oracle's CHAR
 * semantics), not UTF-16 units as String.length does: an emoji is one character, not two.
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
