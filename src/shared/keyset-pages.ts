import { pageOfRows } from './page-of-rows';

/**
 * Every row of a keyset-paged read, a page at a time: `read(after, limit)` returns up to `limit + 1`
 * rows after key `after` (null: from the first), and the next page starts after the last row's key.
 * Nothing is held between pages, so a consumer that stops early (return()) leaves nothing open.
 */
export async function* keysetPages<T, K>(
  read: (after: K | null, limit: number) => Promise<T[]>,
  keyOf: (row: T) => K,
  limit: number,
): AsyncGenerator<readonly T[]> {
  let after: K | null = null;
  for (;;) {
    const page = pageOfRows(await read(after, limit), limit);
    if (page.rows.length > 0) yield page.rows;
    if (!page.hasMore) return;
    after = keyOf(page.rows.at(-1)!);
  }
}
