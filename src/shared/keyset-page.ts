/**
 * A page that starts after a row's sort key rather than at an offset: rows inserted or deleted before
 * it while a client pages move no row across pages. `after` null: the first page.
 */
export interface KeysetPage<Key> {
  readonly limit: number;
  readonly after: Key | null;
}
