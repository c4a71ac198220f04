import { pageOfRows } from './page-of-rows';

/**
 * A page that starts after a row's sort key rather than at an offset: rows inserted or deleted before
 * it while a client pages move no row across pages. `after` null: the first page.
 */
export interface KeysetPage<Key> {
  readonly limit: number;
  readonly after: Key | null;
}

/**
 * Every row of a read, a keyset page at a time: `read` returns up to `limit + 1` rows after the page's
 * key, and the next page starts after the last row's key. Nothing is held between pages, so a consumer
 * that stops early (return()) leaves nothing open.
 */
export async function* keysetPages<T, Key>(read: (page: KeysetPage<Key>) => Promise<T[]>, keyOf: (row: T) => Key, limit: number): AsyncGenerator<readonly T[]> {
  let after: Key | null = null;
  for (;;) {
    const page = pageOfRows(await read({ limit, after }), limit);
    if (page.rows.length > 0) yield page.rows;
    if (!page.hasMore) return;
    after = keyOf(page.rows.at(-1)!);
  }
}
